namespace Huddle.Media.Tests;

/// <summary>Session descriptions as browsers produce them, for the SDP tests.</summary>
internal static class SdpSamples
{
    public const string ChromeFingerprint =
        "A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5";

    public const string ServerFingerprint =
        "3B:7B:29:6F:E1:A7:FA:D5:21:E9:45:2A:B4:78:99:D8:89:2F:F3:D7:65:DF:94:40:34:75:20:0D:5D:53:EB:F0";

    /// <summary>
    /// A Chromium offer after gathering: camera and microphone with one stream, plus a data channel.
    /// Written with LF here; <see cref="Crlf"/> gives the wire form.
    /// </summary>
    public const string ChromeOffer = """
        v=0
        o=- 4611731400430051336 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1 2
        a=extmap-allow-mixed
        a=msid-semantic: WMS 5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7
        m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 192.168.1.23
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1467250027 1 udp 2122260223 192.168.1.23 54400 typ host generation 0 network-id 1 network-cost 10
        a=candidate:3066289675 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 network-id 1 network-cost 10
        a=candidate:842163049 1 udp 1686052607 203.0.113.7 54400 typ srflx raddr 192.168.1.23 rport 54400 generation 0 network-id 1 network-cost 10
        a=ice-ufrag:Tmhd
        a=ice-pwd:j/bDXyRy2dXBXzT4fDEFC4Ig
        a=ice-options:trickle
        a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7 0b6a3e55-2b7e-4f0c-8c3e-6a4c1f2d9e10
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        a=ssrc:2817503296 cname:Ua1hRz9H3fVp2Z5G
        a=ssrc:2817503296 msid:5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7 0b6a3e55-2b7e-4f0c-8c3e-6a4c1f2d9e10
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 103 104 107 108 109 114 115 116 39 40 45 46 98 99 100 101 112 113 117 118 119
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:Tmhd
        a=ice-pwd:j/bDXyRy2dXBXzT4fDEFC4Ig
        a=ice-options:trickle
        a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
        a=setup:actpass
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:13 urn:3gpp:video-orientation
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
        a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
        a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
        a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
        a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
        a=sendrecv
        a=msid:5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7 9a1cf2b4-64a2-4a61-8a0f-1d5b2c7e3f88
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:103 H264/90000
        a=rtcp-fb:103 goog-remb
        a=rtcp-fb:103 transport-cc
        a=rtcp-fb:103 ccm fir
        a=rtcp-fb:103 nack
        a=rtcp-fb:103 nack pli
        a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:104 rtx/90000
        a=fmtp:104 apt=103
        a=rtpmap:107 H264/90000
        a=rtcp-fb:107 goog-remb
        a=rtcp-fb:107 transport-cc
        a=rtcp-fb:107 ccm fir
        a=rtcp-fb:107 nack
        a=rtcp-fb:107 nack pli
        a=fmtp:107 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
        a=rtpmap:108 rtx/90000
        a=fmtp:108 apt=107
        a=rtpmap:109 H264/90000
        a=rtcp-fb:109 goog-remb
        a=rtcp-fb:109 transport-cc
        a=rtcp-fb:109 ccm fir
        a=rtcp-fb:109 nack
        a=rtcp-fb:109 nack pli
        a=fmtp:109 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:114 rtx/90000
        a=fmtp:114 apt=109
        a=rtpmap:115 H264/90000
        a=rtcp-fb:115 goog-remb
        a=rtcp-fb:115 transport-cc
        a=rtcp-fb:115 ccm fir
        a=rtcp-fb:115 nack
        a=rtcp-fb:115 nack pli
        a=fmtp:115 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
        a=rtpmap:116 rtx/90000
        a=fmtp:116 apt=115
        a=rtpmap:39 H264/90000
        a=rtcp-fb:39 goog-remb
        a=rtcp-fb:39 transport-cc
        a=rtcp-fb:39 ccm fir
        a=rtcp-fb:39 nack
        a=rtcp-fb:39 nack pli
        a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
        a=rtpmap:40 rtx/90000
        a=fmtp:40 apt=39
        a=rtpmap:45 AV1/90000
        a=rtcp-fb:45 goog-remb
        a=rtcp-fb:45 transport-cc
        a=rtcp-fb:45 ccm fir
        a=rtcp-fb:45 nack
        a=rtcp-fb:45 nack pli
        a=fmtp:45 level-idx=5;profile=0;tier=0
        a=rtpmap:46 rtx/90000
        a=fmtp:46 apt=45
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:100 VP9/90000
        a=rtcp-fb:100 goog-remb
        a=rtcp-fb:100 transport-cc
        a=rtcp-fb:100 ccm fir
        a=rtcp-fb:100 nack
        a=rtcp-fb:100 nack pli
        a=fmtp:100 profile-id=2
        a=rtpmap:101 rtx/90000
        a=fmtp:101 apt=100
        a=rtpmap:112 H264/90000
        a=rtcp-fb:112 goog-remb
        a=rtcp-fb:112 transport-cc
        a=rtcp-fb:112 ccm fir
        a=rtcp-fb:112 nack
        a=rtcp-fb:112 nack pli
        a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f
        a=rtpmap:113 rtx/90000
        a=fmtp:113 apt=112
        a=rtpmap:117 red/90000
        a=rtpmap:118 rtx/90000
        a=fmtp:118 apt=117
        a=rtpmap:119 ulpfec/90000
        a=ssrc-group:FID 3735928559 4008636142
        a=ssrc:3735928559 cname:Ua1hRz9H3fVp2Z5G
        a=ssrc:3735928559 msid:5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7 9a1cf2b4-64a2-4a61-8a0f-1d5b2c7e3f88
        a=ssrc:4008636142 cname:Ua1hRz9H3fVp2Z5G
        a=ssrc:4008636142 msid:5d2f1f4c-7a3c-4f6e-9a4e-3f3c0b0de1a7 9a1cf2b4-64a2-4a61-8a0f-1d5b2c7e3f88
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=ice-ufrag:Tmhd
        a=ice-pwd:j/bDXyRy2dXBXzT4fDEFC4Ig
        a=ice-options:trickle
        a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
        a=setup:actpass
        a=mid:2
        a=sctp-port:5000
        a=max-message-size:262144
        """;

    /// <summary>
    /// A Chromium offer for a camera sent with three simulcast layers (sendEncodings with rids):
    /// no SSRC lines, rids h/m/l, recvonly audio before it.
    /// </summary>
    public const string ChromeSimulcastOffer = """
        v=0
        o=- 7216934462143307624 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=extmap-allow-mixed
        a=msid-semantic: WMS
        m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:9fQz
        a=ice-pwd:Yb0m3v1JwQ5aXr8pL2kT7sNd
        a=ice-options:trickle
        a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=recvonly
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 45 46
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:9fQz
        a=ice-pwd:Yb0m3v1JwQ5aXr8pL2kT7sNd
        a=ice-options:trickle
        a=fingerprint:sha-256 A4:24:A8:F0:71:47:93:D0:1F:72:4F:59:D4:1D:30:40:DC:97:70:F1:30:27:80:5E:11:8F:95:D1:2C:0F:D7:C5
        a=setup:actpass
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:13 urn:3gpp:video-orientation
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
        a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
        a=sendonly
        a=msid:- 1f0e7c3a-55d2-4d7b-b6a1-0c9e2f4d8a36
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:45 AV1/90000
        a=rtcp-fb:45 goog-remb
        a=rtcp-fb:45 transport-cc
        a=rtcp-fb:45 ccm fir
        a=rtcp-fb:45 nack
        a=rtcp-fb:45 nack pli
        a=fmtp:45 level-idx=5;profile=0;tier=0
        a=rtpmap:46 rtx/90000
        a=fmtp:46 apt=45
        a=rid:h send
        a=rid:m send
        a=rid:l send
        a=simulcast:send h;m;l
        """;

    public static string Crlf(string lf) => lf.ReplaceLineEndings("\r\n") + "\r\n";
}
