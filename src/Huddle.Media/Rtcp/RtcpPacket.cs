using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>
/// One RTCP packet, whatever its type: header, body and padding, as a view over the bytes. Unknown
/// types and formats stay in this form and are written back byte for byte.
/// </summary>
/// <remarks>
/// RFC 3550 §6.4.1:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  Count  |      PT       |             length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          body ...                             |
/// |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |    padding    | padding count |  (only when P=1)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly ref struct RtcpPacket
{
    private static ReadOnlySpan<byte> RembIdentifier => "REMB"u8;
    private const int RembIdentifierOffset = 8; // in the body: after the sender and media SSRCs

    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _bodyEnd;

    private RtcpPacket(ReadOnlySpan<byte> bytes, int bodyEnd)
    {
        _bytes = bytes;
        _bodyEnd = bodyEnd;
    }

    /// <summary>
    /// Reads the packet at the start of <paramref name="data"/>; bytes after it (the rest of a
    /// compound packet) are left alone. False when the version is not 2, the length field points past
    /// the data, or the padding count is zero or larger than the body.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RtcpPacket packet)
    {
        packet = default;
        if (!RtcpHeader.TryParse(data, out var header)) return false;
        int length = header.PacketLength;
        if (length > data.Length) return false;
        int bodyEnd = length;
        if (header.HasPadding)
        {
            // RFC 3550 §6.4.1: the last octet counts the padding, itself included.
            int padding = data[length - 1];
            if (padding == 0 || padding > length - RtcpHeader.Size) return false;
            bodyEnd -= padding;
        }
        packet = new RtcpPacket(data[..length], bodyEnd);
        return true;
    }

    public RtcpHeader Header
    {
        get
        {
            RtcpHeader.TryParse(_bytes, out var header);
            return header;
        }
    }

    public RtcpPacketType PacketType => (RtcpPacketType)_bytes[RtcpHeader.PacketTypeOffset];
    /// <summary>RC, SC or FMT.</summary>
    public int Count => _bytes[0] & RtcpHeader.CountMask;
    public bool HasPadding => (_bytes[0] & RtcpHeader.PaddingBit) != 0;
    /// <summary>The whole packet: header, body, padding.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
    public int Length => _bytes.Length;
    /// <summary>After the header, without padding.</summary>
    public ReadOnlySpan<byte> Body => _bytes[RtcpHeader.Size.._bodyEnd];
    public int PaddingLength => _bytes.Length - _bodyEnd;

    /// <summary>Which typed view reads this packet, from its type and FMT (and, for REMB, its identifier).</summary>
    public RtcpPacketKind Kind => PacketType switch
    {
        RtcpPacketType.SenderReport => RtcpPacketKind.SenderReport,
        RtcpPacketType.ReceiverReport => RtcpPacketKind.ReceiverReport,
        RtcpPacketType.SourceDescription => RtcpPacketKind.SourceDescription,
        RtcpPacketType.Goodbye => RtcpPacketKind.Goodbye,
        RtcpPacketType.TransportFeedback => Count switch
        {
            RtcpFeedbackFormat.GenericNack => RtcpPacketKind.GenericNack,
            RtcpFeedbackFormat.TransportCc => RtcpPacketKind.TransportCcFeedback,
            _ => RtcpPacketKind.Unknown,
        },
        RtcpPacketType.PayloadFeedback => Count switch
        {
            RtcpFeedbackFormat.PictureLossIndication => RtcpPacketKind.PictureLossIndication,
            RtcpFeedbackFormat.FullIntraRequest => RtcpPacketKind.FullIntraRequest,
            // Application layer feedback is a family; REMB is the one that says "REMB".
            RtcpFeedbackFormat.ApplicationLayer when Body.Length >= RembIdentifierOffset + RembIdentifier.Length
                && Body.Slice(RembIdentifierOffset, RembIdentifier.Length).SequenceEqual(RembIdentifier)
                => RtcpPacketKind.ReceiverEstimatedMaxBitrate,
            _ => RtcpPacketKind.Unknown,
        },
        _ => RtcpPacketKind.Unknown,
    };

    /// <summary>Copies the packet as received, byte for byte.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (!_bytes.TryCopyTo(destination)) return false;
        written = _bytes.Length;
        return true;
    }

    /// <summary>
    /// Writes a packet of any type from its parts. The body length must be a multiple of four (no
    /// padding is added) and the count at most 31.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, RtcpPacketType packetType, int count, ReadOnlySpan<byte> body, out int written)
    {
        written = 0;
        int length = RtcpHeader.Size + body.Length;
        if ((uint)count > RtcpHeader.MaxCount || body.Length % 4 != 0 || length > RtcpHeader.MaxPacketLength || destination.Length < length)
            return false;
        RtcpHeader.Write(destination, false, count, packetType, length);
        body.CopyTo(destination.Slice(RtcpHeader.Size));
        written = length;
        return true;
    }

    internal uint ReadBodyUInt32(int offset) => BinaryPrimitives.ReadUInt32BigEndian(Body.Slice(offset));
}
