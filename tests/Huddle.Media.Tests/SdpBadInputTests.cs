using System.Text;
using Huddle.Media.Sdp;
using static Huddle.Media.Tests.SdpSamples;

namespace Huddle.Media.Tests;

/// <summary>Hostile and broken SDP: TryParse returns false or a model that round-trips, and never throws.</summary>
public sealed class SdpBadInputTests
{
    /// <summary>Parses without throwing; when it succeeds, the model must survive Write and Parse.</summary>
    private static bool Check(string text)
    {
        bool ok = SessionDescription.TryParse(text, out var d, out var error);
        if (!ok)
        {
            Assert.Null(d);
            Assert.False(string.IsNullOrEmpty(error));
            Assert.DoesNotContain("internal", error);
            return false;
        }
        Assert.Null(error);
        string written = d!.Write();
        Assert.True(SessionDescription.TryParse(written, out var again, out error), error + "\n" + written);
        Assert.Equal(d, again);
        Assert.Equal(written, again!.Write());

        // Whatever parses can be answered, and the answer is valid SDP too.
        var answer = SdpAnswerBuilder.Build(d, AnswerOptions);
        Assert.Equal(d.Media.Count, answer.Media.Count);
        Assert.Equal(answer, SessionDescription.Parse(answer.Write()));
        return true;
    }

    private static readonly AnswerOptions AnswerOptions = new()
    {
        IceUfrag = "hUdL",
        IcePwd = "Qm9vZ2llV29vZ2llQm9vZ2ll",
        Fingerprint = SdpFingerprint.Parse("sha-256", ServerFingerprint),
        Candidates = [SdpCandidate.Host("192.0.2.1", 40000)],
        AcceptDataChannel = true,
        ExtmapAllowMixed = true,
        ChooseMedia = m => m.Mid == "1"
            ? MediaAnswerChoice.SendReceive(new SdpSendStream(7, "c", "s", "t") { RtxSsrc = 8 })
            : MediaAnswerChoice.Receive,
    };

    [Theory]
    [InlineData(nameof(ChromeOffer))]
    [InlineData(nameof(ChromeSimulcastOffer))]
    public void Truncation_at_every_line_and_inside_lines(string name)
    {
        string text = Crlf(name == nameof(ChromeOffer) ? ChromeOffer : ChromeSimulcastOffer);
        int accepted = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            // Every line boundary, and every 5th character in between.
            if (i == text.Length || text[i] == '\n' || i % 5 == 0)
            {
                if (Check(text[..i])) accepted++;
            }
        }
        Assert.True(accepted > 10);
        Assert.False(Check(""));
    }

    [Fact]
    public void Random_byte_mutations_never_throw()
    {
        var random = new Random(20240611);
        byte[] original = Encoding.UTF8.GetBytes(Crlf(ChromeOffer));
        int accepted = 0;
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            var bytes = new List<byte>(original);
            int mutations = 1 + random.Next(8);
            for (int k = 0; k < mutations; k++)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(6))
                {
                    case 0: bytes[at] = (byte)random.Next(256); break;
                    case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                    case 2: bytes.RemoveAt(at); break;
                    case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                    case 4: bytes.Insert(at, (byte)" \r\n:=/;,~0a-"[random.Next(12)]); break;
                    default:
                        int length = Math.Min(random.Next(1, 200), bytes.Count - at);
                        int to = random.Next(bytes.Count);
                        bytes.InsertRange(to, bytes.GetRange(at, length));
                        break;
                }
            }
            if (Check(Encoding.UTF8.GetString(bytes.ToArray()))) accepted++;
        }
        // Many mutations hit unimportant text and leave a valid description.
        Assert.InRange(accepted, 100, 1999);
    }

    [Fact]
    public void Line_level_mutations_never_throw()
    {
        var random = new Random(7);
        var lines = Crlf(ChromeOffer).Split("\r\n");
        string[] junk = ["a=", "a=:", "m=", "m=video", "m=video x", "a=rtpmap:", "a=rtpmap:96", "a=rtpmap:96 /",
            "a=fmtp:", "a=ssrc:", "a=ssrc:1 ", "a=rid:", "a=simulcast:send", "a=simulcast:send ;", "a=extmap:0 x",
            "a=extmap:1/x y", "a=candidate:x", "a=group:", "a=msid:", "a=fingerprint:sha-256", "a=setup:x", "c=IN",
            "b=AS:x", "t=x y", "o=", "v=1", "x=y", "a=mid:", "a=mid: ", "a=sctp-port:99999", "a=max-message-size:-1",
            "a=ice-ufrag:a b", "a=rtcp-fb:96", "a=ssrc-group:FID x", "a=rtcp-mux:1", "a=sendrecv:x", "é=1", "a=\u00e9"];
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            var copy = new List<string>(lines);
            int at = random.Next(copy.Count);
            switch (random.Next(4))
            {
                case 0: copy.Insert(at, junk[random.Next(junk.Length)]); break;
                case 1: copy[at] = junk[random.Next(junk.Length)]; break;
                case 2: copy.RemoveAt(at); break;
                default: copy.Insert(at, copy[random.Next(copy.Count)]); break;
            }
            Check(string.Join("\r\n", copy));
        }
    }

    [Fact]
    public void Very_long_lines_are_refused_or_kept()
    {
        string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
        Assert.False(Check(head + "a=x:" + new string('y', SessionDescription.MaxLength) + "\r\n"));
        Assert.True(Check(head + "a=x:" + new string('y', 60_000) + "\r\n"));
        Assert.False(Check(head + "m=audio 9 RTP/AVP" + string.Concat(Enumerable.Repeat(" 0", SessionDescription.MaxLength / 2 + 1))));
        Assert.False(Check(new string('a', 1_000_000)));
        Assert.False(Check(head + "m=audio 9 RTP/AVP 0\r\na=candidate:" + new string('1', 50_000)));
        Assert.True(Check(head + "a=candidate:" + new string('1', 50_000))); // unknown at session level: kept
    }

    [Fact]
    public void Too_many_sections_or_lines_are_refused()
    {
        string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
        var sb = new StringBuilder(head);
        for (int i = 0; i < 10_000; i++) sb.Append("m=audio 0 RTP/AVP 0\r\n");
        Assert.False(SessionDescription.TryParse(sb.ToString(), out _, out var error));
        Assert.NotNull(error);

        // 10,000 short m= lines fit in 64 KiB only when LF-terminated and tiny: still refused.
        Assert.False(Check(head + string.Concat(Enumerable.Repeat("m=a 0 b\n", 7000))));

        sb.Clear().Append(head);
        for (int i = 0; i < SessionDescription.MaxMediaSections; i++) sb.Append("m=audio 0 RTP/AVP 0\r\n");
        Assert.True(Check(sb.ToString()));
        Assert.False(Check(sb + "m=audio 0 RTP/AVP 0\r\n"));

        Assert.True(Check(head + string.Concat(Enumerable.Repeat("a=x\r\n", SessionDescription.MaxLinesPerSection - 4))));
        Assert.False(Check(head + string.Concat(Enumerable.Repeat("a=x\r\n", SessionDescription.MaxLinesPerSection))));
        Assert.False(Check(head + "m=audio 0 RTP/AVP 0\r\n" + string.Concat(Enumerable.Repeat("a=x\r\n", SessionDescription.MaxLinesPerSection))));
    }

    [Fact]
    public void Binary_garbage_is_refused()
    {
        var random = new Random(99);
        for (int i = 0; i < 500; i++)
        {
            var bytes = new byte[random.Next(0, 4096)];
            random.NextBytes(bytes);
            Assert.False(Check(Encoding.UTF8.GetString(bytes)));
            Assert.False(Check(Encoding.Latin1.GetString(bytes)));
            // Garbage after a valid head: usually refused, never thrown.
            Check("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + Encoding.Latin1.GetString(bytes));
        }
        Assert.False(Check("v=0\0\r\n"));
        Assert.False(SessionDescription.TryParse(null, out _, out _));
        Assert.Throws<FormatException>(() => SessionDescription.Parse("nonsense"));
    }

    [Theory]
    [InlineData("v=0\r\ns=-\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n", "o=")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "t=")]
    [InlineData("v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "origin")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", "format")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=mid:1\r\n", "duplicate")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=extmap:1 a\r\na=extmap:1 b\r\n", "extmap")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendonly\r\na=recvonly\r\n", "direction")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 opus/48000/2/1\r\n", "rtpmap")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nq=1\r\n", "unexpected")]
    public void Reports_why_it_refuses(string sdp, string reason)
    {
        Assert.False(SessionDescription.TryParse(sdp, out _, out var error));
        Assert.Contains(reason, error);
    }
}
