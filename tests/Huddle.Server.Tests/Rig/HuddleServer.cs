using Huddle.Server;
using Huddle.Server.Rooms;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Huddle.Server.Tests.Rig;

/// <summary>The real Huddle app on a real Kestrel bound to 127.0.0.1 and a free port.</summary>
public sealed class HuddleServer : IAsyncLifetime
{
    private readonly string[] _extraArgs;
    private WebApplication? _app;

    public HuddleServer() : this([]) { }

    private HuddleServer(string[] extraArgs) => _extraArgs = extraArgs;

    /// <summary>A server of its own, with extra command-line configuration.</summary>
    public static HuddleServer With(params string[] extraArgs) => new(extraArgs);

    public Uri BaseUri { get; private set; } = null!;

    public Uri WebSocketUri => new($"ws://{BaseUri.Authority}/ws");

    internal RoomRegistry Rooms => _app!.Services.GetRequiredService<RoomRegistry>();

    public async Task InitializeAsync()
    {
        _app = HuddleApp.Build(["--urls", "http://127.0.0.1:0", "--Huddle:Media:Port=0", "--Huddle:Media:BindAddress=127.0.0.1",
            // Most protocol tests are about mesh rooms; SFU and auto tests say so (later arguments win).
            "--Huddle:RoomMode=mesh", .. _extraArgs]);
        await _app.StartAsync();
        BaseUri = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public Task<TestClient> ConnectAsync() => TestClient.ConnectAsync(WebSocketUri);

    public async Task<TestClient> JoinAsync(string room, string name, bool audio = true, bool video = true)
    {
        TestClient client = await ConnectAsync();
        await client.JoinAsync(room, name, audio, video);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class SharedServer : ICollectionFixture<HuddleServer>
{
    public const string Name = "shared server";
}

internal static class RoomNames
{
    private static int s_next;

    /// <summary>A room name no other test uses.</summary>
    public static string Unique(string prefix = "room") => $"{prefix}-{Interlocked.Increment(ref s_next)}-{Guid.NewGuid():N}"[..(prefix.Length + 20)];
}
