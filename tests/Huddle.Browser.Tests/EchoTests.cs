using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Huddle.Server.Media;
using Microsoft.Extensions.DependencyInjection;
using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>
/// The media self-test page (/echo) against the server's own WebRTC stack (ICE-lite, DTLS over OpenSSL,
/// SRTP), proven with real Chromium: what the browser sends comes back, decodes, and is heard.
/// </summary>
public sealed class EchoTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    /// <summary>Per returned stream: kind, decoded frames, packets, audio energy, and the transport's SRTP cipher.</summary>
    private const string ReadStats = """
        async () => {
          const pc = window.huddleEcho?.pc;
          if (!pc) return JSON.stringify({ inbound: [], cipher: '', state: 'none' });
          const report = await pc.getStats();
          const inbound = [];
          let cipher = '';
          report.forEach((s) => {
            if (s.type === 'inbound-rtp') inbound.push({ kind: s.kind, mid: s.mid ?? '', framesDecoded: s.framesDecoded ?? 0,
              packetsReceived: s.packetsReceived ?? 0, energy: s.totalAudioEnergy ?? 0 });
            if (s.type === 'transport' && s.srtpCipher) cipher = s.srtpCipher;
          });
          return JSON.stringify({ inbound, cipher, state: pc.connectionState });
        }
        """;

    public sealed class Inbound
    {
        public string Kind { get; set; } = "";
        public string Mid { get; set; } = "";
        public double FramesDecoded { get; set; }
        public double PacketsReceived { get; set; }
        public double Energy { get; set; }
    }

    public sealed class EchoStats
    {
        public List<Inbound> Inbound { get; set; } = [];
        public string? Cipher { get; set; }
        public string State { get; set; } = "";
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static async Task<EchoStats> StatsAsync(IPage page) =>
        JsonSerializer.Deserialize<EchoStats>(await page.EvaluateAsync<string>(ReadStats), Json)!;

    private static async Task<EchoStats> WaitForAsync(IPage page, Func<EchoStats, bool> condition, string what, int timeoutMs = 20_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        EchoStats stats = await StatsAsync(page);
        while (!condition(stats))
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"{what} did not happen within {timeoutMs} ms; last stats: {JsonSerializer.Serialize(stats)}; page says: {await page.Locator("#verdict").TextContentAsync()}");
            await Task.Delay(250);
            stats = await StatsAsync(page);
        }
        return stats;
    }

    private static async Task<IPage> OpenAsync(MeetingFixture server)
    {
        IBrowserContext context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 960, Height = 800 },
        });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseUri, "/echo?quality=low").ToString());
        // Play the returned sound: Chromium measures received audio energy at playout.
        await page.Locator("#echo-listen").CheckAsync();
        return page;
    }

    private static async Task AssertVideoAndAudioComeBackAsync(IPage page)
    {
        EchoStats first = await WaitForAsync(page,
            s => s.Inbound.Any(i => i.Kind == "video" && i.FramesDecoded >= 5) && s.Inbound.Any(i => i.Kind == "audio" && i.PacketsReceived >= 20),
            "echoed video decoding and echoed audio arriving");
        double frames = first.Inbound.Where(i => i.Kind == "video").Sum(i => i.FramesDecoded);
        double packets = first.Inbound.Where(i => i.Kind == "audio").Sum(i => i.PacketsReceived);
        // Still flowing a moment later, and the fake microphone's tone carries energy.
        EchoStats later = await WaitForAsync(page,
            s => s.Inbound.Where(i => i.Kind == "video").Sum(i => i.FramesDecoded) > frames + 5
                 && s.Inbound.Where(i => i.Kind == "audio").Sum(i => i.PacketsReceived) > packets + 20
                 && s.Inbound.Where(i => i.Kind == "audio").Sum(i => i.Energy) > 0,
            "echoed media to keep flowing");
        Assert.Equal("connected", later.State);
        // The returned picture is really on screen.
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('echo-video'); return v && v.videoWidth > 0 && v.currentTime > 0; }",
            null, new PageWaitForFunctionOptions { Timeout = 10_000 });
    }

    [Fact]
    public async Task The_browser_gets_its_own_video_and_audio_back_from_the_server()
    {
        IPage page = await OpenAsync(meeting);
        try
        {
            await AssertVideoAndAudioComeBackAsync(page);
            // The page tells the person what it found, with figures.
            await Assertions.Expect(page.Locator("#verdict")).ToHaveAttributeAsync("data-verdict", new System.Text.RegularExpressions.Regex("^(good|fair)$"),
                new LocatorAssertionsToHaveAttributeOptions { Timeout = 10_000 });
            await Assertions.Expect(page.Locator("#stat-rtt")).ToContainTextAsync("ms");
            await Assertions.Expect(page.Locator("#stat-bitrate-in")).ToContainTextAsync("kbit/s");
            await Assertions.Expect(page.Locator("#stat-loss")).ToContainTextAsync("%");
            await ScreenshotAsync(page, nameof(The_browser_gets_its_own_video_and_audio_back_from_the_server));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData("AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM")]
    [InlineData("AES_CM_128_HMAC_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_80")]
    public async Task Each_srtp_profile_Chromium_offers_carries_the_echo(string profile, string chromiumName)
    {
        MeetingFixture server = MeetingFixture.With($"--Huddle:Media:SrtpProfiles:0={profile}");
        try
        {
            await server.InitializeAsync();
            IPage page = await OpenAsync(server);
            await AssertVideoAndAudioComeBackAsync(page);
            Assert.Equal(chromiumName, (await StatsAsync(page)).Cipher);
            await Assertions.Expect(page.Locator("#stat-srtp")).ToHaveTextAsync(chromiumName);
            await page.Context.CloseAsync();
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Adding_a_track_renegotiates_and_both_videos_come_back()
    {
        IPage page = await OpenAsync(meeting);
        try
        {
            await AssertVideoAndAudioComeBackAsync(page);
            // A second video track (a canvas, like a shared screen) added to the running test.
            await page.EvaluateAsync("""
                async () => {
                  const canvas = document.createElement('canvas');
                  canvas.width = 160; canvas.height = 120;
                  const g = canvas.getContext('2d');
                  let n = 0;
                  setInterval(() => { g.fillStyle = n++ % 2 ? '#c00' : '#0c0'; g.fillRect(0, 0, 160, 120); }, 50);
                  const [track] = canvas.captureStream(15).getVideoTracks();
                  await window.huddleEcho.addTrack(track);
                }
                """);
            EchoStats stats = await WaitForAsync(page,
                s => s.Inbound.Count(i => i.Kind == "video" && i.FramesDecoded >= 5) == 2,
                "both echoed videos decoding after renegotiation");
            double before = stats.Inbound.Where(i => i.Kind == "video").Min(i => i.FramesDecoded);
            await WaitForAsync(page, s => s.Inbound.Where(i => i.Kind == "video").Min(i => i.FramesDecoded) > before + 5,
                "both echoed videos to keep decoding");
            await WaitForAsync(page, s => s.Inbound.Any(i => i.Kind == "audio" && i.PacketsReceived > 0), "audio still coming back");
            Assert.NotEqual("failed", await page.Locator("#verdict").GetAttributeAsync("data-verdict"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_flood_of_junk_at_the_media_port_does_not_disturb_a_running_test()
    {
        IPage page = await OpenAsync(meeting);
        try
        {
            await AssertVideoAndAudioComeBackAsync(page);
            string answer = await page.EvaluateAsync<string>("() => window.huddleEcho.pc.remoteDescription.sdp");
            int port = int.Parse(Regex.Match(answer, @"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host").Groups[1].Value);
            var target = new IPEndPoint(IPAddress.Loopback, port);

            // STUN, DTLS, RTP and RTCP look-alikes from an address ICE never validated.
            using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var random = new Random(3);
            byte[] firstBytes = [0x00, 0x01, 0x16, 0x17, 0x80, 0x81, 0x90];
            for (int i = 0; i < 20_000; i++)
            {
                var junk = new byte[random.Next(1, 1200)];
                random.NextBytes(junk);
                junk[0] = firstBytes[i % firstBytes.Length];
                if (junk.Length > 1 && i % 3 == 0) junk[1] = 200; // RTCP sender report type
                attacker.SendTo(junk, target);
                if (i % 2000 == 0) await Task.Delay(20);
            }

            EchoStats after = await StatsAsync(page);
            double frames = after.Inbound.Where(i => i.Kind == "video").Sum(i => i.FramesDecoded);
            await WaitForAsync(page, s => s.State == "connected" && s.Inbound.Where(i => i.Kind == "video").Sum(i => i.FramesDecoded) > frames + 10,
                "video to keep decoding after the flood");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Closing_the_page_ends_the_session_on_the_server()
    {
        var echo = meeting.Services.GetRequiredService<EchoService>();
        IPage page = await OpenAsync(meeting);
        await AssertVideoAndAudioComeBackAsync(page);
        Assert.True(echo.Count >= 1);
        await page.Context.CloseAsync();
        long deadline = Environment.TickCount64 + 10_000;
        while (echo.Count > 0 && Environment.TickCount64 < deadline) await Task.Delay(100);
        Assert.Equal(0, echo.Count);
    }

    private static async Task ScreenshotAsync(IPage page, string test)
    {
        string directory = Path.Combine(Environment.GetEnvironmentVariable("HUDDLE_ARTIFACTS") ?? "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{test}.png") });
    }
}
