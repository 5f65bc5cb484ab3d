using System.Net;
using System.Net.WebSockets;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

[Collection(SharedServer.Name)]
public sealed class HttpTests(HuddleServer server)
{
    private HttpClient Http() => new() { BaseAddress = server.BaseUri };

    [Fact]
    public async Task Healthz_answers_ok()
    {
        using HttpClient http = Http();
        HttpResponseMessage response = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/r/team-standup")]
    public async Task The_client_page_is_served_with_a_strict_content_security_policy(string path)
    {
        using HttpClient http = Http();
        HttpResponseMessage response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/js/app.js", await response.Content.ReadAsStringAsync());
        string csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Client_modules_are_served()
    {
        using HttpClient http = Http();
        foreach (string path in new[] { "/js/app.js", "/js/call.js", "/js/mesh.js", "/js/signaling.js", "/app.css" })
        {
            HttpResponseMessage response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Plain_http_to_the_socket_endpoint_asks_for_an_upgrade()
    {
        using HttpClient http = Http();
        Assert.Equal(HttpStatusCode.UpgradeRequired, (await http.GetAsync("/ws")).StatusCode);
    }

    [Fact]
    public async Task A_websocket_from_another_origin_is_refused()
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "https://evil.example");
        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(server.WebSocketUri, CancellationToken.None));
        Assert.Contains("403", error.Message);

        await using TestClient same = await TestClient.ConnectAsync(server.WebSocketUri,
            o => o.SetRequestHeader("Origin", $"http://{server.BaseUri.Authority}"));
        await same.SendAsync(new { type = "ping" });
        await same.ExpectAsync("pong");
    }

    [Fact]
    public async Task Ice_servers_from_configuration_reach_clients()
    {
        await using var own = HuddleServer.With(
            "--Huddle:IceServers:0:Urls:0=stun:stun.example.org:3478",
            "--Huddle:IceServers:1:Urls:0=turn:turn.example.org:3478?transport=udp",
            "--Huddle:IceServers:1:Username=huddle",
            "--Huddle:IceServers:1:Credential=secret");
        await own.InitializeAsync();
        await using TestClient client = await own.JoinAsync(RoomNames.Unique(), "Alice");
        var ice = client.Joined!["iceServers"]!.AsArray();
        Assert.Equal(2, ice.Count);
        Assert.Equal("stun:stun.example.org:3478", (string)ice[0]!["urls"]![0]!);
        Assert.False(ice[0]!.AsObject().ContainsKey("username"));
        Assert.Equal("turn:turn.example.org:3478?transport=udp", (string)ice[1]!["urls"]![0]!);
        Assert.Equal("huddle", (string)ice[1]!["username"]!);
        Assert.Equal("secret", (string)ice[1]!["credential"]!);
    }

    [Fact]
    public async Task Invalid_configuration_stops_the_start_with_a_clear_error()
    {
        var server = HuddleServer.With("--Huddle:IceServers:0:Urls:0=http://not-ice");
        var error = await Assert.ThrowsAnyAsync<Exception>(server.InitializeAsync);
        Assert.Contains("IceServers", error.Message);
    }
}
