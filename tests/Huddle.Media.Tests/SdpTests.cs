using System.Text;
using Huddle.Media.Sdp;
using static Huddle.Media.Tests.SdpSamples;

namespace Huddle.Media.Tests;

public sealed class SdpTests
{
    private static SessionDescription ParseOk(string sdp)
    {
        Assert.True(SessionDescription.TryParse(sdp, out var result, out var error), error);
        Assert.Null(error);
        return result!;
    }

    [Fact]
    public void Parses_the_session_level_of_a_Chrome_offer()
    {
        var d = ParseOk(Crlf(ChromeOffer));
        Assert.Equal(0, d.Version);
        Assert.Equal(new SdpOrigin("-", "4611731400430051336", 2, "IN", "IP4", "127.0.0.1"), d.Origin);
        Assert.Equal("-", d.SessionName);
        Assert.Equal(new SdpTiming(0, 0), d.Timing);
        var bundle = Assert.Single(d.Groups);
        Assert.True(bundle.IsBundle);
        Assert.Equal(["0", "1", "2"], bundle.Mids);
        Assert.True(d.ExtmapAllowMixed);
        Assert.False(d.IceLite);
        Assert.Equal("WMS", d.MsidSemantic!.Semantic);
        Assert.Equal(["5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7"], d.MsidSemantic.Ids);
        Assert.Equal(3, d.Media.Count);
        Assert.Same(d.Media[0], d.BundleTagSection);
        Assert.Empty(d.OtherAttributes);
    }

    [Fact]
    public void Parses_the_audio_section()
    {
        var d = ParseOk(Crlf(ChromeOffer));
        var audio = d.Media[0];
        Assert.Equal(SdpMediaKind.Audio, audio.Kind);
        Assert.Equal(54400, audio.Port);
        Assert.Equal(SdpProtocols.UdpTlsRtpSavpf, audio.Protocol);
        Assert.Equal(["111", "63", "9", "0", "8", "13", "110", "126"], audio.Formats);
        Assert.Equal(new SdpConnection("IN", "IP4", "192.168.1.23"), audio.Connection);
        Assert.Equal("9 IN IP4 0.0.0.0", audio.Rtcp);
        Assert.Equal("0", audio.Mid);
        Assert.Equal("Tmhd", audio.IceUfrag);
        Assert.Equal("j/bDXyRy2dXBXzT4fDEFC4Ig", audio.IcePwd);
        Assert.Equal(["trickle"], audio.IceOptions);
        var fp = Assert.Single(audio.Fingerprints);
        Assert.Equal("sha-256", fp.Algorithm);
        Assert.Equal(32, fp.Value.Length);
        Assert.Equal(0xA4, fp.Value[0]);
        Assert.Equal(0xC5, fp.Value[31]);
        Assert.Equal(ChromeFingerprint, fp.HexValue);
        Assert.Equal(SdpSetup.ActPass, audio.Setup);
        Assert.Equal(SdpDirection.SendRecv, audio.Direction);
        Assert.True(audio.RtcpMux);
        Assert.True(audio.RtcpRsize);
        Assert.False(audio.IsRejected);

        Assert.Equal(
            [
                new SdpExtmap(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
                new SdpExtmap(2, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
                new SdpExtmap(3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
                new SdpExtmap(4, "urn:ietf:params:rtp-hdrext:sdes:mid"),
            ],
            audio.Extmaps);

        Assert.Equal(8, audio.Codecs.Count);
        var opus = audio.Codecs[0];
        Assert.Equal(111, opus.PayloadType);
        Assert.Equal("opus", opus.Name);
        Assert.Equal(48000, opus.ClockRate);
        Assert.Equal(2, opus.Channels);
        Assert.Equal("minptime=10;useinbandfec=1", opus.Fmtp!.Raw);
        Assert.Equal("10", opus.Fmtp.Parameters["minptime"]);
        Assert.Equal("1", opus.Fmtp.Get("UseInBandFec"));
        Assert.Equal(["transport-cc"], opus.RtcpFeedback);
        var red = audio.FindCodec(63)!;
        Assert.Equal("red", red.Name);
        Assert.True(red.Fmtp!.Parameters.ContainsKey("111/111"));
        Assert.Null(audio.FindCodec(9)!.Channels);
        Assert.Equal("PCMU", audio.FindCodec(0)!.Name);
        Assert.Equal(8000, audio.FindCodec(126)!.ClockRate);

        var msid = Assert.Single(audio.Msids);
        Assert.Equal("5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7", msid.StreamId);
        Assert.Equal("0b6a3e55-2b7e-4f0c-8c3e-6a4c1f2d9e10", msid.TrackId);
        var ssrc = Assert.Single(audio.Ssrcs);
        Assert.Equal(2817503296u, ssrc.Ssrc);
        Assert.Equal("Ua1hRz9H3fVp2Z5G", ssrc.Cname);
        Assert.Equal(msid, ssrc.Msid);
    }

    [Fact]
    public void Parses_candidates()
    {
        var audio = ParseOk(Crlf(ChromeOffer)).Media[0];
        Assert.Equal(3, audio.Candidates.Count);
        var host = audio.Candidates[0];
        Assert.Equal("1467250027 1 udp 2122260223 192.168.1.23 54400 typ host generation 0 network-id 1 network-cost 10", host.Raw);
        Assert.Equal("1467250027", host.Foundation);
        Assert.Equal(1, host.Component);
        Assert.Equal("udp", host.Transport);
        Assert.True(host.IsUdp);
        Assert.Equal(2122260223u, host.Priority);
        Assert.Equal("192.168.1.23", host.Address);
        Assert.Equal(54400, host.Port);
        Assert.Equal("host", host.Type);
        Assert.Null(host.RelatedAddress);
        Assert.Equal("0", host.GetExtension("generation"));
        Assert.Equal("10", host.GetExtension("network-cost"));

        var tcp = audio.Candidates[1];
        Assert.Equal("tcp", tcp.Transport);
        Assert.Equal(9, tcp.Port);
        Assert.Equal("active", tcp.GetExtension("tcptype"));

        var srflx = audio.Candidates[2];
        Assert.Equal("srflx", srflx.Type);
        Assert.Equal("203.0.113.7", srflx.Address);
        Assert.Equal("192.168.1.23", srflx.RelatedAddress);
        Assert.Equal(54400, srflx.RelatedPort);
        Assert.False(audio.EndOfCandidates);
    }

    [Fact]
    public void Parses_the_video_section_codecs_rtx_and_ssrc_groups()
    {
        var video = ParseOk(Crlf(ChromeOffer)).Media[1];
        Assert.Equal(SdpMediaKind.Video, video.Kind);
        Assert.Equal(9, video.Port);
        Assert.Equal("1", video.Mid);
        Assert.Equal(23, video.Formats.Count);
        Assert.Equal(23, video.Codecs.Count);
        Assert.Equal(11, video.Extmaps.Count);
        Assert.Equal(14, video.Extmaps[0].Id);
        Assert.Equal("urn:ietf:params:rtp-hdrext:toffset", video.Extmaps[0].Uri);
        Assert.Equal(10, video.FindExtmap("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")!.Id);

        var vp8 = video.FindCodec(96)!;
        Assert.Equal("VP8", vp8.Name);
        Assert.Null(vp8.Fmtp);
        Assert.Equal(["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"], vp8.RtcpFeedback);
        Assert.Equal(97, video.GetRtxPayloadType(96));
        Assert.True(video.FindCodec(97)!.IsRtx);
        Assert.Equal(96, video.FindCodec(97)!.AssociatedPayloadType);
        Assert.Equal(104, video.GetRtxPayloadType(103));
        Assert.Equal(46, video.GetRtxPayloadType(45));
        Assert.Equal(118, video.GetRtxPayloadType(117));
        Assert.Null(video.GetRtxPayloadType(119));

        var h264 = video.FindCodec(109)!;
        Assert.Equal("H264", h264.Name);
        Assert.Equal("42e01f", h264.Fmtp!.Get("profile-level-id"));
        Assert.Equal("1", h264.Fmtp.Get("packetization-mode"));
        Assert.Equal("2", video.FindCodec(100)!.Fmtp!.Get("profile-id"));
        Assert.Equal("5", video.FindCodec(45)!.Fmtp!.Get("level-idx"));

        var fid = Assert.Single(video.SsrcGroups);
        Assert.Equal("FID", fid.Semantics);
        Assert.Equal([3735928559u, 4008636142u], fid.Ssrcs);
        Assert.Equal(2, video.Ssrcs.Count);
        Assert.Equal("Ua1hRz9H3fVp2Z5G", video.FindSsrc(4008636142)!.Cname);
    }

    [Fact]
    public void Parses_the_data_channel_section()
    {
        var app = ParseOk(Crlf(ChromeOffer)).Media[2];
        Assert.Equal(SdpMediaKind.Application, app.Kind);
        Assert.Equal(SdpProtocols.UdpDtlsSctp, app.Protocol);
        Assert.True(app.IsSctp);
        Assert.False(app.IsRtp);
        Assert.Equal([SdpProtocols.WebRtcDataChannel], app.Formats);
        Assert.Equal("2", app.Mid);
        Assert.Equal(5000, app.SctpPort);
        Assert.Equal(262144, app.MaxMessageSize);
        Assert.Null(app.Direction);
        Assert.Empty(app.Codecs);
    }

    [Fact]
    public void Parses_rids_and_simulcast()
    {
        var d = ParseOk(Crlf(ChromeSimulcastOffer));
        var video = d.Media[1];
        Assert.Equal(SdpDirection.SendOnly, video.Direction);
        Assert.Equal(new SdpMsid("-", "1f0e7c3a-55d2-4d7b-b6a1-0c9e2f4d8a36"), Assert.Single(video.Msids));
        Assert.Equal(["h", "m", "l"], video.Rids.Select(r => r.Id));
        Assert.All(video.Rids, r => Assert.Equal(SdpRidDirection.Send, r.Direction));
        Assert.Empty(video.Ssrcs);
        var sim = video.Simulcast!;
        Assert.Equal(["h", "m", "l"], sim.SendRids);
        Assert.Empty(sim.Recv);
        Assert.Equal("send h;m;l", sim.ToString());
        Assert.Equal(SdpDirection.RecvOnly, d.Media[0].Direction);
    }

    [Fact]
    public void Parses_rid_restrictions_and_simulcast_alternatives()
    {
        var d = ParseOk(Crlf("""
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            m=video 9 UDP/TLS/RTP/SAVPF 96 97
            a=mid:v
            a=rtpmap:96 VP8/90000
            a=rtpmap:97 VP9/90000
            a=rid:h send pt=96,97;max-width=1280;max-height=720
            a=rid:l send max-br=200000
            a=rid:x recv
            a=simulcast:send h,~x;l recv x
            """));
        var m = d.Media[0];
        Assert.Equal([96, 97], m.Rids[0].PayloadTypes);
        Assert.Equal("1280", m.Rids[0].Get("max-width"));
        Assert.Empty(m.Rids[1].PayloadTypes);
        Assert.Equal(SdpRidDirection.Recv, m.Rids[2].Direction);
        var sim = m.Simulcast!;
        Assert.Equal(2, sim.Send.Count);
        Assert.Equal([new SdpSimulcastRid("h"), new SdpSimulcastRid("x", Paused: true)], sim.Send[0].Alternatives);
        Assert.Equal(["x"], sim.RecvRids);
        Assert.Equal("send h,~x;l recv x", sim.ToString());
        Assert.Equal(d, ParseOk(d.Write()));
    }

    [Theory]
    [InlineData(nameof(ChromeOffer))]
    [InlineData(nameof(ChromeSimulcastOffer))]
    public void Write_then_parse_gives_the_same_model(string name)
    {
        string text = name == nameof(ChromeOffer) ? ChromeOffer : ChromeSimulcastOffer;
        var d = ParseOk(Crlf(text));
        string written = d.Write();
        Assert.Equal(d, ParseOk(written));
        Assert.Equal(written, ParseOk(written).Write());
        Assert.EndsWith("\r\n", written);
        Assert.DoesNotContain("\r\n\r\n", written);
        Assert.All(written.Split("\r\n")[..^1], line => Assert.Matches("^[a-z]=", line));
        Assert.DoesNotMatch("[^\r]\n", written);
    }

    [Fact]
    public void Writes_the_Chrome_offer_line_for_line()
    {
        // The writer uses Chromium's order, so Chromium's own offer comes back with the same lines:
        // the only difference is that a=rtcp and ICE attributes precede the candidates.
        var d = ParseOk(Crlf(ChromeOffer));
        var expected = Crlf(ChromeOffer).Split("\r\n").Order(StringComparer.Ordinal);
        var actual = d.Write().Split("\r\n").Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Accepts_LF_line_endings_blank_lines_and_trailing_whitespace()
    {
        var crlf = ParseOk(Crlf(ChromeOffer));
        Assert.Equal(crlf, ParseOk(ChromeOffer));
        Assert.Equal(crlf, ParseOk(ChromeOffer.Replace("\n", " \t\n\n")));
    }

    [Fact]
    public void Keeps_unknown_attributes_and_lines()
    {
        var d = ParseOk(Crlf("""
            v=0
            o=alice 2890844526 2890844527 IN IP4 198.51.100.1
            s=A talk
            i=About things
            u=http://example.com/talk
            e=alice@example.com
            c=IN IP4 198.51.100.1
            b=CT:1000
            t=0 0
            r=604800 3600 0 90000
            a=tool:something 1.0
            a=recvonly
            a=x-flag
            m=audio 49170/2 RTP/AVP 0 8
            i=The audio
            c=IN IP4 198.51.100.2
            b=AS:64
            k=prompt
            a=ptime:20
            a=rtcp-fb:* nack
            a=fmtp:8 foo=bar
            a=x-empty:
            m=text 0 RTP/AVP 98
            a=rtpmap:98 t140/1000
            """));
        Assert.Equal("alice", d.Origin.Username);
        Assert.Equal(2890844527ul, d.Origin.SessionVersion);
        Assert.Equal("A talk", d.SessionName);
        Assert.Equal(
            [new SdpLine('i', "About things"), new SdpLine('u', "http://example.com/talk"), new SdpLine('e', "alice@example.com"),
             new SdpLine('r', "604800 3600 0 90000")],
            d.ExtraLines);
        Assert.Equal(new SdpConnection("IN", "IP4", "198.51.100.1"), d.Connection);
        Assert.Equal([new SdpBandwidth("CT", 1000)], d.Bandwidths);
        Assert.Equal(SdpDirection.RecvOnly, d.Direction);
        Assert.Equal([new SdpAttribute("tool", "something 1.0"), new SdpAttribute("x-flag")], d.OtherAttributes);

        var audio = d.Media[0];
        Assert.Equal(49170, audio.Port);
        Assert.Equal(2, audio.PortCount);
        Assert.False(audio.IsRtp && audio.Codecs.Count > 0);
        Assert.Equal([new SdpLine('i', "The audio"), new SdpLine('k', "prompt")], audio.ExtraLines);
        Assert.Equal([new SdpBandwidth("AS", 64)], audio.Bandwidths);
        Assert.Equal(
            [new SdpAttribute("ptime", "20"), new SdpAttribute("rtcp-fb", "* nack"), new SdpAttribute("fmtp", "8 foo=bar"),
             new SdpAttribute("x-empty", "")],
            audio.OtherAttributes);
        Assert.Equal(SdpMediaKind.Other, d.Media[1].Kind);
        Assert.True(d.Media[1].IsRejected);

        var written = d.Write();
        Assert.Contains("a=x-empty:\r\n", written);
        Assert.Contains("a=x-flag\r\n", written);
        Assert.Equal(d, ParseOk(written));
    }

    [Fact]
    public void Fmtp_and_rtcp_fb_may_precede_their_rtpmap()
    {
        var d = ParseOk(Crlf("""
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            m=video 9 UDP/TLS/RTP/SAVPF 96 97
            a=fmtp:97 apt=96
            a=rtcp-fb:96 nack
            a=rtpmap:96 VP8/90000
            a=rtpmap:97 rtx/90000
            """));
        var m = d.Media[0];
        Assert.Equal(["nack"], m.FindCodec(96)!.RtcpFeedback);
        Assert.Equal(97, m.GetRtxPayloadType(96));
        Assert.Equal(d, ParseOk(d.Write()));
    }

    [Fact]
    public void Session_level_ice_and_dtls_apply_to_sections_without_their_own()
    {
        var d = ParseOk(Crlf("""
            v=0
            o=mozilla...THIS_IS_SDPARTA-99.0 5089999051548474064 0 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
            a=group:BUNDLE 0
            a=ice-options:trickle
            a=msid-semantic:WMS *
            a=ice-ufrag:3f2e
            a=ice-pwd:8d3b7c1a9e0f4a6b2c5d7e8f
            a=setup:actpass
            m=audio 9 UDP/TLS/RTP/SAVPF 109
            c=IN IP4 0.0.0.0
            a=sendrecv
            a=mid:0
            a=rtcp-mux
            a=rtpmap:109 opus/48000/2
            a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
            """));
        var audio = d.Media[0];
        Assert.Null(audio.IceUfrag);
        Assert.Equal("3f2e", d.IceUfragFor(audio));
        Assert.Equal("8d3b7c1a9e0f4a6b2c5d7e8f", d.IcePwdFor(audio));
        Assert.Equal(ChromeFingerprint, Assert.Single(d.FingerprintsFor(audio)).HexValue);
        Assert.Equal(SdpSetup.ActPass, d.SetupFor(audio));
        Assert.Equal(["*"], d.MsidSemantic!.Ids);
        Assert.Equal(d, ParseOk(d.Write()));
    }

    [Fact]
    public void Fingerprint_matches_the_certificate_hash()
    {
        byte[] der = Encoding.ASCII.GetBytes("not really a certificate");
        var fp = SdpFingerprint.Sha256Of(der);
        Assert.True(fp.Matches(der));
        Assert.False(fp.Matches([1, 2, 3]));
        var parsed = SdpFingerprint.Parse("SHA-256", fp.HexValue.ToLowerInvariant());
        Assert.Equal(fp, parsed);
        Assert.True(parsed.Matches(der));
        Assert.Throws<FormatException>(() => SdpFingerprint.Parse("sha-256", "AB:C"));
        Assert.False(SdpFingerprint.TryParse("sha-256 AB::CD", out _));
        Assert.False(SdpFingerprint.TryParse("sha-256 AB:CD:", out _));
        Assert.True(SdpFingerprint.TryParse("sha-1 ab", out _));
    }

    [Fact]
    public void Candidate_parses_browser_trickle_forms_and_builds_host_candidates()
    {
        var c = SdpCandidate.Parse("candidate:2 1 UDP 2122252543 e1c5f7b2-3a4c-4a7b-9c1e-5f2d3b4a6c7d.local 51234 typ host");
        Assert.Equal("e1c5f7b2-3a4c-4a7b-9c1e-5f2d3b4a6c7d.local", c.Address);
        Assert.True(c.IsUdp);
        Assert.Equal("candidate:2 1 UDP 2122252543 e1c5f7b2-3a4c-4a7b-9c1e-5f2d3b4a6c7d.local 51234 typ host", c.ToString());
        Assert.Equal(c, SdpCandidate.Parse("a=" + c));

        var host = SdpCandidate.Host("203.0.113.10", 3478, foundation: "huddle0");
        Assert.Equal("huddle0 1 udp 2130706431 203.0.113.10 3478 typ host", host.Raw);
        Assert.Equal(2130706431u, SdpCandidate.ComputePriority(126, 65535, 1));
        Assert.Equal(host, SdpCandidate.Parse(host.ToString()));

        foreach (var bad in new[]
                 {
                     "", "candidate:", "candidate:1 1 udp 1 1.2.3.4 5 host", "candidate:1 0 udp 1 1.2.3.4 5 typ host",
                     "candidate:1 1 udp 4294967296 1.2.3.4 5 typ host", "candidate:1 1 udp 1 1.2.3.4 65536 typ host",
                     "candidate:1 1 udp 1 1.2.3.4 5 typ host generation", "candidate:1 1 udp 1 1.2.3.4 5 typ host rport x",
                 })
        {
            Assert.False(SdpCandidate.TryParse(bad, out _), bad);
        }
        Assert.Throws<ArgumentException>(() => SdpCandidate.Host("1.2.3.4 5", 1));
    }
    [Fact]
    public void Writes_in_the_conventional_order_with_CRLF()
    {
        var d = new SessionDescription
        {
            Origin = new SdpOrigin("-", "99", 2),
            Groups = [new SdpGroup("BUNDLE", ["0"])],
            MsidSemantic = new SdpMsidSemantic("WMS", ["s"]),
            IceLite = true,
            Media =
            [
                new SdpMediaSection
                {
                    Media = "video",
                    Formats = ["96", "97"],
                    Connection = SdpConnection.Ipv4Any,
                    Rtcp = "9 IN IP4 0.0.0.0",
                    IceUfrag = "uFrG",
                    IcePwd = "cGFzc3dvcmRwYXNzd29yZHBh",
                    Fingerprints = [SdpFingerprint.Parse("sha-256", "01:02")],
                    Setup = SdpSetup.Passive,
                    Mid = "0",
                    Extmaps = [new SdpExtmap(4, RtpHeaderExtensionUris.Mid)],
                    Direction = SdpDirection.RecvOnly,
                    Msids = [new SdpMsid("s", "t")],
                    RtcpMux = true,
                    RtcpRsize = true,
                    Codecs = [WebRtcCodecs.Vp8() with { RtcpFeedback = ["nack", "nack pli"] }, WebRtcCodecs.Rtx(97, 96)],
                    SsrcGroups = [new SdpSsrcGroup("FID", [1u, 2u])],
                    Ssrcs = [new SdpSsrc(1, [new SdpSsrcAttribute("cname", "c")]), new SdpSsrc(2, [new SdpSsrcAttribute("cname", "c")])],
                    Rids = [new SdpRid("h", SdpRidDirection.Recv)],
                    Simulcast = new SdpSimulcast([], [new SdpSimulcastStream("h")]),
                    Candidates = [SdpCandidate.Host("192.0.2.1", 5000)],
                    EndOfCandidates = true,
                },
            ],
        };
        const string expected = """
            v=0
            o=- 99 2 IN IP4 127.0.0.1
            s=-
            t=0 0
            a=group:BUNDLE 0
            a=msid-semantic: WMS s
            a=ice-lite
            m=video 9 UDP/TLS/RTP/SAVPF 96 97
            c=IN IP4 0.0.0.0
            a=rtcp:9 IN IP4 0.0.0.0
            a=ice-ufrag:uFrG
            a=ice-pwd:cGFzc3dvcmRwYXNzd29yZHBh
            a=fingerprint:sha-256 01:02
            a=setup:passive
            a=mid:0
            a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
            a=recvonly
            a=msid:s t
            a=rtcp-mux
            a=rtcp-rsize
            a=rtpmap:96 VP8/90000
            a=rtcp-fb:96 nack
            a=rtcp-fb:96 nack pli
            a=rtpmap:97 rtx/90000
            a=fmtp:97 apt=96
            a=ssrc-group:FID 1 2
            a=ssrc:1 cname:c
            a=ssrc:2 cname:c
            a=rid:h recv
            a=simulcast:recv h
            a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host
            a=end-of-candidates
            """;
        Assert.Equal(Crlf(expected), d.Write());
        Assert.Equal(d.Write(), d.ToString());
        Assert.Equal(d, ParseOk(d.Write()));
    }
}
