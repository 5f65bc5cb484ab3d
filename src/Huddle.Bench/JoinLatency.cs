using System.Diagnostics;
using System.Text.Json;
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
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        int participants = Option(args, "--participants", 2);
        int runs = Option(args, "--runs", 10);
        string? output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
        string mode = args.SkipWhile(a => a != "--mode").Skip(1).FirstOrDefault() ?? "mesh";
        if (mode is not ("mesh" or "sfu"))
        {
            Console.Error.WriteLine("--mode is mesh or sfu");
            return 2;
        }
        if (participants < 2 || runs < 1)
        {
            Console.Error.WriteLine("--participants must be at least 2 and --runs at least 1");
            return 2;
        }

        await using var app = HuddleApp.Build(["--urls", "http://127.0.0.1:0", "--Huddle:Media:Port=0", $"--Huddle:RoomMode={mode}", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        Uri baseUri = new(app.Urls.First());
        using IPlaywright playwright = await Playwright.CreateAsync();
        string chromium = Environment.GetEnvironmentVariable("HUDDLE_CHROMIUM") ?? "/usr/bin/chromium";
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium, Headless = true, Args = ChromiumArgs,
        });

        Console.WriteLine($"join-latency: {participants} participants, {mode}, {runs} runs, 160x120 fake camera, loopback");
        Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} cores; Chromium {browser.Version}");
        Console.WriteLine();
        Console.WriteLine("run   first remote frame (ms)   all remote frames (ms)");

        var first = new List<double>();
        var all = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            (double firstMs, double allMs) = await OneRunAsync(browser, baseUri, participants, run);
            first.Add(firstMs);
            all.Add(allMs);
            Console.WriteLine($"{run,3}   {firstMs,23:F0}   {allMs,22:F0}");
        }

        Console.WriteLine();
        Console.WriteLine($"first remote frame: median {Median(first):F0} ms, min {first.Min():F0}, max {first.Max():F0}");
        Console.WriteLine($"all remote frames:  median {Median(all):F0} ms, min {all.Min():F0}, max {all.Max():F0}");

        if (output is not null)
        {
            var result = new
            {
                benchmark = "join-latency", participants, mode, runs, machine = CpuModel(), cores = Environment.ProcessorCount,
                chromium = browser.Version, firstMs = first, allMs = all,
                medianFirstMs = Median(first), medianAllMs = Median(all),
            };
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        await app.StopAsync();
        return 0;
    }

    private static async Task<(double First, double All)> OneRunAsync(IBrowser browser, Uri baseUri, int participants, int run)
    {
        string room = $"bench-{run}-{Guid.NewGuid():N}"[..24];
        var contexts = new List<IBrowserContext>();
        try
        {
            for (int i = 0; i < participants - 1; i++)
            {
                IPage early = await OpenAsync(browser, contexts, baseUri, room, $"Early{i}");
                await early.WaitForFunctionAsync("() => window.huddle?.call?.id", null, new() { Timeout = 30_000 });
                // Everyone already present is fully connected before the newcomer arrives.
                await early.WaitForFunctionAsync($"() => window.huddle.call.participants.size === {i}", null, new() { Timeout = 30_000 });
            }
            IPage newcomer = await OpenAsync(browser, contexts, baseUri, room, "Newcomer");
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
            return (result[0], result[1]);
        }
        finally
        {
            foreach (IBrowserContext context in contexts) await context.CloseAsync();
        }
    }

    private static async Task<IPage> OpenAsync(IBrowser browser, List<IBrowserContext> contexts, Uri baseUri, string room, string name)
    {
        IBrowserContext context = await browser.NewContextAsync();
        contexts.Add(context);
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(baseUri, $"/r/{room}?name={name}&quality=low").ToString());
        return page;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        string? value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return value is not null && int.TryParse(value, out int parsed) ? parsed : fallback;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
