using System.Text.Json.Nodes;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

[Collection(SharedServer.Name)]
public sealed class JoinLeaveTests(HuddleServer server)
{
    [Fact]
    public async Task Join_answers_with_id_room_mode_and_the_people_already_there()
    {
        string room = RoomNames.Unique("Standup");
        await using TestClient alice = await server.JoinAsync(room, "Alice", audio: true, video: false);
        JsonObject first = alice.Joined!;
        Assert.Equal(1, (int)first["protocol"]!);
        Assert.Matches("^[0-9a-f]{12}$", (string)first["id"]!);
        Assert.Equal(room.ToLowerInvariant(), (string)first["room"]!);
        Assert.Equal("mesh", (string)first["mode"]!);
        Assert.Equal(4, (int)first["capacity"]!);
        Assert.Empty(first["participants"]!.AsArray());
        Assert.Empty(first["iceServers"]!.AsArray());

        await using TestClient bob = await server.JoinAsync(room, "Bob");
        JsonArray present = bob.Joined!["participants"]!.AsArray();
        JsonNode only = Assert.Single(present)!;
        Assert.Equal(alice.Id, (string)only["id"]!);
        Assert.Equal("Alice", (string)only["name"]!);
        Assert.True((bool)only["media"]!["audio"]!);
        Assert.False((bool)only["media"]!["video"]!);
        Assert.NotEqual(alice.Id, bob.Id);

        JsonObject told = await alice.ExpectAsync("participant-joined");
        Assert.Equal(bob.Id, (string)told["participant"]!["id"]!);
        Assert.Equal("Bob", (string)told["participant"]!["name"]!);
        await bob.ExpectNothingAsync();
    }

    [Fact]
    public async Task Participants_are_listed_in_join_order()
    {
        string room = RoomNames.Unique();
        await using TestClient a = await server.JoinAsync(room, "A");
        await using TestClient b = await server.JoinAsync(room, "B");
        await using TestClient c = await server.JoinAsync(room, "C");
        await using TestClient d = await server.JoinAsync(room, "D");
        string[] names = [.. d.Joined!["participants"]!.AsArray().Select(p => (string)p!["name"]!)];
        Assert.Equal(["A", "B", "C"], names);
    }

    [Fact]
    public async Task Leave_message_tells_the_others_and_keeps_the_socket_usable()
    {
        string room = RoomNames.Unique();
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        await using TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");

        await bob.SendAsync(new { type = "leave" });
        JsonObject left = await alice.ExpectAsync("participant-left");
        Assert.Equal(bob.Id, (string)left["id"]!);

        // The same socket can join again, as a new participant.
        string? oldId = bob.Id;
        await bob.JoinAsync(room, "Bob");
        Assert.NotEqual(oldId, bob.Id);
        Assert.Equal(bob.Id, (string)(await alice.ExpectAsync("participant-joined"))["participant"]!["id"]!);
    }

    [Fact]
    public async Task Closing_the_socket_counts_as_leaving()
    {
        string room = RoomNames.Unique();
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");
        await bob.DisposeAsync();
        Assert.Equal(bob.Id, (string)(await alice.ExpectAsync("participant-left"))["id"]!);
    }

    [Fact]
    public async Task A_dropped_connection_counts_as_leaving()
    {
        string room = RoomNames.Unique();
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");
        bob.Abort();
        Assert.Equal(bob.Id, (string)(await alice.ExpectAsync("participant-left"))["id"]!);
        await bob.DisposeAsync();
    }

    [Fact]
    public async Task The_fifth_joiner_gets_room_full_and_may_join_elsewhere()
    {
        string room = RoomNames.Unique();
        var members = new List<TestClient>();
        for (int i = 0; i < 4; i++) members.Add(await server.JoinAsync(room, $"P{i}"));
        for (int i = 0; i < 4; i++)
        {
            for (int later = i + 1; later < 4; later++) await members[i].ExpectAsync("participant-joined");
        }

        await using TestClient fifth = await server.ConnectAsync();
        await fifth.SendAsync(new { type = "join", room, name = "Fifth" });
        JsonObject error = await fifth.ExpectErrorAsync("room-full");
        Assert.Contains("full", (string)error["message"]!);
        foreach (TestClient member in members) await member.ExpectNothingAsync(TimeSpan.FromMilliseconds(100));

        // Same socket, another room.
        JsonObject elsewhere = await fifth.JoinAsync(RoomNames.Unique(), "Fifth");
        Assert.Empty(elsewhere["participants"]!.AsArray());
        await fifth.SendAsync(new { type = "leave" });

        // Once someone leaves, there is room again.
        await members[0].SendAsync(new { type = "leave" });
        Assert.Equal(members[0].Id, (string)(await members[1].ExpectAsync("participant-left"))["id"]!);
        JsonObject joined = await fifth.JoinAsync(room, "Fifth");
        Assert.Equal(3, joined["participants"]!.AsArray().Count);
        foreach (TestClient member in members) await member.DisposeAsync();
    }

    [Fact]
    public async Task Empty_rooms_are_removed()
    {
        await using var own = new HuddleServer();
        await own.InitializeAsync();
        string room = RoomNames.Unique();
        TestClient alice = await own.JoinAsync(room, "Alice");
        TestClient bob = await own.JoinAsync(room, "Bob");
        Assert.Equal(1, own.Rooms.RoomCount);
        await bob.DisposeAsync();
        await alice.SendAsync(new { type = "leave" });
        await alice.ExpectAsync("participant-joined");
        await alice.ExpectAsync("participant-left");
        await WaitUntilAsync(() => own.Rooms.RoomCount == 0);

        JsonObject again = await alice.JoinAsync(room, "Alice");
        Assert.Empty(again["participants"]!.AsArray());
        await alice.DisposeAsync();
        await WaitUntilAsync(() => own.Rooms.RoomCount == 0);
    }

    [Fact]
    public async Task Media_state_reaches_the_others_and_late_joiners()
    {
        string room = RoomNames.Unique();
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        await using TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");

        await alice.SendAsync(new { type = "media", audio = false, video = true });
        JsonObject media = await bob.ExpectAsync("media");
        Assert.Equal(alice.Id, (string)media["id"]!);
        Assert.False((bool)media["audio"]!);
        Assert.True((bool)media["video"]!);
        await alice.ExpectNothingAsync();

        await using TestClient carol = await server.JoinAsync(room, "Carol");
        JsonNode seen = carol.Joined!["participants"]!.AsArray().Single(p => (string)p!["id"]! == alice.Id)!;
        Assert.False((bool)seen["media"]!["audio"]!);
        Assert.True((bool)seen["media"]!["video"]!);
    }

    [Fact]
    public async Task Ping_is_answered_before_and_after_join()
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendAsync(new { type = "ping" });
        await client.ExpectAsync("pong");
        await client.JoinAsync(RoomNames.Unique(), "Pinger");
        await client.SendAsync(new { type = "ping" });
        await client.ExpectAsync("pong");
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}

public sealed class LivenessTests
{
    [Fact]
    public async Task A_vanished_client_that_stops_answering_pings_is_removed_within_seconds()
    {
        await using var server = HuddleServer.With("--Huddle:PingInterval=00:00:00.500", "--Huddle:PingTimeout=00:00:01");
        await server.InitializeAsync();
        string room = RoomNames.Unique();
        await using TestClient alice = await server.JoinAsync(room, "Alice");

        // A raw TCP client that completes the upgrade and then goes silent: it never answers pings,
        // like a laptop whose network vanished.
        using var silent = new System.Net.Sockets.TcpClient();
        await silent.ConnectAsync(server.BaseUri.Host, server.BaseUri.Port);
        var stream = silent.GetStream();
        string key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        string upgrade = $"GET /ws HTTP/1.1\r\nHost: {server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(upgrade));
        byte[] buffer = new byte[4096];
        int read = await stream.ReadAsync(buffer);
        Assert.StartsWith("HTTP/1.1 101", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        byte[] join = System.Text.Encoding.UTF8.GetBytes($$"""{"type":"join","room":"{{room}}","name":"Ghost"}""");
        await stream.WriteAsync(MaskedTextFrame(join));

        JsonObject joined = await alice.ExpectAsync("participant-joined");
        string ghost = (string)joined["participant"]!["id"]!;
        var started = System.Diagnostics.Stopwatch.StartNew();
        JsonObject left = await alice.ExpectAsync("participant-left", TimeSpan.FromSeconds(8));
        Assert.Equal(ghost, (string)left["id"]!);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(8));
    }

    /// <summary>A client-to-server text frame (RFC 6455 §5.2: clients must mask).</summary>
    private static byte[] MaskedTextFrame(byte[] payload)
    {
        Assert.True(payload.Length < 126);
        byte[] mask = [1, 2, 3, 4];
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81; // FIN, text
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (int i = 0; i < payload.Length; i++) frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        return frame;
    }
}
