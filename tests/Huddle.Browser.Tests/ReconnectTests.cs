using System.Net;
using System.Net.Sockets;
using Huddle.Browser.Tests.Rig;
using Huddle.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>The signaling server goes away and comes back: people are told, and the call recovers.</summary>
public sealed class ReconnectTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    [Fact]
    public async Task When_the_server_restarts_people_are_told_and_the_call_comes_back()
    {
        int port = FreePort();
        string url = $"http://127.0.0.1:{port}";
        WebApplication first = HuddleApp.Build(["--urls", url, "--Huddle:Media:Port=0", "--Huddle:Media:BindAddress=127.0.0.1", "--Huddle:RoomMode=mesh"]);
        await first.StartAsync();
        WebApplication? second = null;
        IBrowserContext aliceContext = await meeting.Browser.NewContextAsync();
        IBrowserContext bobContext = await meeting.Browser.NewContextAsync();
        try
        {
            var alice = new Participant("Alice", aliceContext, await aliceContext.NewPageAsync());
            var bob = new Participant("Bob", bobContext, await bobContext.NewPageAsync());
            string room = MeetingFixture.NewRoom("restart");
            await alice.Page.GotoAsync($"{url}/r/{room}?name=Alice&quality=low");
            await bob.Page.GotoAsync($"{url}/r/{room}?name=Bob&quality=low");
            await alice.AssertReceivesAsync("Bob", audio: false);

            await first.StopAsync();
            await first.DisposeAsync();
            foreach (Participant p in new[] { alice, bob })
            {
                await Assertions.Expect(p.Page.Locator("#notice")).ToHaveAttributeAsync("data-code", "server-unreachable", new() { Timeout = 15_000 });
                await Assertions.Expect(p.Page.Locator("#notice")).ToContainTextAsync("retrying");
            }
            await alice.ScreenshotAsync("ServerUnreachable");

            second = HuddleApp.Build(["--urls", url, "--Huddle:Media:Port=0", "--Huddle:Media:BindAddress=127.0.0.1", "--Huddle:RoomMode=mesh"]);
            await second.StartAsync();
            await alice.AssertReceivesAsync("Bob");
            await bob.AssertReceivesAsync("Alice");
            await Assertions.Expect(alice.Page.Locator("#notice")).ToBeHiddenAsync(new() { Timeout = 15_000 });
            Assert.Equal(1, await alice.RemoteTiles.CountAsync());
            await alice.ScreenshotAsync("ServerBack");
        }
        finally
        {
            await aliceContext.CloseAsync();
            await bobContext.CloseAsync();
            if (second is not null)
            {
                await second.StopAsync();
                await second.DisposeAsync();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
