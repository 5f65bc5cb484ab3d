using System.Globalization;

namespace Huddle.Media.Sdp;

/// <summary>Header extension URIs (RFC 8285 registrations and the webrtc.org experiments).</summary>
public static class RtpHeaderExtensionUris
{
    public const string AudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    public const string AbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public const string TransportWideCc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    public const string Mid = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public const string RtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    public const string RepairedRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    public const string VideoOrientation = "urn:3gpp:video-orientation";
    public const string TimeOffset = "urn:ietf:params:rtp-hdrext:toffset";
    public const string PlayoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";

    /// <summary>What an SFU that forwards RTP understands: levels, congestion control, BUNDLE and simulcast demux, rotation.</summary>
    public static IReadOnlyList<string> DefaultSupported { get; } =
        [AudioLevel, AbsSendTime, TransportWideCc, Mid, RtpStreamId, RepairedRtpStreamId, VideoOrientation];
}

/// <summary>RTCP feedback values (RFC 4585, RFC 5104, webrtc.org).</summary>
public static class RtcpFeedbackTypes
{
    public const string Nack = "nack";
    public const string NackPli = "nack pli";
    public const string CcmFir = "ccm fir";
    public const string GoogRemb = "goog-remb";
    public const string TransportCc = "transport-cc";

    public static IReadOnlyList<string> DefaultSupported { get; } = [Nack, NackPli, CcmFir, GoogRemb, TransportCc];

    public static ValueList<string> Video { get; } = [GoogRemb, TransportCc, CcmFir, Nack, NackPli];
}

/// <summary>Codec descriptions as Chromium writes them, for offers the server makes.</summary>
public static class WebRtcCodecs
{
    public static SdpCodec Opus(int payloadType = 111) =>
        new(payloadType, "opus", 48000, 2)
        {
            Fmtp = SdpFmtp.Parse("minptime=10;useinbandfec=1"),
            RtcpFeedback = [RtcpFeedbackTypes.TransportCc],
        };

    public static SdpCodec Vp8(int payloadType = 96) =>
        new(payloadType, "VP8", 90000) { RtcpFeedback = RtcpFeedbackTypes.Video };

    public static SdpCodec Vp9(int payloadType = 98, int profileId = 0) =>
        new(payloadType, "VP9", 90000)
        {
            Fmtp = SdpFmtp.Parse("profile-id=" + profileId.ToString(CultureInfo.InvariantCulture)),
            RtcpFeedback = RtcpFeedbackTypes.Video,
        };

    /// <summary>H.264 with packetization-mode 1; the default profile-level-id is constrained baseline level 3.1.</summary>
    public static SdpCodec H264(int payloadType = 109, string profileLevelId = "42e01f") =>
        new(payloadType, "H264", 90000)
        {
            Fmtp = SdpFmtp.Parse("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profileLevelId),
            RtcpFeedback = RtcpFeedbackTypes.Video,
        };

    public static SdpCodec Av1(int payloadType = 45) =>
        new(payloadType, "AV1", 90000)
        {
            Fmtp = SdpFmtp.Parse("level-idx=5;profile=0;tier=0"),
            RtcpFeedback = RtcpFeedbackTypes.Video,
        };

    /// <summary>RTX (RFC 4588) for <paramref name="associatedPayloadType"/>.</summary>
    public static SdpCodec Rtx(int payloadType, int associatedPayloadType, int clockRate = 90000) =>
        new(payloadType, "rtx", clockRate)
        {
            Fmtp = SdpFmtp.Parse("apt=" + associatedPayloadType.ToString(CultureInfo.InvariantCulture)),
        };
}

/// <summary>
/// H.264 <c>profile-level-id</c> (RFC 6184 §8.1): three bytes in hex, profile_idc, profile-iop
/// (constraint_set0..5 flags, most significant bit first) and level_idc.
/// </summary>
public static class H264ProfileLevelId
{
    /// <summary>RFC 6184's default when the parameter is absent: Baseline, level 1.</summary>
    public const string Default = "42000a";

    public static bool TryParse(string? value, out byte profileIdc, out byte profileIop, out byte levelIdc)
    {
        profileIdc = profileIop = levelIdc = 0;
        if (value is null || value.Length != 6
            || !uint.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v))
        {
            return false;
        }
        profileIdc = (byte)(v >> 16);
        profileIop = (byte)(v >> 8);
        levelIdc = (byte)v;
        return true;
    }

    /// <summary>
    /// Whether the profile is Constrained Baseline, decided as libwebrtc does: profile_idc 0x42
    /// (Baseline) with constraint_set1 (iop x1xx0000, e.g. 42e0, 42c0, 4240); 0x4D (Main) with
    /// constraint_set0 (1xxx0000); or 0x58 (Extended) with constraint_set0 and 1 (11xx0000).
    /// 42001f (plain Baseline, no constraint flags), 4d001f (Main) and 64001f (High) are not.
    /// </summary>
    public static bool IsConstrainedBaseline(string? profileLevelId)
    {
        if (!TryParse(profileLevelId ?? Default, out byte idc, out byte iop, out _)) return false;
        if ((iop & 0x0f) != 0) return false;
        return idc switch
        {
            0x42 => (iop & 0x40) != 0,
            0x4d => (iop & 0x80) != 0,
            0x58 => (iop & 0xc0) == 0xc0,
            _ => false,
        };
    }
}
