using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>The sender information block of an SR (RFC 3550 §6.4.1).</summary>
/// <param name="NtpTimestamp">Wall clock at the time of the report, 32.32 seconds since 1900 (RFC 5905 §6).</param>
/// <param name="RtpTimestamp">The same instant in the RTP timestamp clock, for lip sync.</param>
public readonly record struct SenderInfo(ulong NtpTimestamp, uint RtpTimestamp, uint PacketCount, uint OctetCount)
{
    public const int Size = 20;

    /// <summary>The middle 32 bits of the NTP timestamp: what receivers echo as LSR.</summary>
    public uint CompactNtp => (uint)(NtpTimestamp >> 16);
}

/// <summary>A Sender Report (PT=200): sender information and up to 31 report blocks.</summary>
/// <remarks>
/// RFC 3550 §6.4.1:
/// <code>
///         0                   1                   2                   3
///         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// header |V=2|P|    RC   |   PT=SR=200   |             length            |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                         SSRC of sender                        |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// sender |              NTP timestamp, most significant word             |
/// info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |             NTP timestamp, least significant word             |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                         RTP timestamp                         |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                     sender's packet count                     |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                      sender's octet count                     |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// report |                 SSRC_1 (SSRC of first source)                 |
/// block  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   1    :               (24 bytes: see ReceptionReport)                 :
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///        :                              ...                              :
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///        |                  profile-specific extensions                  |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly ref struct SenderReport
{
    // Offsets in the body (after the four-byte header).
    private const int SsrcOffset = 0;
    private const int NtpOffset = 4;
    private const int RtpTimestampOffset = 12;
    private const int PacketCountOffset = 16;
    private const int OctetCountOffset = 20;
    private const int ReportsOffset = 24;

    private readonly RtcpPacket _packet;

    private SenderReport(RtcpPacket packet) => _packet = packet;

    /// <summary>Reads the SR at the start of <paramref name="data"/>. False when it is not an SR or its RC blocks do not fit.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out SenderReport report)
    {
        report = default;
        if (!RtcpPacket.TryParse(data, out var packet) || packet.PacketType != RtcpPacketType.SenderReport) return false;
        if (packet.Body.Length < ReportsOffset + packet.Count * ReceptionReport.Size) return false;
        report = new SenderReport(packet);
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint Ssrc => _packet.ReadBodyUInt32(SsrcOffset);
    public ulong NtpTimestamp => BinaryPrimitives.ReadUInt64BigEndian(_packet.Body.Slice(NtpOffset));
    public uint RtpTimestamp => _packet.ReadBodyUInt32(RtpTimestampOffset);
    public uint PacketCount => _packet.ReadBodyUInt32(PacketCountOffset);
    public uint OctetCount => _packet.ReadBodyUInt32(OctetCountOffset);
    public SenderInfo SenderInfo => new(NtpTimestamp, RtpTimestamp, PacketCount, OctetCount);
    public int ReportCount => _packet.Count;
    public ReceptionReportList Reports => new(_packet.Body.Slice(ReportsOffset, ReportCount * ReceptionReport.Size));
    /// <summary>Whatever follows the report blocks (RFC 3550 §6.4.1 "profile-specific extensions"); usually empty.</summary>
    public ReadOnlySpan<byte> ProfileExtension => _packet.Body.Slice(ReportsOffset + ReportCount * ReceptionReport.Size);

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static int GetLength(int reportCount, int profileExtensionLength = 0) =>
        RtcpHeader.Size + ReportsOffset + reportCount * ReceptionReport.Size + profileExtensionLength;

    /// <summary>Writes an SR. False with more than 31 reports, an extension that is not whole words, or too little room.</summary>
    public static bool TryWrite(Span<byte> destination, uint ssrc, in SenderInfo info, ReadOnlySpan<ReceptionReport> reports, out int written) =>
        TryWrite(destination, ssrc, info, reports, ReadOnlySpan<byte>.Empty, out written);

    public static bool TryWrite(Span<byte> destination, uint ssrc, in SenderInfo info, ReadOnlySpan<ReceptionReport> reports,
        ReadOnlySpan<byte> profileExtension, out int written)
    {
        written = 0;
        int length = GetLength(reports.Length, profileExtension.Length);
        if (reports.Length > RtcpHeader.MaxCount || profileExtension.Length % 4 != 0 || length > RtcpHeader.MaxPacketLength || destination.Length < length)
            return false;
        RtcpHeader.Write(destination, false, reports.Length, RtcpPacketType.SenderReport, length);
        var body = destination.Slice(RtcpHeader.Size);
        BinaryPrimitives.WriteUInt32BigEndian(body.Slice(SsrcOffset), ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(body.Slice(NtpOffset), info.NtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(body.Slice(RtpTimestampOffset), info.RtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(body.Slice(PacketCountOffset), info.PacketCount);
        BinaryPrimitives.WriteUInt32BigEndian(body.Slice(OctetCountOffset), info.OctetCount);
        int offset = ReportsOffset + ReceptionReport.WriteAll(body.Slice(ReportsOffset), reports);
        profileExtension.CopyTo(body.Slice(offset));
        written = length;
        return true;
    }
}
