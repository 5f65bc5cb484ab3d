using Huddle.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests.Rig;

/// <summary>
/// One Huddle server on a real Kestrel (127.0.0.1, free port) and one headless Debian Chromium with
/// fake camera and microphone, shared by the tests of a class. Each participant gets its own
/// browser context, so nothing is shared between them but the network.
/// </summary>
public sealed class MeetingFixture : IAsyncLifetime
{
    public static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
    ];

    private WebApplication? _app;
    private IPlaywright? _playwright;

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Where this fixture's server writes its log (artifacts/server-logs when run by test.sh).</summary>
    public string ServerLog { get; private set; } = "";

    /// <summary>The server's services, for tests that check what the server holds.</summary>
    public IServiceProvider Services => _app!.Services;
    public IBrowser Browser { get; private set; } = null!;
    public IPlaywright Playwright => _playwright!;

    public static string ChromiumPath
    {
        get
        {
            string path = Environment.GetEnvironmentVariable("HUDDLE_CHROMIUM") ?? "/usr/bin/chromium";
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"Chromium is required for the browser tests but {path} does not exist. Install it with: sudo apt-get install -y chromium");
            }
            return path;
        }
    }

    private readonly string[] _extraArgs;

    public MeetingFixture() : this([]) { }

    private MeetingFixture(string[] extraArgs) => _extraArgs = extraArgs;

    /// <summary>A fixture whose server gets extra command-line configuration.</summary>
    public static MeetingFixture With(params string[] extraArgs) => new(extraArgs);

    /// <summary>Media stays on loopback in tests, on a free port.</summary>
    /// Rooms are peer to peer unless a fixture asks for another mode (later arguments win).
    public static readonly string[] ServerArgs = ["--Huddle:Media:Port=0", "--Huddle:Media:BindAddress=127.0.0.1", "--Huddle:RoomMode=mesh"];

    public async Task InitializeAsync()
    {
        _app = HuddleApp.Build(["--urls", "http://127.0.0.1:0", .. ServerArgs, .. _extraArgs]);
        string logs = Path.Combine(Environment.GetEnvironmentVariable("HUDDLE_ARTIFACTS") ?? Path.GetTempPath(), "server-logs");
        Directory.CreateDirectory(logs);
        ServerLog = Path.Combine(logs, $"{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}"[..16] + ".log");
        _app.Services.GetRequiredService<ILoggerFactory>().AddProvider(new FileLoggerProvider(ServerLog));
        await _app.StartAsync();
        BaseUri = new Uri(_app.Urls.First());
        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await LaunchAsync(_playwright, ChromiumArgs);
    }

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, IEnumerable<string> args) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = [.. args],
            Timeout = 60_000,
        });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>Opens <c>/r/{room}?name=…</c> in a fresh context: the person joins at once.</summary>
    public async Task<Participant> JoinAsync(string room, string name, string extraQuery = "", IBrowser? browser = null,
        string? initScript = null)
    {
        IBrowserContext context = await (browser ?? Browser).NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 960, Height = 640 },
        });
        if (initScript is not null) await context.AddInitScriptAsync(initScript);
        IPage page = await context.NewPageAsync();
        var participant = new Participant(name, context, page);
        string query = $"name={Uri.EscapeDataString(name)}&quality=low{extraQuery}";
        await page.GotoAsync(new Uri(BaseUri, $"/r/{room}?{query}").ToString());
        return participant;
    }

    public static string NewRoom(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
