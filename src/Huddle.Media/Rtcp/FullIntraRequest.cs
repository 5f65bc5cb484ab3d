using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>One FIR entry: the SSRC that should send a key frame, and the request's sequence number.</summary>
/// <param name="SequenceNumber">Incremented per new request, so that repeats of one request are recognised (RFC 5104 §4.3.1.2).</param>
public readonly record struct FirEntry(uint Ssrc, byte SequenceNumber)
{
    public const int Size = 8;
}

/// <summary>A Full Intra Request (PSFB PT=206, FMT=4): ask one or more senders for a key frame.</summary>
/// <remarks>
/// RFC 5104 §4.3.1 — the feedback header, then one entry per media sender:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  FMT=4  |    PT=206     |          length               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source (unused, 0)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                              SSRC                             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Seq nr.       |    Reserved                                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :                              ...                              :
/// </code>
/// </remarks>
public readonly ref struct FullIntraRequest
{
    private const int EntrySsrcOffset = 0;
    private const int EntrySequenceOffset = 4;

    private readonly RtcpPacket _packet;

    private FullIntraRequest(RtcpPacket packet) => _packet = packet;

    /// <summary>Reads the FIR at the start of <paramref name="data"/>. False without at least one whole entry.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out FullIntraRequest fir)
    {
        fir = default;
        if (!RtcpFeedback.TryParse(data, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.FullIntraRequest, out var packet)) return false;
        var fci = RtcpFeedback.Fci(packet);
        if (fci.Length < FirEntry.Size || fci.Length % FirEntry.Size != 0) return false;
        fir = new FullIntraRequest(packet);
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint SenderSsrc => RtcpFeedback.SenderSsrc(_packet);
    /// <summary>RFC 5104 §4.3.1.2 says 0; kept as sent.</summary>
    public uint MediaSsrc => RtcpFeedback.MediaSsrc(_packet);
    public int EntryCount => RtcpFeedback.Fci(_packet).Length / FirEntry.Size;

    public FirEntry GetEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EntryCount);
        var at = RtcpFeedback.Fci(_packet).Slice(index * FirEntry.Size);
        return new FirEntry(BinaryPrimitives.ReadUInt32BigEndian(at.Slice(EntrySsrcOffset)), at[EntrySequenceOffset]);
    }

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static int GetLength(int entryCount) => RtcpFeedback.HeaderLength + entryCount * FirEntry.Size;

    /// <summary>Writes a FIR with the media source SSRC set to 0 and reserved bytes zeroed. False without entries or with too little room.</summary>
    public static bool TryWrite(Span<byte> destination, uint senderSsrc, ReadOnlySpan<FirEntry> entries, out int written)
    {
        written = 0;
        if (entries.IsEmpty) return false;
        int length = GetLength(entries.Length);
        if (!RtcpFeedback.TryWriteHeader(destination, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.FullIntraRequest, length,
                senderSsrc, 0, out var fci))
            return false;
        fci.Clear();
        for (int i = 0; i < entries.Length; i++)
        {
            var at = fci.Slice(i * FirEntry.Size);
            BinaryPrimitives.WriteUInt32BigEndian(at.Slice(EntrySsrcOffset), entries[i].Ssrc);
            at[EntrySequenceOffset] = entries[i].SequenceNumber;
        }
        written = length;
        return true;
    }
}
