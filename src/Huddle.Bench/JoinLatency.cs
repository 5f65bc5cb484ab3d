using System.Diagnostics;
using System.Text.Json;
using Huddle.Bench.Load;
using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Udp;
using Huddle.Server;
using Microsoft.Playwright;

namespace Huddle.Bench;

/// <summary>
/// Join-to-first-frame: N−1 people are already in a room (mesh, or SFU with <c>--mode sfu</c>); the N-th joins. For the newcomer we
/// read two performance marks the client sets itself: <c>huddle:join-sent</c> (join message sent)
/// and <c>huddle:first-frame:&lt;peer&gt;</c> (first remote frame presented, via
/// requestVideoFrameCallback). "First" is the earliest peer, "all" the latest.
/// </summary>
internal static class JoinLatency
{
    private static bool s_marks;

    public static async Task<int> RunAsync(string[] args)
    {
        int participants = BrowserBench.Option(args, "--participants", 2);
        int runs = BrowserBench.Option(args, "--runs", 10);
        string? output = BrowserBench.StringOption(args, "--out");
        s_marks = args.Contains("--marks");
        string mode = BrowserBench.StringOption(args, "--mode") ?? "mesh";
        if (mode is not ("mesh" or "sfu"))
        {
            Console.Error.WriteLine("--mode is mesh or sfu");
            return 2;
        }
        string early = BrowserBench.StringOption(args, "--early") ?? "pages";
        Vp8Clip? clip = null;
        if (early == "bots")
        {
            if (mode != "sfu")
            {
                Console.Error.WriteLine("--early bots needs --mode sfu (bots speak the SFU's protocol)");
                return 2;
            }
            string? path = BrowserBench.StringOption(args, "--clip") ?? Vp8Clip.FindDefault();
            if (path is null)
            {
                Console.Error.WriteLine("no clip: run record-clip first, or pass --clip file.ivf");
                return 2;
            }
            clip = Vp8Clip.Load(path);
        }
        else if (early != "pages")
        {
            Console.Error.WriteLine("--early is pages or bots");
            return 2;
        }
        if (participants < 2 || runs < 1)
        {
            Console.Error.WriteLine("--participants must be at least 2 and --runs at least 1");
            return 2;
        }

        await using BrowserBench bench = await BrowserBench.StartAsync($"--Huddle:RoomMode={mode}");

        Console.WriteLine($"join-latency: {participants} participants, {mode}, {runs} runs, 160x120 fake camera, loopback"
            + (clip is null ? "" : $"; the {participants - 1} already there are bots publishing a {clip.Width}x{clip.Height} VP8 clip at {clip.FrameRate} fps"));
        Console.WriteLine($"machine: {bench.Machine}");
        Console.WriteLine();
        Console.WriteLine("run   first remote frame (ms)   all remote frames (ms)");

        using var bots = clip is null ? null : new EarlyBots(bench.BaseUri, clip);
        var first = new List<double>();
        var all = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            (double firstMs, double allMs) = await OneRunAsync(bench, participants, run, bots);
            first.Add(firstMs);
            all.Add(allMs);
            Console.WriteLine($"{run,3}   {firstMs,23:F0}   {allMs,22:F0}");
        }

        Console.WriteLine();
        Console.WriteLine($"first remote frame: median {BrowserBench.Median(first):F0} ms, min {first.Min():F0}, max {first.Max():F0}");
        Console.WriteLine($"all remote frames:  median {BrowserBench.Median(all):F0} ms, min {all.Min():F0}, max {all.Max():F0}");

        if (output is not null)
        {
            var result = new
            {
                benchmark = "join-latency", participants, mode, early, runs, machine = BrowserBench.CpuModel(), cores = Environment.ProcessorCount,
                chromium = bench.Browser.Version, firstMs = first, allMs = all,
                medianFirstMs = BrowserBench.Median(first), medianAllMs = BrowserBench.Median(all),
            };
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    private static async Task<(double First, double All)> OneRunAsync(BrowserBench bench, int participants, int run, EarlyBots? bots)
    {
        string room = $"bench-{run}-{Guid.NewGuid():N}"[..24];
        var contexts = new List<IBrowserContext>();
        try
        {
            if (bots is not null)
            {
                // Bots are in the room and sending once JoinAsync returns (their publish transports connected).
                await bots.JoinAsync(room, participants - 1);
            }
            else
            {
                for (int i = 0; i < participants - 1; i++)
                {
                    IPage early = await bench.OpenAsync(contexts, room, $"Early{i}");
                    await early.WaitForFunctionAsync("() => window.huddle?.call?.id", null, new() { Timeout = 30_000 });
                    // Everyone already present is fully connected before the newcomer arrives.
                    await early.WaitForFunctionAsync($"() => window.huddle.call.participants.size === {i}", null, new() { Timeout = 30_000 });
                }
            }
            IPage newcomer = await bench.OpenAsync(contexts, room, "Newcomer");
            await newcomer.WaitForFunctionAsync(
                $"() => performance.getEntriesByType('mark').filter(m => m.name.startsWith('huddle:first-frame:')).length === {participants - 1}",
                null, new() { Timeout = 30_000 });
            double[] result = await newcomer.EvaluateAsync<double[]>("""
                () => {
                  const join = performance.getEntriesByName('huddle:join-sent')[0].startTime;
                  const frames = performance.getEntriesByType('mark').filter(m => m.name.startsWith('huddle:first-frame:')).map(m => m.startTime - join);
                  return [Math.min(...frames), Math.max(...frames)];
                }
                """);
            if (s_marks)
            {
                // Where the time went: every mark of the newcomer, in ms after join-sent.
                string timeline = await newcomer.EvaluateAsync<string>("""
                    () => {
                      const join = performance.getEntriesByName('huddle:join-sent')[0].startTime;
                      return performance.getEntriesByType('mark').filter(m => m.name.startsWith('huddle:'))
                        .map(m => `${(m.startTime - join).toFixed(0).padStart(6)}  ${m.name}`).join('\n');
                    }
                    """);
                Console.WriteLine(timeline);
            }
            return (result[0], result[1]);
        }
        finally
        {
            foreach (IBrowserContext context in contexts) await context.CloseAsync();
            if (bots is not null) await bots.LeaveAsync();
        }
    }

    /// <summary>
    /// The people already in the room as bots of our own stack that publish a recorded VP8 clip (and Opus
    /// silence): the newcomer's page decodes them like pages, while the machine's two cores are left to
    /// the newcomer's browser and the server instead of five more pages encoding and decoding.
    /// </summary>
    private sealed class EarlyBots(Uri server, Vp8Clip clip) : IDisposable
    {
        private readonly DtlsContext _dtls = new();
        private readonly BatchReceiver _receiver = new("early-bots", settleMs: 1);
        private readonly Pacer _pacer = StartPacer();
        private readonly List<LoadBot> _bots = [];

        private static Pacer StartPacer()
        {
            var pacer = new Pacer([]);
            pacer.Start();
            return pacer;
        }

        public async Task JoinAsync(string room, int count)
        {
            var profile = new MediaProfile { Clip = clip };
            for (int i = 0; i < count; i++)
            {
                LoadBot bot = await LoadBot.JoinAsync(server, _dtls, room, (uint)i, new LatencyHistogram(), CancellationToken.None, _receiver);
                _bots.Add(bot);
                await bot.PublishAsync(profile, CancellationToken.None);
                _pacer.Add(bot);
            }
        }

        public async Task LeaveAsync()
        {
            foreach (LoadBot bot in _bots)
            {
                await _pacer.RemoveAsync(bot);
                await bot.DisposeAsync();
            }
            _bots.Clear();
        }

        public void Dispose()
        {
            _pacer.Dispose();
            _receiver.Dispose();
            _dtls.Dispose();
        }
    }
}
