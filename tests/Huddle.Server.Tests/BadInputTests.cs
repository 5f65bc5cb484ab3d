using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

[Collection(SharedServer.Name)]
public sealed class BadInputTests(HuddleServer server)
{
    [Theory]
    [InlineData("not json", "bad-request")]
    [InlineData("{\"type\":\"join\"", "bad-request")]
    [InlineData("{\"type\":\"ping\"} trailing", "bad-request")]
    [InlineData("[1,2,3]", "bad-request")]
    [InlineData("42", "bad-request")]
    [InlineData("\"join\"", "bad-request")]
    [InlineData("null", "bad-request")]
    [InlineData("{}", "bad-request")]
    [InlineData("{\"type\":5}", "bad-request")]
    [InlineData("{\"type\":null}", "bad-request")]
    [InlineData("{\"type\":{\"a\":1}}", "bad-request")]
    [InlineData("{\"type\":\"dance\"}", "unknown-type")]
    [InlineData("{\"type\":\"JOIN\"}", "unknown-type")]
    [InlineData("{\"type\":\"join\",\"room\":5,\"name\":\"x\"}", "bad-request")]
    [InlineData("{\"type\":\"join\",\"room\":\"ok\",\"name\":\"x\",\"media\":\"yes\"}", "bad-request")]
    [InlineData("{\"type\":\"join\",\"room\":\"ok\",\"name\":\"x\",\"protocol\":\"1\"}", "bad-request")]
    [InlineData("{\"type\":\"join\",\"room\":\"ok\",\"name\":\"x\",\"protocol\":2}", "unsupported-protocol")]
    [InlineData("{\"type\":\"join\",\"name\":\"x\"}", "invalid-room")]
    [InlineData("{\"type\":\"join\",\"room\":\"ok\"}", "invalid-name")]
    public async Task Malformed_messages_get_an_error_and_the_socket_keeps_working(string text, string code)
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendTextAsync(text);
        await client.ExpectErrorAsync(code);
        await client.SendAsync(new { type = "ping" });
        await client.ExpectAsync("pong");
    }

    [Fact]
    public async Task Deeply_nested_json_is_refused()
    {
        await using TestClient client = await server.ConnectAsync();
        string deep = "{\"type\":\"ping\",\"x\":" + new string('[', 500) + new string(']', 500) + "}";
        await client.SendTextAsync(deep);
        await client.ExpectErrorAsync("bad-request");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("12345678901234567890123456789012345678901")] // 41 characters
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<b>x</b>")]
    [InlineData("a&b")]
    [InlineData("it's")]
    [InlineData("say \"hi\"")]
    [InlineData("tab\there")]
    [InlineData("line\nbreak")]
    [InlineData("bidi\u202Eevil")]
    public async Task Bad_display_names_are_refused(string name)
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendAsync(new { type = "join", room = RoomNames.Unique(), name });
        await client.ExpectErrorAsync("invalid-name");
    }

    [Theory]
    [InlineData("Zoë")]
    [InlineData("李小龍")]
    [InlineData("  Alice  ")]
    [InlineData("1234567890123456789012345678901234567890")] // 40 characters
    public async Task Reasonable_display_names_are_accepted(string name)
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendAsync(new { type = "join", room = RoomNames.Unique(), name });
        await client.ExpectAsync("joined");
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("with space")]
    [InlineData("café")]
    [InlineData("<room>")]
    [InlineData("x1234567890123456789012345678901234567890123456789012345678901234")] // 65 characters
    public async Task Bad_room_names_are_refused(string room)
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendAsync(new { type = "join", room, name = "Alice" });
        await client.ExpectErrorAsync("invalid-room");
    }

    [Fact]
    public async Task Joining_twice_is_refused()
    {
        await using TestClient client = await server.JoinAsync(RoomNames.Unique(), "Alice");
        await client.SendAsync(new { type = "join", room = RoomNames.Unique(), name = "Alice" });
        await client.ExpectErrorAsync("already-joined");
    }

    [Fact]
    public async Task Binary_frames_are_refused()
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendRawAsync([1, 2, 3], WebSocketMessageType.Binary);
        await client.ExpectErrorAsync("bad-request");
    }

    [Fact]
    public async Task Oversized_messages_close_the_socket_with_1009_and_disturb_nobody()
    {
        string room = RoomNames.Unique();
        await using TestClient bystander = await server.JoinAsync(room, "Bystander");
        await using TestClient client = await server.JoinAsync(room, "Big");
        await bystander.ExpectAsync("participant-joined");

        string huge = "{\"type\":\"offer\",\"to\":\"" + bystander.Id + "\",\"sdp\":\"" + new string('a', 70 * 1024) + "\"}";
        await client.SendTextAsync(huge);
        await client.ExpectErrorAsync("too-large");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitClosedAsync());

        // The bystander only learns that the sender left; nothing of the message reaches it.
        Assert.Equal(client.Id, (string)(await bystander.ExpectAsync("participant-left"))["id"]!);
        await bystander.SendAsync(new { type = "ping" });
        await bystander.ExpectAsync("pong");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task Oversized_fields_inside_the_limit_are_refused_without_relay()
    {
        string room = RoomNames.Unique();
        await using TestClient a = await server.JoinAsync(room, "A");
        await using TestClient b = await server.JoinAsync(room, "B");
        await a.ExpectAsync("participant-joined");

        await b.SendAsync(new { type = "offer", to = a.Id, sdp = new string('s', 61_000) });
        await b.ExpectErrorAsync("bad-request");
        await b.SendAsync(new { type = "candidate", to = a.Id, candidate = new { candidate = new string('c', 2000), sdpMid = "0" } });
        await b.ExpectErrorAsync("bad-request");
        await b.SendAsync(new { type = "candidate", to = a.Id, candidate = new { sdpMid = "0" } });
        await b.ExpectErrorAsync("bad-request");
        await b.SendAsync(new { type = "offer", to = a.Id });
        await b.ExpectErrorAsync("bad-request");
        await b.SendAsync(new { type = "media", audio = true });
        await b.ExpectErrorAsync("bad-request");
        await a.ExpectNothingAsync();
    }

    [Fact]
    public async Task A_message_split_over_many_frames_is_reassembled()
    {
        await using TestClient client = await server.ConnectAsync();
        // ClientWebSocket sends one frame per SendAsync; send the JSON in pieces with endOfMessage=false.
        var socket = typeof(TestClient).GetField("_socket", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(client) as ClientWebSocket;
        byte[] json = Encoding.UTF8.GetBytes("{\"type\":\"ping\"}");
        for (int i = 0; i < json.Length; i++)
        {
            await socket!.SendAsync(json.AsMemory(i, 1), WebSocketMessageType.Text, i == json.Length - 1, CancellationToken.None);
        }
        await client.ExpectAsync("pong");
    }
}

public sealed class RateLimitTests
{
    [Fact]
    public async Task A_flooding_socket_is_limited_and_other_rooms_are_not_disturbed()
    {
        await using var server = HuddleServer.With("--Huddle:MessagesPerSecond=5", "--Huddle:MessageBurst=10");
        await server.InitializeAsync();
        string quietRoom = RoomNames.Unique();
        await using TestClient a = await server.JoinAsync(quietRoom, "A");
        await using TestClient b = await server.JoinAsync(quietRoom, "B");
        await a.ExpectAsync("participant-joined");

        await using TestClient flooder = await server.ConnectAsync();
        for (int i = 0; i < 40; i++) await flooder.SendAsync(new { type = "ping" });
        int pongs = 0, limited = 0;
        while (true)
        {
            JsonObject message;
            try { message = await flooder.NextAsync(TimeSpan.FromMilliseconds(500)); }
            catch (Xunit.Sdk.XunitException) { break; }
            if ((string?)message["type"] == "pong") pongs++;
            else if ((string?)message["code"] == "rate-limited") limited++;
        }
        Assert.InRange(pongs, 10, 15); // the burst, plus what refilled meanwhile
        Assert.True(limited >= 1, "the flooder is told it is rate-limited");

        // The quiet room still works.
        await a.SendAsync(new { type = "media", audio = false, video = false });
        Assert.Equal(a.Id, (string)(await b.ExpectAsync("media"))["id"]!);
    }
}
