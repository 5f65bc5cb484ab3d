using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>The four bytes every RTCP packet starts with.</summary>
/// <remarks>
/// RFC 3550 §6.4.1 (the count is RC, SC or, in feedback messages, FMT — RFC 4585 §6.1):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  Count  |      PT       |             length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// The length is the packet's size in 32-bit words minus one, header and padding included.
/// </remarks>
public readonly struct RtcpHeader
{
    public const int Size = 4;
    public const byte Version2 = 2;
    /// <summary>The count field is five bits wide.</summary>
    public const int MaxCount = 31;
    /// <summary>(0xFFFF + 1) words.</summary>
    public const int MaxPacketLength = 0x10000 * 4;

    internal const int VersionShift = 6;
    internal const byte PaddingBit = 0x20;
    internal const byte CountMask = 0x1F;
    internal const int PacketTypeOffset = 1;
    internal const int LengthOffset = 2;

    public RtcpHeader(bool hasPadding, int count, RtcpPacketType packetType, ushort lengthInWords)
    {
        HasPadding = hasPadding;
        Count = count & CountMask;
        PacketType = packetType;
        LengthInWords = lengthInWords;
    }

    public byte Version => Version2;
    public bool HasPadding { get; }
    /// <summary>RC, SC or FMT, depending on the packet type.</summary>
    public int Count { get; }
    public RtcpPacketType PacketType { get; }
    /// <summary>The raw length field.</summary>
    public ushort LengthInWords { get; }
    /// <summary>Bytes in the packet: (length + 1) × 4.</summary>
    public int PacketLength => (LengthInWords + 1) * 4;

    /// <summary>Reads a header. False when there are fewer than four bytes or the version is not 2; the length is not checked against the data.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RtcpHeader header)
    {
        header = default;
        if (data.Length < Size || data[0] >> VersionShift != Version2) return false;
        header = new RtcpHeader((data[0] & PaddingBit) != 0, data[0] & CountMask, (RtcpPacketType)data[PacketTypeOffset],
            BinaryPrimitives.ReadUInt16BigEndian(data.Slice(LengthOffset)));
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < Size) return false;
        destination[0] = (byte)((Version2 << VersionShift) | (HasPadding ? PaddingBit : 0) | Count);
        destination[PacketTypeOffset] = (byte)PacketType;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(LengthOffset), LengthInWords);
        written = Size;
        return true;
    }

    /// <summary>Writes a header for a packet of <paramref name="packetLength"/> bytes (a multiple of four, at least four).</summary>
    internal static void Write(Span<byte> destination, bool hasPadding, int count, RtcpPacketType packetType, int packetLength)
    {
        new RtcpHeader(hasPadding, count, packetType, (ushort)(packetLength / 4 - 1)).TryWrite(destination, out _);
    }
}
