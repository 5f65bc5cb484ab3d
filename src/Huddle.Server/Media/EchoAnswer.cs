using System.Net;
using Huddle.Media.Ice;
using Huddle.Media.Sdp;

namespace Huddle.Server.Media;

/// <summary>A browser's offer, read with Huddle.Media's SDP model, with what the echo needs checked.</summary>
internal sealed record EchoOffer(SessionDescription Sdp, string IceUfrag, SdpFingerprint Fingerprint)
{
    public int SectionCount => Sdp.Media.Count;

    public static EchoOffer Parse(string text)
    {
        if (!SessionDescription.TryParse(text, out SessionDescription? sdp, out string? error) || sdp is null)
            throw Bad($"The offer is not valid SDP: {error}");
        var media = sdp.Media.Where(m => m.Kind is SdpMediaKind.Audio or SdpMediaKind.Video && m.Port != 0).ToList();
        if (media.Count == 0) throw Bad("The offer has no audio or video.");
        if (media.Count > 16) throw Bad("The self-test takes at most 16 media sections.");
        // One transport for everything (BUNDLE): every section must carry the same credentials.
        var ufrags = media.Select(sdp.IceUfragFor).Distinct().ToList();
        var passwords = media.Select(sdp.IcePwdFor).Distinct().ToList();
        if (ufrags.Count != 1 || passwords.Count != 1) throw Bad("Every section must use the same ICE credentials (BUNDLE).");
        if (!IceCredentials.IsValid(ufrags[0], password: false) || !IceCredentials.IsValid(passwords[0], password: true))
            throw Bad("The offer has no valid a=ice-ufrag / a=ice-pwd.");
        // Prefer sha-256, as browsers send; any hash DTLS-SRTP uses will do.
        SdpFingerprint? fingerprint = sdp.FingerprintsFor(media[0]).Where(f => f.IsSupportedHash)
            .OrderBy(f => f.Algorithm.Equals("sha-256", StringComparison.OrdinalIgnoreCase) ? 0 : 1).FirstOrDefault();
        if (fingerprint is null) throw Bad("The offer has no usable a=fingerprint.");
        if (media.Any(m => string.IsNullOrEmpty(m.Mid))) throw Bad("Every media section needs an a=mid (BUNDLE).");
        if (sdp.SetupFor(media[0]) is SdpSetup.Passive or SdpSetup.HoldConn) throw Bad("The echo is the DTLS server: offer a=setup:actpass or active.");
        return new EchoOffer(sdp, ufrags[0]!, fingerprint);
    }

    private static EchoException Bad(string message) => new(400, "bad-offer", message);
}

/// <summary>
/// The server's answer to a self-test offer, built by <see cref="SdpAnswerBuilder"/> (JSEP §5.3): ICE-lite,
/// DTLS passive, each accepted section sendrecv with the offer's payload types and extension ids, and
/// our SSRCs paired with the browser's (the echo sends its media back under those).
/// </summary>
internal static class EchoAnswer
{
    private static readonly IReadOnlyList<string> Extensions =
    [
        RtpHeaderExtensionUris.Mid, RtpHeaderExtensionUris.AbsSendTime, RtpHeaderExtensionUris.TransportWideCc, RtpHeaderExtensionUris.AudioLevel,
    ];

    public static string Build(EchoOffer offer, EchoSession session, IReadOnlyList<IPEndPoint> candidates)
    {
        int foundation = 1;
        var options = new AnswerOptions
        {
            IceUfrag = session.Transport.LocalIce.Ufrag,
            IcePwd = session.Transport.LocalIce.Password,
            Fingerprint = session.Transport.LocalFingerprint,
            // Decreasing local preference: browsers try the first address first.
            Candidates = [.. candidates.Select(c => SdpCandidate.Host(c.Address.ToString(), c.Port,
                SdpCandidate.ComputePriority(126, 65535 - foundation, 1), (foundation++).ToString(System.Globalization.CultureInfo.InvariantCulture)))],
            HeaderExtensions = Extensions,
            SessionVersion = session.NextAnswerVersion(),
            ChooseMedia = section => Choose(section, session),
        };
        return SdpAnswerBuilder.Build(offer.Sdp, options).Write();
    }

    /// <summary>Send back under our SSRC what the browser sends under its own; RTX paired the same way.</summary>
    private static MediaAnswerChoice Choose(SdpMediaSection section, EchoSession session)
    {
        SdpSsrcGroup? fid = section.SsrcGroups.FirstOrDefault(g => g.Semantics == "FID" && g.Ssrcs.Count == 2);
        uint? primary = fid?.Ssrcs[0] ?? (section.Ssrcs.Count > 0 ? section.Ssrcs[0].Ssrc : null);
        if (primary is null) return MediaAnswerChoice.Receive;
        var stream = new SdpSendStream(session.OurSsrc(primary.Value), "huddle-echo", "huddle-echo", $"echo-{section.Mid}")
        {
            RtxSsrc = fid is null ? null : session.OurSsrc(fid.Ssrcs[1]),
        };
        return MediaAnswerChoice.SendReceive(stream);
    }
}
