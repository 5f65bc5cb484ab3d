using System.Globalization;
using System.Net;
using System.Text;
using Huddle.Media.Rtp;

namespace Huddle.Server.Media;

/// <summary>
/// The server's answer to a self-test offer (JSEP §5.3): ICE-lite, DTLS passive, every accepted section
/// sendrecv with the offer's payload types and extension ids, and one of our SSRCs paired with each of
/// the browser's (the echo sends its media back under those).
/// </summary>
internal static class EchoAnswer
{
    private static readonly HashSet<string> Extensions =
    [
        RtpExtensionUris.SdesMid, RtpExtensionUris.AbsSendTime, RtpExtensionUris.TransportWideCc, RtpExtensionUris.SsrcAudioLevel,
    ];

    private static readonly HashSet<string> Feedback = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"];

    public static string Build(EchoOffer offer, EchoSession session, IReadOnlyList<IPEndPoint> candidates)
    {
        var sdp = new StringBuilder(4096);
        sdp.Append("v=0\r\n");
        sdp.Append("o=- ").Append(ulong.Parse(session.Id.AsSpan(0, 12), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).Append(" 2 IN IP4 127.0.0.1\r\n");
        sdp.Append("s=Huddle media self-test\r\nt=0 0\r\n");
        sdp.Append("a=ice-lite\r\n");
        var accepted = offer.Sections.Where(Accepts).Select(s => s.Mid!).ToList();
        sdp.Append("a=group:BUNDLE ").AppendJoin(' ', accepted).Append("\r\n");
        sdp.Append("a=msid-semantic: WMS huddle-echo\r\n");
        foreach (EchoOffer.Section section in offer.Sections)
        {
            if (!Accepts(section))
            {
                // Rejected, but still listed in order (JSEP §5.3.1).
                sdp.Append("m=").Append(section.Kind).Append(" 0 ").Append(section.Protocol).Append(' ').AppendJoin(' ', section.Formats).Append("\r\n");
                sdp.Append("c=IN IP4 0.0.0.0\r\n");
                sdp.Append("a=mid:").Append(section.Mid).Append("\r\n");
                continue;
            }
            List<string> payloadTypes = AcceptedPayloadTypes(section);
            sdp.Append("m=").Append(section.Kind).Append(" 9 UDP/TLS/RTP/SAVPF ").AppendJoin(' ', payloadTypes).Append("\r\n");
            sdp.Append("c=IN IP4 0.0.0.0\r\n");
            sdp.Append("a=rtcp:9 IN IP4 0.0.0.0\r\n");
            sdp.Append("a=ice-ufrag:").Append(session.Transport.LocalIce.Ufrag).Append("\r\n");
            sdp.Append("a=ice-pwd:").Append(session.Transport.LocalIce.Password).Append("\r\n");
            sdp.Append("a=fingerprint:").Append(session.Transport.LocalFingerprint).Append("\r\n");
            sdp.Append("a=setup:passive\r\n");
            sdp.Append("a=mid:").Append(section.Mid).Append("\r\n");
            foreach (var (id, uri) in section.Extmaps.Where(e => Extensions.Contains(e.Uri)))
                sdp.Append("a=extmap:").Append(id).Append(' ').Append(uri).Append("\r\n");
            sdp.Append("a=").Append(AnswerDirection(section.Direction)).Append("\r\n");
            string track = $"echo-{section.Mid}";
            sdp.Append("a=msid:huddle-echo ").Append(track).Append("\r\n");
            sdp.Append("a=rtcp-mux\r\n");
            if (section.RtcpRsize) sdp.Append("a=rtcp-rsize\r\n");
            foreach (string pt in payloadTypes)
            {
                sdp.Append("a=rtpmap:").Append(pt).Append(' ').Append(section.RtpMaps[pt]).Append("\r\n");
                foreach (var (fbPt, value) in section.RtcpFeedback)
                {
                    if (fbPt == pt && Feedback.Contains(value)) sdp.Append("a=rtcp-fb:").Append(pt).Append(' ').Append(value).Append("\r\n");
                }
                if (section.Fmtps.TryGetValue(pt, out string? fmtp)) sdp.Append("a=fmtp:").Append(pt).Append(' ').Append(fmtp).Append("\r\n");
            }
            if (section.Direction is "sendrecv" or "sendonly")
            {
                foreach (var (primary, repair) in section.FidGroups)
                    sdp.Append("a=ssrc-group:FID ").Append(session.OurSsrc(primary)).Append(' ').Append(session.OurSsrc(repair)).Append("\r\n");
                foreach (uint ssrc in section.Ssrcs)
                {
                    uint ours = session.OurSsrc(ssrc);
                    sdp.Append("a=ssrc:").Append(ours).Append(" cname:huddle-echo\r\n");
                    sdp.Append("a=ssrc:").Append(ours).Append(" msid:huddle-echo ").Append(track).Append("\r\n");
                }
            }
            int foundation = 1;
            foreach (IPEndPoint candidate in candidates)
            {
                // RFC 8445 §5.1.2.1 host priority, with a decreasing local preference so the first address is preferred.
                uint priority = (126u << 24) | ((uint)(65535 - foundation) << 8) | 255;
                sdp.Append("a=candidate:").Append(foundation++).Append(" 1 udp ").Append(priority.ToString(CultureInfo.InvariantCulture))
                    .Append(' ').Append(candidate.Address).Append(' ').Append(candidate.Port).Append(" typ host\r\n");
            }
            sdp.Append("a=end-of-candidates\r\n");
        }
        return sdp.ToString();
    }

    private static bool Accepts(EchoOffer.Section section) =>
        section.Kind is "audio" or "video" && section.Protocol.Contains("RTP/SAVPF", StringComparison.Ordinal) && AcceptedPayloadTypes(section).Count > 0;

    private static string AnswerDirection(string offered) => offered switch
    {
        "sendonly" => "recvonly",
        "recvonly" => "sendonly",
        "inactive" => "inactive",
        _ => "sendrecv",
    };

    /// <summary>Opus for audio; VP8, VP9, AV1 and constrained-baseline H.264 (packetization-mode=1) for video; RTX for those.</summary>
    private static List<string> AcceptedPayloadTypes(EchoOffer.Section section)
    {
        var media = new List<string>();
        foreach (string pt in section.Formats)
        {
            if (!section.RtpMaps.TryGetValue(pt, out string? map)) continue;
            string codec = map.Split('/')[0].ToUpperInvariant();
            section.Fmtps.TryGetValue(pt, out string? fmtp);
            fmtp ??= "";
            bool ok = codec switch
            {
                "OPUS" => section.Kind == "audio",
                "VP8" or "VP9" or "AV1" => section.Kind == "video",
                "H264" => section.Kind == "video" && fmtp.Contains("packetization-mode=1", StringComparison.Ordinal)
                    && (fmtp.Contains("profile-level-id=42e0", StringComparison.OrdinalIgnoreCase) || fmtp.Contains("profile-level-id=4200", StringComparison.OrdinalIgnoreCase)),
                _ => false,
            };
            if (ok) media.Add(pt);
        }
        var result = new List<string>(media);
        foreach (string pt in section.Formats)
        {
            if (!section.RtpMaps.TryGetValue(pt, out string? map) || !map.StartsWith("rtx/", StringComparison.OrdinalIgnoreCase)) continue;
            if (section.Fmtps.TryGetValue(pt, out string? fmtp) && fmtp.StartsWith("apt=", StringComparison.Ordinal) && media.Contains(fmtp[4..])) result.Add(pt);
        }
        return result;
    }
}
