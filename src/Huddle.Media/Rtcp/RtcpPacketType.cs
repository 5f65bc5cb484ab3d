namespace Huddle.Media.Rtcp;

/// <summary>
/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611). Values outside the named ones are
/// kept as they are: an unknown type is still a packet.
/// </summary>
public enum RtcpPacketType : byte
{
    SenderReport = 200,
    ReceiverReport = 201,
    SourceDescription = 202,
    Goodbye = 203,
    ApplicationDefined = 204,
    /// <summary>RTPFB: transport-layer feedback (RFC 4585 §6.2).</summary>
    TransportFeedback = 205,
    /// <summary>PSFB: payload-specific feedback (RFC 4585 §6.3).</summary>
    PayloadFeedback = 206,
    /// <summary>XR (RFC 3611).</summary>
    ExtendedReport = 207,
}

/// <summary>The FMT values of the feedback messages this library reads (in the count field of the header).</summary>
public static class RtcpFeedbackFormat
{
    /// <summary>RTPFB FMT 1: Generic NACK (RFC 4585 §6.2.1).</summary>
    public const int GenericNack = 1;
    /// <summary>RTPFB FMT 15: transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).</summary>
    public const int TransportCc = 15;
    /// <summary>PSFB FMT 1: Picture Loss Indication (RFC 4585 §6.3.1).</summary>
    public const int PictureLossIndication = 1;
    /// <summary>PSFB FMT 4: Full Intra Request (RFC 5104 §4.3.1).</summary>
    public const int FullIntraRequest = 4;
    /// <summary>PSFB FMT 15: application layer feedback (RFC 4585 §6.4); REMB is one (draft-alvestrand-rmcat-remb §2).</summary>
    public const int ApplicationLayer = 15;
}

/// <summary>Which typed view reads a packet; <see cref="Unknown"/> packets are kept raw.</summary>
public enum RtcpPacketKind : byte
{
    Unknown = 0,
    SenderReport,
    ReceiverReport,
    SourceDescription,
    Goodbye,
    GenericNack,
    TransportCcFeedback,
    PictureLossIndication,
    FullIntraRequest,
    ReceiverEstimatedMaxBitrate,
}
