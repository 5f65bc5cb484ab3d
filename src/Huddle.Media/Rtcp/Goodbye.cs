using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>A Goodbye packet (PT=203): these sources are leaving, optionally with a reason.</summary>
/// <remarks>
/// RFC 3550 §6.6:
/// <code>
///        0                   1                   2                   3
///        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///       |V=2|P|    SC   |   PT=BYE=203  |             length            |
///       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///       |                           SSRC/CSRC                           |
///       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///       :                              ...                              :
///       +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// (opt) |     length    |               reason for leaving            ...
///       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// The reason is padded with zero octets to a 32-bit boundary.
/// </remarks>
public readonly ref struct Goodbye
{
    private const int SsrcSize = 4;
    private const int ReasonLengthSize = 1;
    public const int MaxReasonLength = 255;

    private readonly RtcpPacket _packet;

    private Goodbye(RtcpPacket packet) => _packet = packet;

    /// <summary>Reads the BYE at the start of <paramref name="data"/>. False when its SC SSRCs, or the reason its length byte announces, do not fit.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out Goodbye goodbye)
    {
        goodbye = default;
        if (!RtcpPacket.TryParse(data, out var packet) || packet.PacketType != RtcpPacketType.Goodbye) return false;
        var body = packet.Body;
        int ssrcEnd = packet.Count * SsrcSize;
        if (body.Length < ssrcEnd) return false;
        if (body.Length > ssrcEnd && body[ssrcEnd] > body.Length - ssrcEnd - ReasonLengthSize) return false;
        goodbye = new Goodbye(packet);
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public int SsrcCount => _packet.Count;

    public uint GetSsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SsrcCount);
        return _packet.ReadBodyUInt32(index * SsrcSize);
    }

    /// <summary>True when there are bytes after the SSRC list (a reason field, possibly empty).</summary>
    public bool HasReason => _packet.Body.Length > SsrcCount * SsrcSize;

    /// <summary>The reason text (UTF-8), empty when there is none.</summary>
    public ReadOnlySpan<byte> Reason
    {
        get
        {
            if (!HasReason) return default;
            var rest = _packet.Body.Slice(SsrcCount * SsrcSize);
            return rest.Slice(ReasonLengthSize, rest[0]);
        }
    }

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static int GetLength(int ssrcCount, int reasonLength) =>
        RtcpHeader.Size + ssrcCount * SsrcSize + (reasonLength > 0 ? (ReasonLengthSize + reasonLength + 3) & ~3 : 0);

    /// <summary>Writes a BYE; an empty <paramref name="reason"/> writes none. False with more than 31 SSRCs, a reason over 255 bytes, or too little room.</summary>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<uint> ssrcs, ReadOnlySpan<byte> reason, out int written)
    {
        written = 0;
        if (ssrcs.Length > RtcpHeader.MaxCount || reason.Length > MaxReasonLength) return false;
        int length = GetLength(ssrcs.Length, reason.Length);
        if (destination.Length < length) return false;
        RtcpHeader.Write(destination, false, ssrcs.Length, RtcpPacketType.Goodbye, length);
        int offset = RtcpHeader.Size;
        foreach (uint ssrc in ssrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(offset), ssrc);
            offset += SsrcSize;
        }
        if (!reason.IsEmpty)
        {
            destination[offset] = (byte)reason.Length;
            reason.CopyTo(destination.Slice(offset + ReasonLengthSize));
            offset += ReasonLengthSize + reason.Length;
            destination[offset..length].Clear();
        }
        written = length;
        return true;
    }
}
