using Huddle.Media.Sdp;
using static Huddle.Media.Tests.SdpSamples;

namespace Huddle.Media.Tests;

public sealed class SdpOfferTests
{
    private static readonly SdpCandidate Host = SdpCandidate.Host("2001:db8::10", 40000, foundation: "2");

    private static readonly SdpExtmap[] AudioExtmaps =
    [
        new(1, RtpHeaderExtensionUris.AudioLevel),
        new(3, RtpHeaderExtensionUris.TransportWideCc),
        new(4, RtpHeaderExtensionUris.Mid),
    ];

    private static readonly SdpExtmap[] VideoExtmaps =
    [
        new(2, RtpHeaderExtensionUris.AbsSendTime),
        new(3, RtpHeaderExtensionUris.TransportWideCc),
        new(4, RtpHeaderExtensionUris.Mid),
        new(13, RtpHeaderExtensionUris.VideoOrientation),
    ];

    private static OfferOptions Options => new()
    {
        IceUfrag = "sUbS",
        IcePwd = "c3Vic2NyaWJlc3Vic2NyaWJl",
        Fingerprint = SdpFingerprint.Parse("sha-256", ServerFingerprint),
        Candidates = [Host],
        SessionId = 42,
        SessionVersion = 3,
        Media =
        [
            new OfferMediaOptions
            {
                Mid = "a0",
                Kind = SdpMediaKind.Audio,
                Codecs = [WebRtcCodecs.Opus()],
                Extmaps = AudioExtmaps,
                Stream = new SdpSendStream(1001, "huddle", "peer-1", "peer-1-mic"),
            },
            new OfferMediaOptions
            {
                Mid = "v0",
                Codecs = [WebRtcCodecs.Vp8(), WebRtcCodecs.Rtx(97, 96), WebRtcCodecs.H264(), WebRtcCodecs.Rtx(114, 109)],
                Extmaps = VideoExtmaps,
                Stream = new SdpSendStream(2001, "huddle", "peer-1", "peer-1-cam") { RtxSsrc = 2002 },
            },
            new OfferMediaOptions
            {
                Mid = "v1",
                Codecs = [WebRtcCodecs.Vp8()],
                Disabled = true,
            },
            new OfferMediaOptions { Mid = "dc", Kind = SdpMediaKind.Application },
        ],
    };

    [Fact]
    public void Builds_a_sendonly_ICE_lite_BUNDLE_offer()
    {
        var offer = SdpOfferBuilder.Build(Options);
        Assert.Equal(offer, SessionDescription.Parse(offer.Write()));

        Assert.Equal(new SdpOrigin("-", "42", 3), offer.Origin);
        Assert.True(offer.IceLite);
        Assert.Equal(["a0", "v0", "dc"], offer.BundleGroup!.Mids);
        Assert.Equal(["peer-1"], offer.MsidSemantic!.Ids);
        Assert.Equal(["a0", "v0", "v1", "dc"], offer.Media.Select(m => m.Mid));

        foreach (var m in offer.Media.Where(m => !m.IsRejected))
        {
            Assert.Equal(40000, m.Port);
            Assert.Equal(new SdpConnection("IN", "IP6", "2001:db8::10"), m.Connection);
            Assert.Equal("sUbS", m.IceUfrag);
            Assert.Equal(SdpSetup.ActPass, m.Setup);
            Assert.Equal(ServerFingerprint, m.Fingerprints[0].HexValue);
            Assert.Equal([Host], m.Candidates);
            Assert.True(m.EndOfCandidates);
        }

        var audio = offer.Media[0];
        Assert.Equal(SdpDirection.SendOnly, audio.Direction);
        Assert.Equal(["111"], audio.Formats);
        Assert.Equal(AudioExtmaps, audio.Extmaps);
        Assert.True(audio.RtcpMux);
        Assert.True(audio.RtcpRsize);
        Assert.Equal([new SdpMsid("peer-1", "peer-1-mic")], audio.Msids);
        Assert.Equal("huddle", Assert.Single(audio.Ssrcs).Cname);

        var video = offer.Media[1];
        Assert.Equal(["96", "97", "109", "114"], video.Formats);
        Assert.Equal(97, video.GetRtxPayloadType(96));
        Assert.Equal(114, video.GetRtxPayloadType(109));
        Assert.Equal([new SdpSsrcGroup("FID", [2001u, 2002u])], video.SsrcGroups);
        Assert.Equal("peer-1-cam", video.FindSsrc(2002)!.Msid!.TrackId);

        var disabled = offer.Media[2];
        Assert.Equal(0, disabled.Port);
        Assert.True(disabled.IsRejected);
        Assert.Equal(SdpDirection.Inactive, disabled.Direction);
        Assert.Empty(disabled.Candidates);
        Assert.Empty(disabled.Ssrcs);

        var dc = offer.Media[3];
        Assert.Equal(SdpProtocols.UdpDtlsSctp, dc.Protocol);
        Assert.Equal(5000, dc.SctpPort);
        Assert.Equal(262144, dc.MaxMessageSize);

        string text = offer.Write();
        Assert.Contains(
            "m=video 40000 UDP/TLS/RTP/SAVPF 96 97 109 114\r\nc=IN IP6 2001:db8::10\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
            "a=ice-ufrag:sUbS\r\na=ice-pwd:c3Vic2NyaWJlc3Vic2NyaWJl\r\na=fingerprint:sha-256 " + ServerFingerprint +
            "\r\na=setup:actpass\r\na=mid:v0\r\n", text);
        Assert.Contains(
            "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 ccm fir\r\n" +
            "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n", text);
        Assert.Contains("a=candidate:2 1 udp 2130706431 2001:db8::10 40000 typ host\r\na=end-of-candidates\r\n", text);
    }

    [Fact]
    public void A_browser_style_answer_to_our_offer_accepts_what_we_offered()
    {
        // Answering our own offer with the answer builder stands in for the browser: it must find
        // every codec and extension acceptable and turn sendonly into recvonly.
        var offer = SessionDescription.Parse(SdpOfferBuilder.Build(Options).Write());
        var answer = SdpAnswerBuilder.Build(offer, new AnswerOptions
        {
            IceUfrag = "BrWs",
            IcePwd = "YnJvd3NlcmJyb3dzZXJicm93",
            Fingerprint = SdpFingerprint.Parse("sha-256", ChromeFingerprint),
            Setup = SdpSetup.Active,
            IceLite = false,
            AcceptDataChannel = true,
        });
        Assert.Equal(["a0", "v0", "dc"], answer.BundleGroup!.Mids);
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[0].Direction);
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[1].Direction);
        Assert.True(answer.Media[2].IsRejected);
        Assert.Equal(offer.Media[0].Codecs, answer.Media[0].Codecs);
        Assert.Equal(offer.Media[1].Codecs, answer.Media[1].Codecs);
        Assert.Equal(offer.Media[1].Extmaps, answer.Media[1].Extmaps);
        Assert.Equal(SdpSetup.Active, answer.Media[0].Setup);
    }

    [Fact]
    public void Invalid_offer_options_throw()
    {
        var audio = Options.Media[0];
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with { Media = [] }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with { Media = [audio, audio] }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with { Media = [audio with { Mid = "a b" }] }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with { Media = [audio with { Codecs = [] }] }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with
        {
            Media = [audio with { Codecs = [WebRtcCodecs.Opus(), WebRtcCodecs.Opus()] }],
        }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with
        {
            Media = [audio with { Codecs = [WebRtcCodecs.Opus(), WebRtcCodecs.Rtx(97, 96)] }],
        }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with
        {
            Media = [audio with { Extmaps = [new SdpExtmap(1, "a"), new SdpExtmap(1, "b")] }],
        }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with { Media = [audio with { Kind = SdpMediaKind.Other }] }));
        Assert.Throws<ArgumentException>(() => SdpOfferBuilder.Build(Options with { IcePwd = "x" }));
    }
}
