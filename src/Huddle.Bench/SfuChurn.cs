using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Huddle.Bench.Load;
using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Udp;
using Huddle.Server;

namespace Huddle.Bench;

/// <summary>
/// "Leaving releases everything": resident participants stay in one SFU room while others join,
/// publish, receive, are received, and leave, cycle after cycle. Memory and handles are read after a
/// full GC at a baseline (after warm-up cycles) and every few cycles after, all in this process
/// (server and bots), so what a cycle leaves behind shows as a slope.
/// </summary>
internal static class SfuChurn
{
    public static async Task<int> RunAsync(string[] args)
    {
        int cycles = BrowserBench.Option(args, "--cycles", 200);
        int residents = BrowserBench.Option(args, "--resident", 2);
        int warmup = BrowserBench.Option(args, "--warmup", 20);
        string? output = BrowserBench.StringOption(args, "--out");
        if (cycles < 1 || residents < 1 || warmup < 0)
        {
            Console.Error.WriteLine("--cycles and --resident must be at least 1, --warmup at least 0");
            return 2;
        }

        await using var app = HuddleApp.Build(["--urls", "http://127.0.0.1:0", "--Huddle:Media:Port=0", "--Huddle:Media:BindAddress=127.0.0.1",
            "--Huddle:RoomMode=sfu", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var baseUri = new Uri(app.Urls.First());
        using var dtls = new DtlsContext();
        string room = $"churn-{Guid.NewGuid():N}"[..20];
        Console.WriteLine($"churn: {residents} resident publishers, {warmup} warm-up + {cycles} join/publish/receive/leave cycles, one SFU room, loopback");
        Console.WriteLine($"machine: {BrowserBench.CpuModel()}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        // Residents and visitors publish Opus-sized audio (50 packets/s) and 10 fps of video at 100 kbit/s.
        var profile = new MediaProfile { VideoBitrate = 100_000, FrameRate = 10 };
        var latency = new LatencyHistogram();
        var stay = new List<LoadBot>();
        for (int i = 0; i < residents; i++) stay.Add(await LoadBot.JoinAsync(baseUri, dtls, room, (uint)i, latency, CancellationToken.None));
        foreach (LoadBot bot in stay) await bot.PublishAsync(profile, CancellationToken.None);
        using var pacer = new Pacer(stay);
        pacer.Start();

        var samples = new List<Sample>();
        var cycleMs = new List<double>();
        for (int cycle = 1; cycle <= warmup + cycles; cycle++)
        {
            var watch = Stopwatch.StartNew();
            LoadBot visitor = await LoadBot.JoinAsync(baseUri, dtls, room, (uint)(residents + cycle), latency, CancellationToken.None);
            try
            {
                await visitor.PublishAsync(profile, CancellationToken.None);
                pacer.Add(visitor);
                DateTime deadline = DateTime.UtcNow.AddSeconds(10);
                // The visitor hears every resident and every resident hears the visitor.
                bool Heard() => stay.All(r => visitor.Received.HasHeard(r.Index) && r.Received.HasHeard(visitor.Index));
                while (!Heard() && DateTime.UtcNow < deadline) await Task.Delay(10);
                if (!Heard()) throw new InvalidOperationException($"cycle {cycle}: media did not flow both ways ({string.Join("; ", visitor.Errors)})");
            }
            finally
            {
                await pacer.RemoveAsync(visitor);
                await visitor.DisposeAsync();
            }
            cycleMs.Add(watch.Elapsed.TotalMilliseconds);
            if (cycle == warmup || (cycle > warmup && (cycle - warmup) % 20 == 0))
            {
                Sample sample = await MeasureAsync(cycle - warmup, baseUri);
                samples.Add(sample);
                Console.WriteLine(sample);
            }
        }
        pacer.Stop();

        Sample first = samples[0], last = samples[^1];
        Console.WriteLine();
        Console.WriteLine($"cycle time: median {BrowserBench.Median(cycleMs):F0} ms");
        Console.WriteLine($"managed heap after {cycles} cycles: {Mb(last.ManagedBytes)} (baseline {Mb(first.ManagedBytes)}, {Signed(last.ManagedBytes - first.ManagedBytes)})");
        Console.WriteLine($"RSS: {Mb(last.RssBytes)} (baseline {Mb(first.RssBytes)}); fds {last.FileDescriptors} (baseline {first.FileDescriptors}); threads {last.Threads} (baseline {first.Threads}); SFU peers in the room {last.RoomPeers}");
        if (output is not null)
        {
            var result = new { benchmark = "churn", cycles, residents, warmup, machine = BrowserBench.CpuModel(), cores = Environment.ProcessorCount, samples, medianCycleMs = BrowserBench.Median(cycleMs) };
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        foreach (LoadBot bot in stay) await bot.DisposeAsync();
        await app.StopAsync();
        return 0;
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MiB";

    private static string Signed(long bytes) => (bytes >= 0 ? "+" : "−") + Mb(Math.Abs(bytes));

    private sealed record Sample(int Cycle, long ManagedBytes, long RssBytes, int FileDescriptors, int Threads, int RoomPeers)
    {
        public override string ToString() =>
            $"after {Cycle,4} cycles: managed {ManagedBytes / 1048576.0,6:F1} MiB, RSS {RssBytes / 1048576.0,6:F1} MiB, fds {FileDescriptors,4}, threads {Threads,3}, peers in room {RoomPeers}";
    }

    private static async Task<Sample> MeasureAsync(int cycle, Uri baseUri)
    {
        // Let closed sockets, transports and timers wind down before the full collection.
        await Task.Delay(1500);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        long rss = ProcStats.RssKb(Environment.ProcessId) * 1024;
        int fds = Directory.GetFiles("/proc/self/fd").Length;
        int threads = Process.GetCurrentProcess().Threads.Count;
        using var http = new HttpClient { BaseAddress = baseUri };
        JsonNode rooms = JsonNode.Parse(await http.GetStringAsync("/api/rooms"))!;
        int peers = rooms["rooms"]!.AsArray().Sum(r => r!["participants"]!.AsArray().Count);
        return new Sample(cycle, managed, rss, fds, threads, peers);
    }
}
