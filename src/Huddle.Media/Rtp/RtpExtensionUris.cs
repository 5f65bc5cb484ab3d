namespace Huddle.Media.Rtp;

/// <summary>
/// The a=extmap URIs of the header extensions WebRTC negotiates (RFC 8285 §5). The local ids they
/// map to differ per session, so code looks ids up by these names.
/// </summary>
public static class RtpExtensionUris
{
    /// <summary>RFC 8843 §15.2: the media identification (BUNDLE mid) of the m= section.</summary>
    public const string SdesMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// <summary>RFC 8852 §3.1: the RtpStreamId (rid) of a simulcast layer.</summary>
    public const string SdesRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// <summary>RFC 8852 §3.2: the rid of the stream an RTX/FEC stream repairs.</summary>
    public const string SdesRepairedRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// <summary>Google's 24-bit 6.18 fixed-point send time, used by REMB bandwidth estimation.</summary>
    public const string AbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// <summary>draft-holmer-rmcat-transport-wide-cc-extensions-01 §2: a 16-bit sequence number across all streams.</summary>
    public const string TransportWideCc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// <summary>RFC 6464: client-to-mixer audio level with a voice activity flag.</summary>
    public const string SsrcAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
}
