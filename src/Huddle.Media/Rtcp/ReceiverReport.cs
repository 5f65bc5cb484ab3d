using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>A Receiver Report (PT=201): up to 31 report blocks from a participant that is not sending.</summary>
/// <remarks>
/// RFC 3550 §6.4.2:
/// <code>
///         0                   1                   2                   3
///         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// header |V=2|P|    RC   |   PT=RR=201   |             length            |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                     SSRC of packet sender                     |
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
public readonly ref struct ReceiverReport
{
    private const int SsrcOffset = 0;
    private const int ReportsOffset = 4;

    private readonly RtcpPacket _packet;

    private ReceiverReport(RtcpPacket packet) => _packet = packet;

    /// <summary>Reads the RR at the start of <paramref name="data"/>. False when it is not an RR or its RC blocks do not fit.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ReceiverReport report)
    {
        report = default;
        if (!RtcpPacket.TryParse(data, out var packet) || packet.PacketType != RtcpPacketType.ReceiverReport) return false;
        if (packet.Body.Length < ReportsOffset + packet.Count * ReceptionReport.Size) return false;
        report = new ReceiverReport(packet);
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint Ssrc => _packet.ReadBodyUInt32(SsrcOffset);
    public int ReportCount => _packet.Count;
    public ReceptionReportList Reports => new(_packet.Body.Slice(ReportsOffset, ReportCount * ReceptionReport.Size));
    public ReadOnlySpan<byte> ProfileExtension => _packet.Body.Slice(ReportsOffset + ReportCount * ReceptionReport.Size);

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static int GetLength(int reportCount, int profileExtensionLength = 0) =>
        RtcpHeader.Size + ReportsOffset + reportCount * ReceptionReport.Size + profileExtensionLength;

    /// <summary>Writes an RR. False with more than 31 reports or too little room.</summary>
    public static bool TryWrite(Span<byte> destination, uint ssrc, ReadOnlySpan<ReceptionReport> reports, out int written) =>
        TryWrite(destination, ssrc, reports, ReadOnlySpan<byte>.Empty, out written);

    public static bool TryWrite(Span<byte> destination, uint ssrc, ReadOnlySpan<ReceptionReport> reports, ReadOnlySpan<byte> profileExtension, out int written)
    {
        written = 0;
        int length = GetLength(reports.Length, profileExtension.Length);
        if (reports.Length > RtcpHeader.MaxCount || profileExtension.Length % 4 != 0 || length > RtcpHeader.MaxPacketLength || destination.Length < length)
            return false;
        RtcpHeader.Write(destination, false, reports.Length, RtcpPacketType.ReceiverReport, length);
        var body = destination.Slice(RtcpHeader.Size);
        BinaryPrimitives.WriteUInt32BigEndian(body.Slice(SsrcOffset), ssrc);
        int offset = ReportsOffset + ReceptionReport.WriteAll(body.Slice(ReportsOffset), reports);
        profileExtension.CopyTo(body.Slice(offset));
        written = length;
        return true;
    }
}
