using Huddle.Server;
using Microsoft.Playwright;

namespace Huddle.Bench;

/// <summary>
/// What the browser benchmarks share: an in-process server on 127.0.0.1, one headless Debian
/// Chromium with the fake camera and microphone, one browser context per person, and the figures'
/// arithmetic.
/// </summary>
internal sealed class BrowserBench : IAsyncDisposable
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
    ];

    private readonly Microsoft.AspNetCore.Builder.WebApplication _app;
    private readonly IPlaywright _playwright;

    private BrowserBench(Microsoft.AspNetCore.Builder.WebApplication app, IPlaywright playwright, IBrowser browser, Uri baseUri)
    {
        _app = app;
        _playwright = playwright;
        Browser = browser;
        BaseUri = baseUri;
    }

    public IBrowser Browser { get; }

    public Uri BaseUri { get; }

    /// <summary>Starts the server with <paramref name="serverArgs"/> (configuration switches) and Chromium.</summary>
    public static async Task<BrowserBench> StartAsync(params string[] serverArgs)
    {
        var app = HuddleApp.Build(["--urls", "http://127.0.0.1:0", "--Huddle:Media:Port=0", "--Logging:LogLevel:Default=Warning", .. serverArgs]);
        await app.StartAsync();
        IPlaywright playwright = await Playwright.CreateAsync();
        string chromium = Environment.GetEnvironmentVariable("HUDDLE_CHROMIUM") ?? "/usr/bin/chromium";
        IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium, Headless = true, Args = ChromiumArgs,
        });
        return new BrowserBench(app, playwright, browser, new Uri(app.Urls.First()));
    }

    /// <summary>One person: a fresh browser context (own camera, own storage) opening the room.</summary>
    public async Task<IPage> OpenAsync(List<IBrowserContext> contexts, string room, string name)
    {
        IBrowserContext context = await Browser.NewContextAsync();
        contexts.Add(context);
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(BaseUri, $"/r/{room}?name={name}&quality=low").ToString());
        return page;
    }

    public string Machine => $"{CpuModel()}, {Environment.ProcessorCount} cores; Chromium {Browser.Version}";

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static int Option(string[] args, string name, int fallback)
    {
        string? value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return value is not null && int.TryParse(value, out int parsed) ? parsed : fallback;
    }

    public static string? StringOption(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string CpuModel()
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
