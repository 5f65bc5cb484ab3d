using System.Net;
using Huddle.Media.Sdp;
using Huddle.Media.Transport;

namespace Huddle.Load;

/// <summary>
/// The descriptions a participant made of our own stack exchanges with Huddle's SFU (docs/protocol.md,
/// "SFU rooms"): its publish offer, its answer to a subscribe offer, and the connection to the server's
/// candidate once a description arrives.
/// </summary>
public static class SfuSdp
{
    /// <summary>A sendonly offer with an Opus section (mid 0) and/or a VP8 section (mid 1 or 0).</summary>
    public static SessionDescription PublishOffer(WebRtcClient client, string name, uint? audioSsrc, uint? videoSsrc)
    {
        IPEndPoint local = client.LocalEndPoint;
        var media = new List<OfferMediaOptions>();
        if (audioSsrc is { } audio)
        {
            media.Add(new OfferMediaOptions { Mid = media.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Kind = SdpMediaKind.Audio, Codecs = [WebRtcCodecs.Opus()], Stream = new SdpSendStream(audio, name, name, "mic") });
        }
        if (videoSsrc is { } video)
        {
            media.Add(new OfferMediaOptions { Mid = media.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Kind = SdpMediaKind.Video, Codecs = [WebRtcCodecs.Vp8()], Stream = new SdpSendStream(video, name, name, "cam") });
        }
        return SdpOfferBuilder.Build(new OfferOptions
        {
            IceUfrag = client.LocalIce.Ufrag,
            IcePwd = client.LocalIce.Password,
            IceLite = false,
            Fingerprint = client.LocalFingerprint,
            Candidates = [SdpCandidate.Host(local.Address.ToString(), local.Port)],
            Media = media,
        });
    }

    /// <summary>Receives every section the server offers, DTLS client (<c>a=setup:active</c>).</summary>
    public static SessionDescription SubscribeAnswer(WebRtcClient client, SessionDescription offer) =>
        SdpAnswerBuilder.Build(offer, new AnswerOptions
        {
            IceUfrag = client.LocalIce.Ufrag,
            IcePwd = client.LocalIce.Password,
            IceLite = false,
            Fingerprint = client.LocalFingerprint,
            Setup = SdpSetup.Active,
            ChooseMedia = _ => MediaAnswerChoice.Receive,
        });

    /// <summary>
    /// ICE towards the first candidate of <paramref name="remote"/> (the first IPv4 loopback one with
    /// <paramref name="loopbackOnly"/>, which refuses descriptions without one), then DTLS; completes when
    /// SRTP is keyed.
    /// </summary>
    public static Task ConnectAsync(WebRtcClient client, SessionDescription remote, CancellationToken cancellationToken = default, bool loopbackOnly = false)
    {
        SdpMediaSection media = remote.Media.First(m => !m.IsRejected);
        IEnumerable<SdpCandidate> candidates = media.Candidates.Concat(remote.Media.SelectMany(m => m.Candidates));
        SdpCandidate candidate = loopbackOnly
            ? candidates.FirstOrDefault(c => IPAddress.TryParse(c.Address, out IPAddress? a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && IPAddress.IsLoopback(a))
                ?? throw new InvalidOperationException($"no 127.x candidate in the description (it has {string.Join(", ", candidates.Select(c => c.Address).Distinct())})")
            : candidates.First();
        return client.ConnectAsync(new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port),
            remote.IceUfragFor(media)!, remote.IcePwdFor(media)!, remote.FingerprintsFor(media)[0], cancellationToken);
    }
}
