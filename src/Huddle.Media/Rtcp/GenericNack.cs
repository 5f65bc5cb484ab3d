using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>A Generic NACK (RTPFB PT=205, FMT=1): the receiver asks for these packets again.</summary>
/// <remarks>
/// RFC 4585 §6.2.1 — the feedback header (see <c>RtcpFeedback</c>) followed by one or more pairs:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  FMT=1  |    PT=205     |          length               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            PID                |             BLP               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :                              ...                              :
/// </code>
/// </remarks>
public readonly ref struct GenericNack
{
    private readonly RtcpPacket _packet;

    private GenericNack(RtcpPacket packet) => _packet = packet;

    /// <summary>Reads the NACK at the start of <paramref name="data"/>. False without at least one whole pair.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out GenericNack nack)
    {
        nack = default;
        if (!RtcpFeedback.TryParse(data, RtcpPacketType.TransportFeedback, RtcpFeedbackFormat.GenericNack, out var packet)) return false;
        var fci = RtcpFeedback.Fci(packet);
        if (fci.Length < NackPair.Size || fci.Length % NackPair.Size != 0) return false;
        nack = new GenericNack(packet);
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint SenderSsrc => RtcpFeedback.SenderSsrc(_packet);
    public uint MediaSsrc => RtcpFeedback.MediaSsrc(_packet);
    public int PairCount => RtcpFeedback.Fci(_packet).Length / NackPair.Size;

    public NackPair GetPair(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PairCount);
        var at = RtcpFeedback.Fci(_packet).Slice(index * NackPair.Size);
        return new NackPair(BinaryPrimitives.ReadUInt16BigEndian(at), BinaryPrimitives.ReadUInt16BigEndian(at.Slice(2)));
    }

    /// <summary>Every sequence number the packet reports lost, pair by pair, without allocation.</summary>
    public LostEnumerator LostSequenceNumbers => new(this);

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static int GetLength(int pairCount) => RtcpFeedback.HeaderLength + pairCount * NackPair.Size;

    /// <summary>Writes a NACK. False without pairs or with too little room.</summary>
    public static bool TryWrite(Span<byte> destination, uint senderSsrc, uint mediaSsrc, ReadOnlySpan<NackPair> pairs, out int written)
    {
        written = 0;
        if (pairs.IsEmpty) return false;
        int length = GetLength(pairs.Length);
        if (!RtcpFeedback.TryWriteHeader(destination, RtcpPacketType.TransportFeedback, RtcpFeedbackFormat.GenericNack, length,
                senderSsrc, mediaSsrc, out var fci))
            return false;
        for (int i = 0; i < pairs.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(fci.Slice(i * NackPair.Size), pairs[i].PacketId);
            BinaryPrimitives.WriteUInt16BigEndian(fci.Slice(i * NackPair.Size + 2), pairs[i].LostPacketBitmask);
        }
        written = length;
        return true;
    }

    public ref struct LostEnumerator
    {
        private readonly GenericNack _nack;
        private int _pair;
        private NackPair.Enumerator _inner;
        private bool _started;

        internal LostEnumerator(GenericNack nack)
        {
            _nack = nack;
            _pair = -1;
        }

        public readonly ushort Current => _inner.Current;

        public readonly LostEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (true)
            {
                if (_started && _inner.MoveNext()) return true;
                if (++_pair >= _nack.PairCount) return false;
                _inner = _nack.GetPair(_pair).GetEnumerator();
                _started = true;
            }
        }
    }
}
