using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Huddle.Media.Dtls;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

/// <summary>The HTTP side of the media self-test: answers, limits, and bad input.</summary>
public sealed class EchoApiTests
{
    /// <summary>A Chromium-like offer: Opus (plus PCMU) audio, VP8 with RTX (plus H.264 mode 0) video, a data channel.</summary>
    internal static string Offer(string? fingerprint = null, string ufrag = "Ab3d", string password = "0123456789abcdefghijKL") => string.Join("\r\n",
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS stream",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        $"a=ice-ufrag:{ufrag}",
        $"a=ice-pwd:{password}",
        "a=ice-options:trickle",
        $"a=fingerprint:{fingerprint ?? DtlsCertificate.Generate().Fingerprint.ToString()}",
        "a=setup:actpass",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:9 urn:example:unknown-extension",
        "a=sendrecv",
        "a=msid:stream audio-track",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:0 PCMU/8000",
        "a=ssrc:1001 cname:abc",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        $"a=ice-ufrag:{ufrag}",
        $"a=ice-pwd:{password}",
        "a=setup:actpass",
        "a=mid:1",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=sendrecv",
        "a=msid:stream video-track",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtcp-fb:96 goog-xyz",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
        "a=ssrc-group:FID 2001 2002",
        "a=ssrc:2001 cname:abc",
        "a=ssrc:2002 cname:abc",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        $"a=ice-ufrag:{ufrag}",
        $"a=ice-pwd:{password}",
        "a=setup:actpass",
        "a=mid:2",
        "a=sctp-port:5000",
        "");

    private static HttpClient Http(HuddleServer server) => new() { BaseAddress = server.BaseUri };

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient http, string path, HttpContent content)
    {
        using HttpResponseMessage response = await http.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? new JsonObject());
    }

    [Fact]
    public async Task Behind_nat_the_answer_offers_the_announced_addresses_on_the_media_port()
    {
        // Documentation addresses (RFC 5737): announced only, never contacted.
        await using var server = HuddleServer.With("--Huddle:Media:AnnouncedAddresses:0=203.0.113.7", "--Huddle:Media:AnnouncedAddresses:1=198.51.100.7");
        await server.InitializeAsync();
        using HttpClient http = Http(server);

        var (status, body) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = Offer() }));

        Assert.Equal(HttpStatusCode.Created, status);
        string[] candidates = [.. body["sdp"]!.GetValue<string>().Split("\r\n").Where(l => l.StartsWith("a=candidate:", StringComparison.Ordinal))];
        // RFC 8839: foundation component transport priority address port "typ" type.
        string[][] fields = [.. candidates.Select(c => c.Split(' '))];
        Assert.Equal(["198.51.100.7", "203.0.113.7"], fields.Select(f => f[4]).Distinct().Order(StringComparer.Ordinal).ToArray());
        Assert.Single(fields.Select(f => f[5]).Distinct()); // one UDP port for all media
        Assert.All(fields, f => Assert.Equal("host", f[7]));
        Assert.DoesNotContain(candidates, c => c.Contains(" 127.0.0.1 "));
    }

    [Fact]
    public async Task An_offer_gets_an_ice_lite_passive_answer_with_the_codecs_we_forward()
    {
        await using var server = HuddleServer.With();
        await server.InitializeAsync();
        using HttpClient http = Http(server);

        var (status, body) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = Offer() }));

        Assert.Equal(HttpStatusCode.Created, status);
        string answer = body["sdp"]!.GetValue<string>();
        string[] lines = answer.Split("\r\n");
        Assert.Contains("a=ice-lite", lines);
        Assert.Contains("a=group:BUNDLE 0 1", lines);
        Assert.Equal(2, lines.Count(l => l == "a=setup:passive"));
        Assert.Contains(lines, l => l.StartsWith("a=fingerprint:sha-256 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("a=candidate:", StringComparison.Ordinal) && l.Contains(" 127.0.0.1 ") && l.EndsWith(" typ host"));
        // Opus kept, PCMU dropped; VP8 and its RTX kept, H.264 packetization-mode 0 dropped; the data channel rejected.
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^m=audio [0-9]+ UDP/TLS/RTP/SAVPF 111$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^m=video [0-9]+ UDP/TLS/RTP/SAVPF 96 97$"));
        Assert.Contains("m=application 0 UDP/DTLS/SCTP webrtc-datachannel", lines);
        Assert.Contains("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", lines);
        Assert.DoesNotContain(lines, l => l.Contains("unknown-extension"));
        Assert.DoesNotContain(lines, l => l.Contains("goog-xyz"));
        Assert.Contains("a=rtcp-fb:96 nack pli", lines);
        // Our SSRCs, paired with the offer's, RTX grouped like the browser's.
        Assert.Contains(lines, l => l.StartsWith("a=ssrc-group:FID ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("a=ssrc:1001 ", StringComparison.Ordinal) || l.StartsWith("a=ssrc:2001 ", StringComparison.Ordinal));

        string id = body["id"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{32}$", id);
        using HttpResponseMessage deleted = await http.DeleteAsync($"/api/echo/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using HttpResponseMessage again = await http.DeleteAsync($"/api/echo/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Theory]
    [InlineData("not json", "bad-request")]
    [InlineData("{\"sdp\": 42}", "bad-request")]
    [InlineData("{}", "bad-request")]
    [InlineData("{\"sdp\": \"v=0\"}", "bad-offer")]
    [InlineData("{\"sdp\": \"m=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\na=mid:0\"}", "bad-offer")]
    public async Task Malformed_requests_get_a_clear_error(string body, string code)
    {
        await using var server = HuddleServer.With();
        await server.InitializeAsync();
        using HttpClient http = Http(server);
        var (status, error) = await PostAsync(http, "/api/echo", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Offers_missing_ice_or_fingerprint_are_refused()
    {
        await using var server = HuddleServer.With();
        await server.InitializeAsync();
        using HttpClient http = Http(server);
        string[] broken =
        [
            Offer().Replace("a=fingerprint:", "a=x-fingerprint:"),
            Offer(fingerprint: "sha-256 AB:CD"),
            Offer(password: "short"),
            Offer().Replace("a=ice-ufrag:Ab3d\r\n", "a=ice-ufrag:Zz9z\r\n").Replace("a=mid:0", "a=mid:0\r\na=ice-ufrag:Ab3d"),
            Offer().Replace("a=mid:1\r\n", ""),
        ];
        foreach (string offer in broken)
        {
            var (status, error) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = offer }));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("bad-offer", error["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Oversized_offers_foreign_origins_and_unknown_sessions_are_refused()
    {
        await using var server = HuddleServer.With();
        await server.InitializeAsync();
        using HttpClient http = Http(server);

        var (tooLarge, _) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = Offer() + new string('a', 70_000) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge);

        using var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/echo") { Content = JsonContent.Create(new { sdp = Offer() }) };
        foreign.Headers.Add("Origin", "https://evil.example");
        using HttpResponseMessage forbidden = await http.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        var (unknown, error) = await PostAsync(http, "/api/echo/0123456789abcdef0123456789abcdef", JsonContent.Create(new { sdp = Offer() }));
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("unknown-session", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_number_of_running_self_tests_is_capped()
    {
        await using var server = HuddleServer.With("--Huddle:Media:MaxEchoSessions=2");
        await server.InitializeAsync();
        using HttpClient http = Http(server);
        for (int i = 0; i < 2; i++)
        {
            var (created, _) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = Offer() }));
            Assert.Equal(HttpStatusCode.Created, created);
        }
        var (busy, error) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = Offer() }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy);
        Assert.Equal("busy", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Renegotiation_must_keep_the_ice_credentials()
    {
        await using var server = HuddleServer.With();
        await server.InitializeAsync();
        using HttpClient http = Http(server);
        string fingerprint = DtlsCertificate.Generate().Fingerprint.ToString();
        var (_, body) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = Offer(fingerprint) }));
        string id = body["id"]!.GetValue<string>();

        var (same, answer) = await PostAsync(http, $"/api/echo/{id}", JsonContent.Create(new { sdp = Offer(fingerprint) }));
        Assert.Equal(HttpStatusCode.OK, same);
        Assert.Contains("a=ice-lite", answer["sdp"]!.GetValue<string>());

        var (restart, error) = await PostAsync(http, $"/api/echo/{id}", JsonContent.Create(new { sdp = Offer(fingerprint, ufrag: "Other1") }));
        Assert.Equal(HttpStatusCode.Conflict, restart);
        Assert.Equal("ice-restart-unsupported", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Thousands_of_mutated_offers_never_cause_a_server_error()
    {
        await using var server = HuddleServer.With("--Huddle:Media:MaxEchoSessions=10000", "--Logging:LogLevel:Default=Warning");
        await server.InitializeAsync();
        using HttpClient http = Http(server);
        string offer = Offer();
        var random = new Random(21);
        int created = 0;
        for (int i = 0; i < 1500; i++)
        {
            char[] text = offer.ToCharArray();
            for (int edits = random.Next(1, 6); edits > 0; edits--)
            {
                int at = random.Next(text.Length);
                text[at] = (char)random.Next(random.Next(2) == 0 ? 128 : 0x3000);
            }
            var (status, body) = await PostAsync(http, "/api/echo", JsonContent.Create(new { sdp = new string(text) }));
            Assert.True(status is HttpStatusCode.Created or HttpStatusCode.BadRequest, $"mutation {i}: {status}");
            if (status == HttpStatusCode.Created)
            {
                created++;
                await http.DeleteAsync($"/api/echo/{body["id"]!.GetValue<string>()}");
            }
        }
        Assert.InRange(created, 1, 1499);
    }
}
