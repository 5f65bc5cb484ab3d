using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

/// <summary>
/// Room state under concurrent joins and leaves. Each client rebuilds the room from what it was
/// told (joined + participant-joined − participant-left); at the end that view must equal the real
/// membership, and nobody may miss the departure of someone it was told about.
/// </summary>
public sealed class ConcurrencyTests
{
    private sealed class View
    {
        public readonly HashSet<string> Present = [];
        public readonly Dictionary<string, int> LeftCount = [];
    }

    [Fact]
    public async Task Concurrent_joins_respect_capacity_and_every_view_agrees()
    {
        await using var server = new HuddleServer();
        await server.InitializeAsync();
        string[] rooms = [.. Enumerable.Range(0, 10).Select(_ => RoomNames.Unique("busy"))];

        // 60 clients race for 10 rooms of capacity 4.
        var clients = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => server.ConnectAsync()));
        var outcomes = await Task.WhenAll(clients.Select(async (client, i) =>
        {
            await client.SendAsync(new { type = "join", room = rooms[i % rooms.Length], name = $"P{i}" });
            JsonObject first = await client.NextAsync();
            return (client, room: rooms[i % rooms.Length], first);
        }));

        var joined = outcomes.Where(o => (string?)o.first["type"] == "joined").ToList();
        var full = outcomes.Where(o => (string?)o.first["code"] == "room-full").ToList();
        Assert.Equal(60, joined.Count + full.Count);
        Assert.Equal(40, joined.Count); // every room filled to exactly its capacity
        Assert.All(joined.GroupBy(o => o.room), g => Assert.Equal(4, g.Count()));

        // Half of the members leave at once, some politely and some by dropping the connection.
        foreach (var o in joined) o.client.Id = (string)o.first["id"]!;
        var leavers = joined.Where((_, i) => i % 2 == 0).ToList();
        await Task.WhenAll(leavers.Select((o, i) => i % 2 == 0
            ? o.client.SendAsync(new { type = "leave" })
            : Task.Run(o.client.Abort)));

        var stayers = joined.Except(leavers).ToList();
        foreach (var (client, room, first) in stayers)
        {
            View view = await SettleAsync(client, first);
            string[] expected = [.. stayers.Where(s => s.room == room && s.client != client).Select(s => s.client.Id!)];
            client.Id ??= (string)first["id"]!;
            Assert.Equal(expected.Order(), view.Present.Where(id => id != (string)first["id"]!).Order());
            Assert.All(view.LeftCount.Values, count => Assert.Equal(1, count));
        }

        foreach (TestClient client in clients) await client.DisposeAsync();
        await JoinLeaveTests.WaitUntilAsync(() => server.Rooms.RoomCount == 0);
    }

    [Fact]
    public async Task A_join_and_leave_storm_on_one_room_leaves_no_trace()
    {
        await using var server = HuddleServer.With("--Huddle:MeshCapacity=16");
        await server.InitializeAsync();
        string room = RoomNames.Unique("storm");
        await using TestClient watcher = await server.JoinAsync(room, "Watcher");
        var told = new ConcurrentDictionary<string, int>();

        await Task.WhenAll(Enumerable.Range(0, 15).Select(async i =>
        {
            await Task.Delay(Random.Shared.Next(0, 30));
            TestClient client = await server.JoinAsync(room, $"S{i}");
            await Task.Delay(Random.Shared.Next(0, 30));
            if (i % 3 == 0) client.Abort();
            else if (i % 3 == 1) await client.SendAsync(new { type = "leave" });
            await client.DisposeAsync();
        }));

        // The watcher was told of 15 arrivals and exactly 15 departures, each after its arrival.
        var arrived = new HashSet<string>();
        for (int seen = 0; seen < 30; seen++)
        {
            JsonObject message = await watcher.NextAsync();
            string type = (string)message["type"]!;
            if (type == "participant-joined") Assert.True(arrived.Add((string)message["participant"]!["id"]!));
            else if (type == "participant-left")
            {
                string id = (string)message["id"]!;
                Assert.Contains(id, arrived);
                Assert.Equal(1, told.AddOrUpdate(id, 1, (_, n) => n + 1));
            }
            else Assert.Fail($"unexpected {message.ToJsonString()}");
        }
        Assert.Equal(15, arrived.Count);
        Assert.Equal(15, told.Count);
        await watcher.ExpectNothingAsync();

        await watcher.DisposeAsync();
        await JoinLeaveTests.WaitUntilAsync(() => server.Rooms.RoomCount == 0);
    }

    [Fact]
    public async Task Chat_arrives_whole_and_in_order_while_others_drop_out_mid_broadcast()
    {
        // A broadcast is serialized once and queued for every member; sockets that close with messages
        // still queued must not disturb the others' copies or their order. (Chat goes through the server
        // in SFU rooms; these members join without media.)
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        string room = RoomNames.Unique("busy-chat");
        TestClient[] talkers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => server.JoinAsync(room, $"T{i}")));
        TestClient[] listeners = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => server.JoinAsync(room, $"L{i}")));
        TestClient[] leavers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => server.JoinAsync(room, $"X{i}")));
        const int PerTalker = 40;
        static string Text(int talker, int n) => $"{talker}:{n}:" + new string((char)('a' + (talker * 7 + n) % 26), 1990);

        Task talking = Task.WhenAll(talkers.Select(async (talker, t) =>
        {
            for (int n = 0; n < PerTalker; n++) await talker.SendAsync(new { type = "chat", text = Text(t, n) });
        }));
        Task leaving = Task.WhenAll(leavers.Select(async (leaver, i) =>
        {
            await Task.Delay(Random.Shared.Next(0, 60));
            if (i % 2 == 0) leaver.Abort();
            await leaver.DisposeAsync();
        }));
        await Task.WhenAll(talking, leaving);

        string[] talkerIds = [.. talkers.Select(t => t.Id!)];
        foreach (TestClient listener in listeners)
        {
            int[] next = new int[talkers.Length];
            while (next.Sum() < talkers.Length * PerTalker)
            {
                JsonObject message = await listener.NextAsync();
                if ((string?)message["type"] != "chat") continue;
                int t = Array.IndexOf(talkerIds, (string)message["from"]!);
                Assert.True(t >= 0, $"a chat from someone who did not talk: {message["from"]}");
                Assert.Equal(Text(t, next[t]), (string?)message["text"]);
                next[t]++;
            }
        }

        foreach (TestClient client in talkers.Concat(listeners)) await client.DisposeAsync();
        await JoinLeaveTests.WaitUntilAsync(() => server.Rooms.RoomCount == 0);
    }

    /// <summary>Applies messages until none arrives for a while.</summary>
    private static async Task<View> SettleAsync(TestClient client, JsonObject joined)
    {
        var view = new View();
        foreach (JsonNode? p in joined["participants"]!.AsArray()) view.Present.Add((string)p!["id"]!);
        while (true)
        {
            JsonObject message;
            try { message = await client.NextAsync(TimeSpan.FromMilliseconds(700)); }
            catch (Xunit.Sdk.XunitException) { return view; }
            switch ((string?)message["type"])
            {
                case "participant-joined":
                    Assert.True(view.Present.Add((string)message["participant"]!["id"]!), "joined twice");
                    break;
                case "participant-left":
                    string id = (string)message["id"]!;
                    Assert.True(view.Present.Remove(id), $"left without having joined: {id}");
                    view.LeftCount[id] = view.LeftCount.GetValueOrDefault(id) + 1;
                    break;
            }
        }
    }
}
