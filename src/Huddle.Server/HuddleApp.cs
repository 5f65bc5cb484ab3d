using Huddle.Server.Configuration;
using System.Net;
using Huddle.Server.Hosting;
using Huddle.Server.Media;
using Huddle.Server.Rooms;
using Huddle.Server.Signaling;

namespace Huddle.Server;

/// <summary>Builds the Huddle web application; used by <c>Program</c>, the tests and the bench.</summary>
public static class HuddleApp
{
    public const string DefaultHttpUrl = "http://localhost:5080";
    public const string DefaultHttpsUrl = "https://0.0.0.0:5443";

    public static WebApplication Build(string[] args)
    {
        // `--https` is a bare switch; the command-line configuration provider wants key=value pairs.
        bool httpsSwitch = args.Contains("--https");
        string[] rest = [.. args.Where(a => a != "--https")];

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = rest,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        if (httpsSwitch)
        {
            builder.Configuration.AddInMemoryCollection([new("Huddle:Https:Enabled", "true")]);
        }

        builder.Services.AddHuddle(builder.Configuration);
        builder.ConfigureHuddleKestrel();

        WebApplication app = builder.Build();
        app.UseHuddleHttp();
        app.MapHuddle();
        app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
        return app;
    }

    private static IServiceCollection AddHuddle(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HuddleOptions>()
            .Bind(configuration.GetSection(HuddleOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.IceServers.All(s => s.Urls.Count > 0 && s.Urls.All(IsIceUrl)),
                "Every Huddle:IceServers entry needs Urls starting with stun:, stuns:, turn: or turns:.")
            .Validate(o => o.PingInterval > TimeSpan.Zero && o.PingTimeout > TimeSpan.Zero,
                "Huddle:PingInterval and Huddle:PingTimeout must be positive.")
            .Validate(o => IPAddress.TryParse(o.Media.BindAddress, out _),
                "Huddle:Media:BindAddress must be an IP address.")
            .Validate(o => o.Media.AnnouncedAddresses.All(a => IPAddress.TryParse(a, out _)),
                "Every Huddle:Media:AnnouncedAddresses entry must be an IP address.")
            .Validate(o => o.MeshAtOrBelow < o.SfuAbove,
                "Huddle:MeshAtOrBelow must be smaller than Huddle:SfuAbove, or auto rooms would switch back and forth.")
            .Validate(o => o.Media.SrtpProfiles.All(MediaHost.IsKnownProfile),
                "Huddle:Media:SrtpProfiles must list AEAD_AES_128_GCM and/or AES_CM_128_HMAC_SHA1_80.")
            .ValidateOnStart();
        services.AddSingleton<RoomRegistry>();
        services.AddSingleton<SignalingStats>();
        services.AddSingleton<MediaHost>();
        services.AddHostedService(sp => sp.GetRequiredService<MediaHost>());
        services.AddSingleton<EchoService>();
        return services;
    }

    private static bool IsIceUrl(string url) =>
        url.StartsWith("stun:", StringComparison.Ordinal) || url.StartsWith("stuns:", StringComparison.Ordinal)
        || url.StartsWith("turn:", StringComparison.Ordinal) || url.StartsWith("turns:", StringComparison.Ordinal);

    private static void ConfigureHuddleKestrel(this WebApplicationBuilder builder)
    {
        HttpsOptions https = builder.Configuration.GetSection(HuddleOptions.Section).Get<HuddleOptions>()?.Https ?? new();
        bool urlsGiven = !string.IsNullOrEmpty(builder.Configuration["urls"]) || !string.IsNullOrEmpty(builder.Configuration["http_ports"])
            || !string.IsNullOrEmpty(builder.Configuration["https_ports"]);
        if (!urlsGiven) builder.WebHost.UseUrls(https.Enabled ? DefaultHttpsUrl : DefaultHttpUrl);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            if (!https.Enabled) return;
            var logger = LoggerFactory.Create(l => l.AddConsole()).CreateLogger("Huddle.Https");
            var certificate = string.IsNullOrEmpty(https.CertificatePath)
                ? SelfSignedCertificate.LoadOrCreate(DataDirectory(context.Configuration), logger)
                : SelfSignedCertificate.LoadFile(https.CertificatePath, https.KeyPath, https.CertificatePassword);
            kestrel.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate);
        });
    }

    internal static string DataDirectory(IConfiguration configuration)
    {
        string? configured = configuration["Huddle:DataDirectory"];
        if (!string.IsNullOrEmpty(configured)) return configured;
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".huddle");
    }

    private static void UseHuddleHttp(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy =
                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
                + "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self)";
            return next(context);
        });
        app.UseWebSockets();
        app.UseStaticFiles(new StaticFileOptions
        {
            // No build step means no hashed file names: browsers revalidate (ETag) on every load.
            OnPrepareResponse = static ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    private static void MapHuddle(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/", ServeClient);
        app.MapGet("/r/{room}", ServeClient);
        app.MapGet("/echo", (IWebHostEnvironment environment, HttpContext context) => ServePage(environment, context, "echo.html"));
        app.MapEcho();
        app.MapRoomsApi();
        app.MapMediaStats();
        app.MapSignaling();
    }

    private static IResult ServeClient(IWebHostEnvironment environment, HttpContext context) =>
        ServePage(environment, context, "index.html");

    private static IResult ServePage(IWebHostEnvironment environment, HttpContext context, string page)
    {
        context.Response.Headers.CacheControl = "no-cache";
        var file = environment.WebRootFileProvider.GetFileInfo(page);
        return file.Exists && file.PhysicalPath is not null
            ? Results.File(file.PhysicalPath, "text/html; charset=utf-8")
            : Results.Problem("The web client is missing from wwwroot.", statusCode: 500);
    }
}
