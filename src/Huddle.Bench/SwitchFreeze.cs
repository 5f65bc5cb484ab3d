using System.Text.Json;
using Microsoft.Playwright;

namespace Huddle.Bench;

/// <summary>
/// The freeze people see when an auto room changes transport. Three people talk peer to peer; a
/// fourth joins and the room moves to the SFU; then two leave and the last two move back to peer to
/// peer. In every page that was there before a switch, each remote tile's video element reports
/// every frame it presents (requestVideoFrameCallback); the freeze of a tile is the longest gap
/// between two presented frames from one second before the <c>mode</c> message to
/// <see cref="WindowMs"/> after it (a picture that never resumed counts up to the window's end).
/// </summary>
internal static class SwitchFreeze
{
    private const int WindowMs = 8000;

    // Records the presentation time of every frame each remote tile shows, keyed by participant id.
    // A tile may change its video element (the grid swaps in the new transport's picture), so new
    // elements are picked up as they appear; an element still waiting under the picture does not count.
    private const string WatchFrames = """
        () => {
          window.__frames = window.__frames || {};
          window.__missed = window.__missed || [];
          // The grid drops a tile's old element when it swaps in the new one, from the main thread
          // (srcObject = null, then remove). If that thread was busy, the old element's last frames were
          // presented (video is composited off the main thread) but never reported to a callback: count
          // them from the element's playback quality as its stream is taken away. When they were shown
          // is not known, so they are placed as early as they can have been, at the usual interval
          // after the last reported frame: what remains up to the new picture counts as frozen.
          const shown = (video) => { const q = video.getVideoPlaybackQuality(); return q.totalVideoFrames - q.droppedVideoFrames; };
          if (!window.__dropWatched) {
            window.__dropWatched = true;
            const srcObject = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'srcObject');
            Object.defineProperty(HTMLMediaElement.prototype, 'srcObject', {
              configurable: true,
              get() { return srcObject.get.call(this); },
              set(value) {
                if (value === null && this.__watched && this.__quality !== undefined && !this.classList.contains('incoming')) {
                  const missed = shown(this) - this.__quality;
                  const times = window.__frames[this.__id];
                  const now = performance.now(), last = this.__lastAt;
                  const recent = times.slice(-31);
                  const usual = recent.length > 1 ? (recent[recent.length - 1] - recent[0]) / (recent.length - 1) : 0;
                  window.__missed.push(`${this.__id.slice(0, 4)} ${missed} frames over ${(now - last).toFixed(0)} ms`);
                  for (let i = 1; i <= missed; i++) times.push(Math.min(now, last + i * usual));
                }
                srcObject.set.call(this, value);
              },
            });
          }
          const present = new Set([...document.querySelectorAll('.tile[data-participant-id]')].map((t) => t.dataset.participantId));
          const watch = () => {
            for (const video of document.querySelectorAll('.tile[data-participant-id] video')) {
              if (video.__watched || !present.has(video.closest('.tile').dataset.participantId)) continue;
              video.__watched = true;
              const id = video.__id = video.closest('.tile').dataset.participantId;
              const times = window.__frames[id] = window.__frames[id] || [];
              let presented = -1;
              const onFrame = (now, meta) => {
                if (!video.isConnected) return;
                // rVFC runs on the main thread; when that is busy, the compositor goes on presenting
                // frames and the callback reports how many: spread the interval over them.
                const frames = presented < 0 ? 1 : Math.max(1, meta.presentedFrames - presented);
                presented = meta.presentedFrames;
                if (!video.classList.contains('incoming')) {
                  const last = times.length ? times[times.length - 1] : now;
                  for (let i = frames - 1; i >= 0; i--) times.push(now - ((now - last) * i) / frames);
                  video.__quality = shown(video);
                  video.__lastAt = now;
                }
                video.requestVideoFrameCallback(onFrame);
              };
              video.requestVideoFrameCallback(onFrame);
            }
          };
          watch();
          setInterval(watch, 50);
        }
        """;

    // For a switch mark: per watched tile, the longest gap around it, and the usual frame interval before it.
    private const string Gaps = """
        ([mark, windowMs]) => {
          const at = performance.getEntriesByName(mark)[0].startTime;
          const end = Math.min(at + windowMs, performance.now());
          const result = [];
          for (const [id, times] of Object.entries(window.__frames)) {
            if (!document.querySelector(`.tile[data-participant-id="${id}"]`)) continue;
            const inside = times.filter((t) => t >= at - 1000 && t <= end);
            let longest = 0, from = 0;
            for (let i = 1; i < inside.length; i++) if (inside[i] - inside[i - 1] > longest) { longest = inside[i] - inside[i - 1]; from = inside[i - 1] - at; }
            const tail = end - (inside.length ? inside[inside.length - 1] : at - 1000);
            if (tail > longest) { longest = tail; from = end - tail - at; }
            const before = times.filter((t) => t < at - 1000).slice(-60);
            const intervals = before.slice(1).map((t, i) => t - before[i]).sort((a, b) => a - b);
            result.push([longest, intervals.length ? intervals[intervals.length >> 1] : 0, from]);
          }
          return result;
        }
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        int runs = BrowserBench.Option(args, "--runs", 5);
        string? output = BrowserBench.StringOption(args, "--out");
        if (runs < 1)
        {
            Console.Error.WriteLine("--runs must be at least 1");
            return 2;
        }
        await using BrowserBench bench = await BrowserBench.StartAsync("--Huddle:RoomMode=auto");
        Console.WriteLine($"switch-freeze: 3 → 4 (mesh → SFU) and 4 → 2 (SFU → mesh), {runs} runs, 160x120 fake camera, loopback");
        Console.WriteLine($"machine: {bench.Machine}");
        Console.WriteLine();
        Console.WriteLine("run   mesh→SFU: longest gap per tile (ms)              SFU→mesh (ms)    usual frame interval (ms)");

        var toSfu = new List<double>();
        var toMesh = new List<double>();
        var usual = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            (double[] up, double[] down, double[] interval) = await OneRunAsync(bench, run);
            toSfu.AddRange(up);
            toMesh.AddRange(down);
            usual.AddRange(interval);
            Console.WriteLine($"{run,3}   {string.Join(' ', up.Select(g => $"{g,6:F0}")),-48} {string.Join(' ', down.Select(g => $"{g,6:F0}")),-16} {BrowserBench.Median(interval),6:F0}");
        }

        Console.WriteLine();
        Console.WriteLine($"mesh→SFU freeze per tile: median {BrowserBench.Median(toSfu):F0} ms, min {toSfu.Min():F0}, max {toSfu.Max():F0} ({toSfu.Count} tiles)");
        Console.WriteLine($"SFU→mesh freeze per tile: median {BrowserBench.Median(toMesh):F0} ms, min {toMesh.Min():F0}, max {toMesh.Max():F0} ({toMesh.Count} tiles)");
        Console.WriteLine($"usual frame interval:     median {BrowserBench.Median(usual):F0} ms");
        if (output is not null)
        {
            var result = new
            {
                benchmark = "switch-freeze", runs, machine = BrowserBench.CpuModel(), cores = Environment.ProcessorCount,
                chromium = bench.Browser.Version, meshToSfuMs = toSfu, sfuToMeshMs = toMesh, usualIntervalMs = usual,
                medianMeshToSfuMs = BrowserBench.Median(toSfu), medianSfuToMeshMs = BrowserBench.Median(toMesh),
            };
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    private static async Task<(double[] ToSfu, double[] ToMesh, double[] Interval)> OneRunAsync(BrowserBench bench, int run)
    {
        string room = $"switch-{run}-{Guid.NewGuid():N}"[..24];
        var contexts = new List<IBrowserContext>();
        try
        {
            var first = new List<IPage>();
            for (int i = 0; i < 3; i++) first.Add(await bench.OpenAsync(contexts, room, $"P{i}"));
            // Everyone decodes everyone on the mesh before the fourth arrives.
            foreach (IPage page in first) await WaitForFramesAsync(page, 2);
            foreach (IPage page in first) await page.EvaluateAsync(WatchFrames);
            await Task.Delay(2000);

            await bench.OpenAsync(contexts, room, "P3");
            foreach (IPage page in first) await WaitForSwitchAsync(page, "sfu");
            await Task.Delay(WindowMs);
            var up = new List<double>();
            var interval = new List<double>();
            foreach (IPage page in first)
            {
                double[][] gaps = await page.EvaluateAsync<double[][]>(Gaps, new object[] { "huddle:mode-sfu", WindowMs });
                up.AddRange(gaps.Select(g => g[0]));
                if (Environment.GetEnvironmentVariable("HUDDLE_BENCH_DEBUG") is not null)
                {
                    Console.WriteLine("  frames presented between the old element's last callback and its stream's removal: "
                        + await page.EvaluateAsync<string>("() => window.__missed.join('; ')"));
                    Console.WriteLine("  gaps (start+length, ms after mode): " + string.Join(' ', gaps.Select(g => $"{g[2]:F0}+{g[0]:F0}"))
                        + " for " + await page.EvaluateAsync<string>("() => Object.keys(window.__frames).join(' ')"));
                    Console.WriteLine(await page.EvaluateAsync<string>("""
                        () => { const at = performance.getEntriesByName('huddle:mode-sfu')[0].startTime;
                          return performance.getEntriesByType('mark').filter(m => m.startTime >= at - 100)
                            .map(m => `    ${(m.startTime - at).toFixed(0).padStart(6)}  ${m.name}`).join('\n'); }
                        """));
                }
                interval.AddRange(gaps.Select(g => g[1]));
            }

            // The newcomer and one of the first three leave: the last two go back to peer to peer.
            await contexts[3].CloseAsync();
            await contexts[2].CloseAsync();
            contexts.RemoveRange(2, 2);
            foreach (IPage page in first.Take(2)) await WaitForSwitchAsync(page, "mesh");
            await Task.Delay(WindowMs);
            var down = new List<double>();
            foreach (IPage page in first.Take(2))
            {
                double[][] gaps = await page.EvaluateAsync<double[][]>(Gaps, new object[] { "huddle:mode-mesh", WindowMs });
                down.AddRange(gaps.Select(g => g[0]));
            }
            return ([.. up], [.. down], [.. interval]);
        }
        finally
        {
            foreach (IBrowserContext context in contexts) await context.CloseAsync();
        }
    }

    private static Task WaitForFramesAsync(IPage page, int tiles) => page.WaitForFunctionAsync(
        $"() => performance.getEntriesByType('mark').filter(m => m.name.startsWith('huddle:first-frame:')).length >= {tiles}",
        null, new() { Timeout = 30_000 });

    private static Task WaitForSwitchAsync(IPage page, string mode) => page.WaitForFunctionAsync(
        $"() => performance.getEntriesByName('huddle:mode-{mode}').length > 0", null, new() { Timeout = 30_000 });
}
