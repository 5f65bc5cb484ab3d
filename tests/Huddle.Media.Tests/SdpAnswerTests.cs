using Huddle.Media.Sdp;
using static Huddle.Media.Tests.SdpSamples;

namespace Huddle.Media.Tests;

public sealed class SdpAnswerTests
{
    private const string Ufrag = "hUdL";
    private const string Pwd = "Qm9vZ2llV29vZ2llQm9vZ2ll";

    private static readonly SdpCandidate Host = SdpCandidate.Host("203.0.113.10", 40000, foundation: "1");

    private static AnswerOptions Options => new()
    {
        IceUfrag = Ufrag,
        IcePwd = Pwd,
        Fingerprint = SdpFingerprint.Parse("sha-256", ServerFingerprint),
        Candidates = [Host],
        SessionId = 1234567890123456789,
    };

    private static SessionDescription Offer(string text = ChromeOffer) => SessionDescription.Parse(Crlf(text));

    private static SessionDescription RoundTripped(SessionDescription answer)
    {
        var again = SessionDescription.Parse(answer.Write());
        Assert.Equal(answer, again);
        return again;
    }

    [Fact]
    public void Answers_every_section_in_order_with_the_same_mids()
    {
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(), Options));
        Assert.Equal(["0", "1", "2"], answer.Media.Select(m => m.Mid));
        Assert.Equal(["audio", "video", "application"], answer.Media.Select(m => m.Media));
        Assert.Equal(new SdpOrigin("-", "1234567890123456789", 1), answer.Origin);
        Assert.True(answer.IceLite);
        Assert.Equal(["0", "1"], answer.BundleGroup!.Mids);
        Assert.Equal("0", answer.BundleTagSection!.Mid);
        Assert.False(answer.ExtmapAllowMixed);
    }

    [Fact]
    public void Accepted_sections_carry_ICE_DTLS_and_the_BUNDLE_address()
    {
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(), Options));
        foreach (var m in answer.Media.Take(2))
        {
            Assert.Equal(40000, m.Port);
            Assert.Equal(new SdpConnection("IN", "IP4", "203.0.113.10"), m.Connection);
            Assert.Equal(Ufrag, m.IceUfrag);
            Assert.Equal(Pwd, m.IcePwd);
            Assert.Equal(ServerFingerprint, Assert.Single(m.Fingerprints).HexValue);
            Assert.Equal("sha-256", m.Fingerprints[0].Algorithm);
            Assert.Equal(SdpSetup.Passive, m.Setup);
            Assert.True(m.RtcpMux);
            Assert.True(m.RtcpRsize);
        }
        // Candidates only in the answerer-tagged section (RFC 9143 §10.1).
        Assert.Equal([Host], answer.Media[0].Candidates);
        Assert.True(answer.Media[0].EndOfCandidates);
        Assert.Empty(answer.Media[1].Candidates);
        Assert.False(answer.Media[1].EndOfCandidates);

        string text = answer.Write();
        Assert.StartsWith("v=0\r\no=- 1234567890123456789 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", text);
        Assert.Contains("\r\na=ice-lite\r\n", text);
        Assert.Contains("\r\na=group:BUNDLE 0 1\r\n", text);
        Assert.Contains("\r\na=candidate:1 1 udp 2130706431 203.0.113.10 40000 typ host\r\na=end-of-candidates\r\n", text);
        Assert.Contains("\r\na=fingerprint:sha-256 " + ServerFingerprint + "\r\na=setup:passive\r\n", text);
        Assert.Contains("\r\nm=audio 40000 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 203.0.113.10\r\n", text);
        Assert.DoesNotContain("ice-options", text);
    }

    [Fact]
    public void Audio_keeps_only_opus_with_its_payload_type_fmtp_and_feedback()
    {
        var audio = SdpAnswerBuilder.Build(Offer(), Options).Media[0];
        Assert.Equal(["111"], audio.Formats);
        var opus = Assert.Single(audio.Codecs);
        Assert.Equal(new SdpCodec(111, "opus", 48000, 2)
        {
            Fmtp = SdpFmtp.Parse("minptime=10;useinbandfec=1"),
            RtcpFeedback = ["transport-cc"],
        }, opus);
        Assert.Equal(
            [
                new SdpExtmap(1, RtpHeaderExtensionUris.AudioLevel),
                new SdpExtmap(2, RtpHeaderExtensionUris.AbsSendTime),
                new SdpExtmap(3, RtpHeaderExtensionUris.TransportWideCc),
                new SdpExtmap(4, RtpHeaderExtensionUris.Mid),
            ],
            audio.Extmaps);
        Assert.Equal(SdpDirection.RecvOnly, audio.Direction);
        Assert.Empty(audio.Msids);
        Assert.Empty(audio.Ssrcs);
    }

    [Fact]
    public void Video_keeps_supported_codecs_and_their_rtx_with_the_offered_payload_types()
    {
        var offerVideo = Offer().Media[1];
        var video = SdpAnswerBuilder.Build(Offer(), Options).Media[1];

        // VP8+rtx, H264 42e01f pm=1 + rtx, AV1+rtx, VP9 profile 0 and 2 + rtx, in the offer's order.
        Assert.Equal(["96", "97", "109", "114", "45", "46", "98", "99", "100", "101"], video.Formats);
        Assert.Equal(["VP8", "rtx", "H264", "rtx", "AV1", "rtx", "VP9", "rtx", "VP9", "rtx"], video.Codecs.Select(c => c.Name));
        foreach (var codec in video.Codecs)
        {
            var offered = offerVideo.FindCodec(codec.PayloadType)!;
            Assert.Equal(offered.Fmtp, codec.Fmtp);
            Assert.Equal(offered, codec);
        }
        Assert.Equal(97, video.GetRtxPayloadType(96));
        Assert.Equal(114, video.GetRtxPayloadType(109));
        Assert.Equal("42e01f", video.FindCodec(109)!.Fmtp!.Get("profile-level-id"));

        // Dropped: H264 baseline without constraint flags (103), packetization-mode 0 (107, 115),
        // Main (39) and High (112) profiles with their rtx, red, its rtx and ulpfec.
        foreach (int pt in new[] { 103, 104, 107, 108, 115, 116, 39, 40, 112, 113, 117, 118, 119 })
        {
            Assert.Null(video.FindCodec(pt));
        }

        Assert.Equal(
            [(2, RtpHeaderExtensionUris.AbsSendTime), (13, RtpHeaderExtensionUris.VideoOrientation),
             (3, RtpHeaderExtensionUris.TransportWideCc), (4, RtpHeaderExtensionUris.Mid),
             (10, RtpHeaderExtensionUris.RtpStreamId), (11, RtpHeaderExtensionUris.RepairedRtpStreamId)],
            video.Extmaps.Select(e => (e.Id, e.Uri)));
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);
        Assert.Null(video.Simulcast);
    }

    [Fact]
    public void Data_channel_is_rejected_by_default_and_stays_listed()
    {
        var app = SdpAnswerBuilder.Build(Offer(), Options).Media[2];
        Assert.Equal(0, app.Port);
        Assert.True(app.IsRejected);
        Assert.Equal("2", app.Mid);
        Assert.Equal(SdpProtocols.UdpDtlsSctp, app.Protocol);
        Assert.Equal([SdpProtocols.WebRtcDataChannel], app.Formats);
        Assert.Null(app.IceUfrag);
        Assert.Empty(app.Candidates);
        Assert.Null(app.SctpPort);
    }

    [Fact]
    public void Data_channel_is_accepted_when_enabled()
    {
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(), Options with { AcceptDataChannel = true, MaxMessageSize = 65536 }));
        var app = answer.Media[2];
        Assert.Equal(["0", "1", "2"], answer.BundleGroup!.Mids);
        Assert.Equal(40000, app.Port);
        Assert.Equal(5000, app.SctpPort);
        Assert.Equal(65536, app.MaxMessageSize);
        Assert.Equal(Ufrag, app.IceUfrag);
        Assert.Null(app.Direction);
        Assert.Contains("m=application 40000 UDP/DTLS/SCTP webrtc-datachannel\r\n", answer.Write());
    }

    [Fact]
    public void Sending_streams_are_announced_with_msid_ssrc_and_FID()
    {
        var options = Options with
        {
            MediaByMid = new Dictionary<string, MediaAnswerChoice>
            {
                ["0"] = MediaAnswerChoice.SendReceive(new SdpSendStream(1111, "huddle-cname", "peer-7", "peer-7-audio")),
                ["1"] = MediaAnswerChoice.SendReceive(new SdpSendStream(2222, "huddle-cname", "peer-7", "peer-7-video") { RtxSsrc = 3333 }),
            },
        };
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(), options));
        var audio = answer.Media[0];
        Assert.Equal(SdpDirection.SendRecv, audio.Direction);
        Assert.Equal([new SdpMsid("peer-7", "peer-7-audio")], audio.Msids);
        var ssrc = Assert.Single(audio.Ssrcs);
        Assert.Equal(1111u, ssrc.Ssrc);
        Assert.Equal("huddle-cname", ssrc.Cname);
        Assert.Equal(new SdpMsid("peer-7", "peer-7-audio"), ssrc.Msid);
        Assert.Empty(audio.SsrcGroups);

        var video = answer.Media[1];
        Assert.Equal(SdpDirection.SendRecv, video.Direction);
        Assert.Equal([new SdpSsrcGroup("FID", [2222u, 3333u])], video.SsrcGroups);
        Assert.Equal([2222u, 3333u], video.Ssrcs.Select(s => s.Ssrc));
        Assert.Equal(["peer-7"], answer.MsidSemantic!.Ids);

        string text = answer.Write();
        Assert.Contains("a=msid:peer-7 peer-7-video\r\n", text);
        Assert.Contains("a=ssrc-group:FID 2222 3333\r\na=ssrc:2222 cname:huddle-cname\r\na=ssrc:2222 msid:peer-7 peer-7-video\r\n", text);
    }

    [Theory]
    [InlineData(SdpDirection.SendRecv, SdpDirection.RecvOnly, SdpDirection.RecvOnly)]
    [InlineData(SdpDirection.SendRecv, SdpDirection.SendRecv, SdpDirection.SendRecv)]
    [InlineData(SdpDirection.SendRecv, SdpDirection.SendOnly, SdpDirection.SendOnly)]
    [InlineData(SdpDirection.SendOnly, SdpDirection.SendRecv, SdpDirection.RecvOnly)]
    [InlineData(SdpDirection.SendOnly, SdpDirection.SendOnly, SdpDirection.Inactive)]
    [InlineData(SdpDirection.RecvOnly, SdpDirection.SendRecv, SdpDirection.SendOnly)]
    [InlineData(SdpDirection.RecvOnly, SdpDirection.RecvOnly, SdpDirection.Inactive)]
    [InlineData(SdpDirection.Inactive, SdpDirection.SendRecv, SdpDirection.Inactive)]
    [InlineData(SdpDirection.SendRecv, SdpDirection.Inactive, SdpDirection.Inactive)]
    public void Direction_is_the_intersection_of_the_offer_and_our_wish(SdpDirection offered, SdpDirection wanted, SdpDirection expected)
    {
        var offer = Offer();
        offer = offer with { Media = offer.Media.Select(m => m with { Direction = offered }).ToValueList() };
        var stream = new SdpSendStream(5, "c", "s", "t");
        var answer = SdpAnswerBuilder.Build(offer, Options with
        {
            ChooseMedia = m => new MediaAnswerChoice { Direction = wanted, Stream = stream },
        });
        Assert.Equal(expected, answer.Media[0].Direction);
        Assert.Equal(expected, answer.Media[1].Direction);
        Assert.Equal(expected.Sends(), answer.Media[0].Msids.Count == 1);
    }

    [Fact]
    public void A_missing_direction_means_sendrecv_and_session_level_direction_applies()
    {
        var offer = Offer();
        var noDirection = offer with { Media = offer.Media.Select(m => m with { Direction = null }).ToValueList() };
        Assert.Equal(SdpDirection.RecvOnly, SdpAnswerBuilder.Build(noDirection, Options).Media[0].Direction);
        var sessionRecvOnly = noDirection with { Direction = SdpDirection.RecvOnly };
        Assert.Equal(SdpDirection.Inactive, SdpAnswerBuilder.Build(sessionRecvOnly, Options).Media[0].Direction);
    }

    [Fact]
    public void Simulcast_send_is_answered_with_rid_recv_and_simulcast_recv()
    {
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(ChromeSimulcastOffer), Options));
        Assert.Equal(["0", "1"], answer.BundleGroup!.Mids);
        var audio = answer.Media[0];
        Assert.Equal(SdpDirection.Inactive, audio.Direction); // the browser only receives audio; we send nothing

        var video = answer.Media[1];
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);
        Assert.Equal(["96", "97", "98", "99", "45", "46"], video.Formats);
        Assert.Equal(
            [new SdpRid("h", SdpRidDirection.Recv), new SdpRid("m", SdpRidDirection.Recv), new SdpRid("l", SdpRidDirection.Recv)],
            video.Rids);
        Assert.Equal(["h", "m", "l"], video.Simulcast!.RecvRids);
        Assert.Empty(video.Simulcast.Send);
        string text = answer.Write();
        Assert.Contains("a=rid:h recv\r\na=rid:m recv\r\na=rid:l recv\r\na=simulcast:recv h;m;l\r\n", text);
    }

    [Fact]
    public void Simulcast_rid_payload_restrictions_follow_the_kept_codecs()
    {
        string offerText = ChromeSimulcastOffer
            .Replace("a=rid:h send", "a=rid:h send pt=96,45;max-width=1280")
            .Replace("a=rid:m send", "a=rid:m send pt=120")
            .Replace("a=simulcast:send h;m;l", "a=simulcast:send h;m,~l");
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(offerText), Options with
        {
            Codecs = CodecPolicy.Default with { Av1 = false },
        }));
        var video = answer.Media[1];
        Assert.Equal(
            [new SdpRid("h", SdpRidDirection.Recv, [new SdpRidRestriction("pt", "96"), new SdpRidRestriction("max-width", "1280")]),
             new SdpRid("l", SdpRidDirection.Recv)],
            video.Rids);
        Assert.Equal("recv h;~l", video.Simulcast!.ToString());
    }

    [Fact]
    public void Simulcast_is_not_answered_without_the_rid_header_extension()
    {
        var answer = SdpAnswerBuilder.Build(Offer(ChromeSimulcastOffer), Options with
        {
            HeaderExtensions = [RtpHeaderExtensionUris.Mid, RtpHeaderExtensionUris.AbsSendTime],
        });
        var video = answer.Media[1];
        Assert.Empty(video.Rids);
        Assert.Null(video.Simulcast);
        Assert.Equal([4, 2], video.Extmaps.Select(e => e.Id).Order().Reverse());
        // transport-cc feedback goes with the transport-wide-cc extension.
        Assert.All(video.Codecs.Where(c => !c.IsRtx), c => Assert.Equal(["goog-remb", "ccm fir", "nack", "nack pli"], c.RtcpFeedback));
    }

    [Fact]
    public void Rejected_sections_get_port_zero_and_leave_the_BUNDLE_group()
    {
        // Only non-constrained H264 for video: no common codec.
        string offerText = ChromeOffer.Replace("VP8/90000", "VP7/90000").Replace("VP9/90000", "VP7/90000")
            .Replace("AV1/90000", "VP7/90000").Replace("profile-level-id=42e01f", "profile-level-id=42001f");
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(offerText), Options));
        var video = answer.Media[1];
        Assert.Equal(0, video.Port);
        Assert.True(video.IsRejected);
        Assert.Equal("1", video.Mid);
        Assert.Equal(SdpDirection.Inactive, video.Direction);
        Assert.Equal(["96"], video.Formats);
        Assert.Null(video.IceUfrag);
        Assert.Empty(video.Candidates);
        Assert.Equal(["0"], answer.BundleGroup!.Mids);
        Assert.Contains("\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\n", answer.Write());
    }

    [Fact]
    public void The_BUNDLE_tag_moves_to_the_first_accepted_mid()
    {
        // A data channel created before the tracks comes first and is rejected: the tag becomes mid 1.
        var offer = Offer();
        offer = offer with
        {
            Media = [offer.Media[2] with { Mid = "0" }, offer.Media[0] with { Mid = "1" }, offer.Media[1] with { Mid = "2" }],
            Groups = [new SdpGroup("BUNDLE", ["0", "1", "2"])],
        };
        var answer = RoundTripped(SdpAnswerBuilder.Build(offer, Options));
        Assert.Equal(["1", "2"], answer.BundleGroup!.Mids);
        Assert.Equal("1", answer.BundleTagSection!.Mid);
        Assert.True(answer.Media[0].IsRejected);
        Assert.Equal([Host], answer.Media[1].Candidates);
        Assert.Empty(answer.Media[2].Candidates);
    }

    [Fact]
    public void Rejects_what_a_bundled_rtcp_muxed_DTLS_SRTP_server_cannot_do()
    {
        var offer = Offer();
        var audio = offer.Media[0];
        SdpMediaSection Answer(SdpMediaSection changed, AnswerOptions? options = null) =>
            SdpAnswerBuilder.Build(offer with { Media = [changed, offer.Media[1]] }, options ?? Options).Media[0];

        Assert.False(Answer(audio).IsRejected);
        Assert.True(Answer(audio with { RtcpMux = false }).IsRejected);
        Assert.True(Answer(audio with { Port = 0 }).IsRejected);
        Assert.False(Answer(audio with { Port = 0, BundleOnly = true }).IsRejected);
        Assert.True(Answer(audio with { Protocol = "RTP/AVP" }).IsRejected);
        Assert.False(Answer(audio with { Protocol = SdpProtocols.RtpSavpf }).IsRejected);
        Assert.True(Answer(audio with { Media = "text" }).IsRejected);
        Assert.True(Answer(audio with { Mid = "9" }).IsRejected); // not in the BUNDLE group
        Assert.False(Answer(audio with { Mid = "9" }, Options with { RequireBundle = false }).IsRejected);
        Assert.True(Answer(audio, Options with { MediaByMid = new Dictionary<string, MediaAnswerChoice> { ["0"] = MediaAnswerChoice.Rejected } }).IsRejected);
        Assert.True(Answer(audio, Options with { Codecs = CodecPolicy.Default with { Opus = false } }).IsRejected);
        Assert.False(Answer(audio, Options with
        {
            Codecs = CodecPolicy.Default with { Opus = false, AlsoAccept = (kind, c) => c.NameIs("G722") },
        }).IsRejected);

        // A repeated mid: the second section is rejected without a mid.
        var twice = SdpAnswerBuilder.Build(offer with { Media = [audio, audio] }, Options);
        Assert.False(twice.Media[0].IsRejected);
        Assert.True(twice.Media[1].IsRejected);
        Assert.Null(twice.Media[1].Mid);
    }

    [Fact]
    public void Extmap_allow_mixed_is_echoed_only_when_enabled()
    {
        Assert.False(SdpAnswerBuilder.Build(Offer(), Options).ExtmapAllowMixed);
        var answer = RoundTripped(SdpAnswerBuilder.Build(Offer(), Options with { ExtmapAllowMixed = true }));
        Assert.True(answer.ExtmapAllowMixed);
        Assert.Contains("\r\na=extmap-allow-mixed\r\n", answer.Write());
    }

    [Fact]
    public void Answers_an_offer_with_session_level_ICE_and_no_candidates()
    {
        var offer = SessionDescription.Parse(Crlf("""
            v=0
            o=mozilla...THIS_IS_SDPARTA-99.0 5089999051548474064 0 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
            a=group:BUNDLE 0 1
            a=ice-options:trickle
            a=msid-semantic:WMS *
            m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101
            c=IN IP4 0.0.0.0
            a=sendrecv
            a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
            a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level
            a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
            a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
            a=fmtp:101 0-15
            a=ice-pwd:8d3b7c1a9e0f4a6b2c5d7e8f
            a=ice-ufrag:3f2e
            a=mid:0
            a=msid:{1f5c} {2a6d}
            a=rtcp-mux
            a=rtpmap:109 opus/48000/2
            a=rtpmap:9 G722/8000/1
            a=rtpmap:0 PCMU/8000
            a=rtpmap:8 PCMA/8000
            a=rtpmap:101 telephone-event/8000
            a=setup:actpass
            a=ssrc:1017339617 cname:{5a6d}
            m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98
            c=IN IP4 0.0.0.0
            a=recvonly
            a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
            a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
            a=extmap:5 urn:ietf:params:rtp-hdrext:toffset
            a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
            a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
            a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1
            a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1
            a=fmtp:120 max-fs=12288;max-fr=60
            a=fmtp:124 apt=120
            a=fmtp:121 max-fs=12288;max-fr=60
            a=fmtp:125 apt=121
            a=fmtp:127 apt=126
            a=fmtp:98 apt=97
            a=ice-pwd:8d3b7c1a9e0f4a6b2c5d7e8f
            a=ice-ufrag:3f2e
            a=mid:1
            a=rtcp-fb:120 nack
            a=rtcp-fb:120 nack pli
            a=rtcp-fb:120 ccm fir
            a=rtcp-fb:120 goog-remb
            a=rtcp-fb:120 transport-cc
            a=rtcp-mux
            a=rtcp-rsize
            a=rtpmap:120 VP8/90000
            a=rtpmap:124 rtx/90000
            a=rtpmap:121 VP9/90000
            a=rtpmap:125 rtx/90000
            a=rtpmap:126 H264/90000
            a=rtpmap:127 rtx/90000
            a=rtpmap:97 H264/90000
            a=rtpmap:98 rtx/90000
            a=setup:actpass
            """));
        var answer = RoundTripped(SdpAnswerBuilder.Build(offer, Options with { Candidates = [] }));
        var audio = answer.Media[0];
        Assert.Equal(9, audio.Port);
        Assert.Equal(SdpConnection.Ipv4Any, audio.Connection);
        Assert.Empty(audio.Candidates);
        Assert.False(audio.EndOfCandidates);
        Assert.Equal(["109"], audio.Formats);
        Assert.Equal([1, 3], audio.Extmaps.Select(e => e.Id));
        Assert.False(audio.RtcpRsize);
        Assert.Equal(SdpDirection.RecvOnly, audio.Direction);

        var video = answer.Media[1];
        Assert.Equal(SdpDirection.Inactive, video.Direction);
        Assert.Equal(["120", "124", "121", "125", "126", "127"], video.Formats);
        Assert.Equal([3, 4, 7], video.Extmaps.Select(e => e.Id));
    }

    [Fact]
    public void Extmap_directions_are_reversed()
    {
        var offer = Offer();
        var audio = offer.Media[0] with
        {
            Extmaps = [new SdpExtmap(1, RtpHeaderExtensionUris.AudioLevel, SdpDirection.SendOnly), new SdpExtmap(4, RtpHeaderExtensionUris.Mid)],
        };
        var answer = RoundTripped(SdpAnswerBuilder.Build(offer with { Media = [audio] , Groups = [new SdpGroup("BUNDLE", ["0"])] }, Options));
        Assert.Equal(
            [new SdpExtmap(1, RtpHeaderExtensionUris.AudioLevel, SdpDirection.RecvOnly), new SdpExtmap(4, RtpHeaderExtensionUris.Mid)],
            answer.Media[0].Extmaps);
        Assert.Contains("a=extmap:1/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", answer.Write());
    }

    [Fact]
    public void Invalid_options_throw()
    {
        Assert.Throws<ArgumentException>(() => SdpAnswerBuilder.Build(Offer(), Options with { IceUfrag = "abc" }));
        Assert.Throws<ArgumentException>(() => SdpAnswerBuilder.Build(Offer(), Options with { IcePwd = "short" }));
        Assert.Throws<ArgumentException>(() => SdpAnswerBuilder.Build(Offer(), Options with { IceUfrag = "a b c d" }));
        Assert.Throws<ArgumentException>(() => SdpAnswerBuilder.Build(Offer(), Options with
        {
            ChooseMedia = _ => MediaAnswerChoice.SendReceive(new SdpSendStream(1, "c", "has space", "t")),
        }));
    }

    [Theory]
    [InlineData("42e01f", true)]
    [InlineData("42c01f", true)]
    [InlineData("42401f", true)]
    [InlineData("42E034", true)]
    [InlineData("4d801f", true)]
    [InlineData("58c01f", true)]
    [InlineData("42001f", false)]
    [InlineData("42e11f", false)]
    [InlineData("4d001f", false)]
    [InlineData("4d401f", false)]
    [InlineData("58801f", false)]
    [InlineData("640c1f", false)]
    [InlineData("64001f", false)]
    [InlineData("f4001f", false)]
    [InlineData(null, false)]
    [InlineData("42e01", false)]
    [InlineData("zze01f", false)]
    public void H264_constrained_baseline_is_profile_idc_and_constraint_flags(string? profileLevelId, bool expected) =>
        Assert.Equal(expected, H264ProfileLevelId.IsConstrainedBaseline(profileLevelId));

    [Fact]
    public void H264_needs_packetization_mode_1()
    {
        var policy = CodecPolicy.Default;
        SdpCodec H264(string fmtp) => new(102, "H264", 90000) { Fmtp = SdpFmtp.Parse(fmtp) };
        Assert.True(policy.Accepts(SdpMediaKind.Video, H264("packetization-mode=1;profile-level-id=42e01f")));
        Assert.False(policy.Accepts(SdpMediaKind.Video, H264("packetization-mode=0;profile-level-id=42e01f")));
        Assert.False(policy.Accepts(SdpMediaKind.Video, H264("profile-level-id=42e01f")));
        Assert.False(policy.Accepts(SdpMediaKind.Video, new SdpCodec(102, "H264", 90000)));
        Assert.False(policy.Accepts(SdpMediaKind.Audio, H264("packetization-mode=1;profile-level-id=42e01f")));
        Assert.False(policy.Accepts(SdpMediaKind.Audio, new SdpCodec(111, "opus", 48000)));
        Assert.True(policy.Accepts(SdpMediaKind.Audio, new SdpCodec(111, "OPUS", 48000, 2)));
    }
}
