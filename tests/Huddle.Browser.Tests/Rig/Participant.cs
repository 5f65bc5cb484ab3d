using System.Text.Json;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests.Rig;

/// <summary>One person in a meeting: a page in its own browser context, seen through what it shows.</summary>
public sealed class Participant : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _console = new();

    public Participant(string name, IBrowserContext context, IPage page)
    {
        Name = name;
        Context = context;
        Page = page;
        // The page's warnings and errors, for failure messages ("huddle: the subscribe offer failed …").
        page.Console += (_, message) =>
        {
            if (message.Type is not ("warning" or "error")) return;
            _console.Enqueue($"{message.Type}: {message.Text}");
            while (_console.Count > 20 && _console.TryDequeue(out string? _)) { }
        };
    }

    public string Name { get; }
    public IBrowserContext Context { get; }
    public IPage Page { get; }

    /// <summary>The page's last warnings and errors, one per line.</summary>
    public string ConsoleTail => _console.IsEmpty ? "(no warnings)" : string.Join(Environment.NewLine, _console);

    public ILocator RemoteTile(string name) => Page.Locator($".tile[data-participant-id][data-name=\"{name}\"]");

    public ILocator RemoteTiles => Page.Locator(".tile[data-participant-id]");

    public async Task WaitForViewAsync(string view) =>
        await Page.WaitForFunctionAsync($"() => document.body.dataset.view === '{view}'", null,
            new PageWaitForFunctionOptions { Timeout = (float)Wait.TotalMilliseconds });

    public async Task WaitForRemoteTilesAsync(int count) =>
        await Page.WaitForFunctionAsync("n => document.querySelectorAll('.tile[data-participant-id]').length === n", count,
            new PageWaitForFunctionOptions { Timeout = (float)Wait.TotalMilliseconds });

    /// <summary>What a person would check: the tile's video has a picture and the picture moves.</summary>
    public async Task<VideoState> VideoStateAsync(string remoteName) =>
        await Page.EvaluateAsync<VideoState>("""
            name => {
              const tile = document.querySelector(`.tile[data-participant-id][data-name="${CSS.escape(name)}"]`);
              const video = tile?.querySelector('video');
              return { width: video?.videoWidth ?? 0, currentTime: video?.currentTime ?? 0 };
            }
            """, remoteName);

    /// <summary>Inbound RTP counters of the connection to <paramref name="remoteName"/>, from getStats.</summary>
    public async Task<InboundStats> InboundStatsAsync(string remoteName) =>
        await Page.EvaluateAsync<InboundStats>("""
            async name => {
              const call = window.huddle.call;
              const peer = [...call.participants.values()].find(p => p.name === name);
              // Mesh: the connection to that person. SFU: the subscribe connection's m-sections that carry them.
              const sfu = call.transport && call.transport.kind === 'sfu' ? call.transport : null;
              const pc = sfu ? sfu.subscriber : peer && call.peerConnections.get(peer.id);
              const mids = sfu && peer ? new Set([...sfu.midOwners].filter(([, owner]) => owner === peer.id).map(([mid]) => mid)) : null;
              const result = { framesDecoded: 0, videoPackets: 0, audioPackets: 0, audioEnergy: 0 };
              if (!pc || !peer) return result;
              (await pc.getStats()).forEach(s => {
                if (s.type !== 'inbound-rtp') return;
                if (mids && !mids.has(s.mid)) return;
                if (s.kind === 'video') { result.framesDecoded += s.framesDecoded ?? 0; result.videoPackets += s.packetsReceived ?? 0; }
                if (s.kind === 'audio') { result.audioPackets += s.packetsReceived ?? 0; result.audioEnergy += s.totalAudioEnergy ?? 0; }
              });
              return result;
            }
            """, remoteName);

    /// <summary>
    /// Waits until <paramref name="remoteName"/>'s video is decoding on this page (frames decoded and
    /// playback time both advance, picture has a size) and its audio is arriving with energy.
    /// </summary>
    public async Task AssertReceivesAsync(string remoteName, bool audio = true)
    {
        await RemoteTile(remoteName).WaitForAsync(new LocatorWaitForOptions { Timeout = (float)Wait.TotalMilliseconds });
        DateTime deadline = DateTime.UtcNow + Wait;
        InboundStats first = await InboundStatsAsync(remoteName);
        VideoState firstVideo = await VideoStateAsync(remoteName);
        while (true)
        {
            await Task.Delay(500);
            InboundStats now = await InboundStatsAsync(remoteName);
            VideoState video = await VideoStateAsync(remoteName);
            bool decoding = now.FramesDecoded > first.FramesDecoded && first.FramesDecoded > 0 && video.Width > 0
                && video.CurrentTime > firstVideo.CurrentTime;
            bool hearing = !audio || (now.AudioPackets > first.AudioPackets && first.AudioPackets > 0 && now.AudioEnergy > 0);
            if (decoding && hearing) return;
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{Name} does not receive {remoteName}: stats {JsonSerializer.Serialize(now)}, video {JsonSerializer.Serialize(video)}"
                    + $"{Environment.NewLine}{Name}'s console:{Environment.NewLine}{ConsoleTail}");
            }
            if (first.FramesDecoded == 0 || first.AudioPackets == 0 || firstVideo.CurrentTime == 0)
            {
                first = now;
                firstVideo = video;
            }
        }
    }

    /// <summary>The average colour of the remote video as this page renders it.</summary>
    public async Task<Rgb> AverageColourAsync(string remoteName) =>
        await Page.EvaluateAsync<Rgb>("""
            name => {
              const video = document.querySelector(`.tile[data-participant-id][data-name="${CSS.escape(name)}"] video`);
              if (!video || !video.videoWidth) return { r: -1, g: -1, b: -1 };
              const canvas = document.createElement('canvas');
              canvas.width = 32; canvas.height = 24;
              const g = canvas.getContext('2d', { willReadFrequently: true });
              g.drawImage(video, 0, 0, 32, 24);
              const data = g.getImageData(0, 0, 32, 24).data;
              let r = 0, gr = 0, b = 0;
              for (let i = 0; i < data.length; i += 4) { r += data[i]; gr += data[i + 1]; b += data[i + 2]; }
              const n = data.length / 4;
              return { r: r / n, g: gr / n, b: b / n };
            }
            """, remoteName);

    public async Task ScreenshotAsync(string test)
    {
        if (Page.IsClosed) return;
        string root = Environment.GetEnvironmentVariable("HUDDLE_ARTIFACTS")
            ?? Path.Combine(FindRepoRoot(), "artifacts");
        string directory = Path.Combine(root, "screenshots");
        Directory.CreateDirectory(directory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{test}-{Name}.png") });
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Context.CloseAsync();
        }
        catch (PlaywrightException)
        {
            // Already closed by the test.
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Huddle.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}

// Playwright fills results through setters, so these are plain classes.
public sealed class VideoState
{
    public int Width { get; set; }
    public double CurrentTime { get; set; }
}

public sealed class InboundStats
{
    public long FramesDecoded { get; set; }
    public long VideoPackets { get; set; }
    public long AudioPackets { get; set; }
    public double AudioEnergy { get; set; }
}

public sealed class Rgb
{
    public double R { get; set; }
    public double G { get; set; }
    public double B { get; set; }

    public override string ToString() => $"rgb({R:F0}, {G:F0}, {B:F0})";
}
