namespace Huddle.Media.Rtcp;

/// <summary>
/// A Picture Loss Indication (PSFB PT=206, FMT=1): the receiver lost decoder state and needs a key
/// frame. An SFU forwards it, or sends its own, to the publisher of <see cref="MediaSsrc"/>.
/// </summary>
/// <remarks>
/// RFC 4585 §6.3.1 — the feedback header only, no FCI:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  FMT=1  |    PT=206     |          length=2             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly ref struct PictureLossIndication
{
    public const int Size = RtcpFeedback.HeaderLength;

    private readonly RtcpPacket _packet;

    private PictureLossIndication(RtcpPacket packet) => _packet = packet;

    /// <summary>Reads the PLI at the start of <paramref name="data"/>. FCI bytes, which RFC 4585 says there are none of, are tolerated.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out PictureLossIndication pli)
    {
        pli = default;
        if (!RtcpFeedback.TryParse(data, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.PictureLossIndication, out var packet)) return false;
        pli = new PictureLossIndication(packet);
        return true;
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint SenderSsrc => RtcpFeedback.SenderSsrc(_packet);
    public uint MediaSsrc => RtcpFeedback.MediaSsrc(_packet);

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public static bool TryWrite(Span<byte> destination, uint senderSsrc, uint mediaSsrc, out int written)
    {
        written = 0;
        if (!RtcpFeedback.TryWriteHeader(destination, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.PictureLossIndication, Size,
                senderSsrc, mediaSsrc, out _))
            return false;
        written = Size;
        return true;
    }
}
