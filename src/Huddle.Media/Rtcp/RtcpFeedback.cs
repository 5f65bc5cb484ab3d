using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>
/// The common part of RTPFB and PSFB feedback messages; the typed views build on it.
/// </summary>
/// <remarks>
/// RFC 4585 §6.1:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|   FMT   |       PT      |          length               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :            Feedback Control Information (FCI)                 :
/// :                                                               :
/// </code>
/// </remarks>
internal static class RtcpFeedback
{
    public const int SenderSsrcOffset = 0;
    public const int MediaSsrcOffset = 4;
    /// <summary>Where the FCI starts in the body, and the least a feedback body holds.</summary>
    public const int FciOffset = 8;
    public const int HeaderLength = RtcpHeader.Size + FciOffset;

    public static bool TryParse(ReadOnlySpan<byte> data, RtcpPacketType type, int format, out RtcpPacket packet)
    {
        if (!RtcpPacket.TryParse(data, out packet)) return false;
        return packet.PacketType == type && packet.Count == format && packet.Body.Length >= FciOffset;
    }

    public static uint SenderSsrc(RtcpPacket packet) => packet.ReadBodyUInt32(SenderSsrcOffset);
    public static uint MediaSsrc(RtcpPacket packet) => packet.ReadBodyUInt32(MediaSsrcOffset);
    public static ReadOnlySpan<byte> Fci(RtcpPacket packet) => packet.Body.Slice(FciOffset);

    /// <summary>
    /// Checks the room for a <paramref name="packetLength"/>-byte message and writes the header and
    /// both SSRCs; returns the FCI to fill in.
    /// </summary>
    public static bool TryWriteHeader(Span<byte> destination, RtcpPacketType type, int format, int packetLength,
        uint senderSsrc, uint mediaSsrc, out Span<byte> fci)
    {
        fci = default;
        if (packetLength > RtcpHeader.MaxPacketLength || packetLength % 4 != 0 || destination.Length < packetLength) return false;
        RtcpHeader.Write(destination, false, format, type, packetLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(RtcpHeader.Size + SenderSsrcOffset), senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(RtcpHeader.Size + MediaSsrcOffset), mediaSsrc);
        fci = destination[HeaderLength..packetLength];
        return true;
    }
}
