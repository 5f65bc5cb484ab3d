using Huddle.Media.Dtls;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

/// <summary>SFU rooms at the protocol level, with bots made of our own WebRTC stack.</summary>
public sealed class SfuSignalingTests
{
    [Fact]
    public async Task Media_reaches_everyone_in_the_room_and_nobody_in_another_room()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        string roomA = RoomNames.Unique("iso-a"), roomB = RoomNames.Unique("iso-b");
        var bots = new List<SfuBot>();
        try
        {
            foreach (var (room, name) in new[] { (roomA, "a1"), (roomA, "a2"), (roomA, "a3"), (roomB, "b1"), (roomB, "b2") })
                bots.Add(await SfuBot.JoinAsync(server, dtls, room, name));
            foreach (SfuBot bot in bots) await bot.PublishAsync();

            // Subscriptions settle, then everyone sends; keep sending until every expected stream arrived.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            bool Complete() => bots.All(bot => bots.Where(o => o != bot && SameRoom(o, bot)).All(o => bot.ReceivedFrom.GetValueOrDefault(o.Name) >= 20));
            while (!Complete() && DateTime.UtcNow < deadline)
            {
                foreach (SfuBot bot in bots) bot.SendMedia(5);
                await Task.Delay(50);
            }

            foreach (SfuBot bot in bots)
            {
                Assert.Empty(bot.Errors);
                foreach (SfuBot other in bots.Where(o => o != bot))
                {
                    int received = bot.ReceivedFrom.GetValueOrDefault(other.Name);
                    if (SameRoom(other, bot)) Assert.True(received >= 20, $"{bot.Name} got {received} packets from {other.Name}");
                    else Assert.Equal(0, received);
                }
                Assert.False(bot.ReceivedFrom.ContainsKey(bot.Name), $"{bot.Name} got its own media back");
            }
        }
        finally
        {
            foreach (SfuBot bot in bots) await bot.DisposeAsync();
        }

        static bool SameRoom(SfuBot a, SfuBot b) => a.Name[0] == b.Name[0];
    }

    [Fact]
    public async Task Sfu_messages_are_refused_in_mesh_rooms_and_bad_descriptions_get_an_error()
    {
        await using var mesh = HuddleServer.With();
        await mesh.InitializeAsync();
        await using TestClient m = await mesh.JoinAsync(RoomNames.Unique("mesh"), "m");
        await m.SendAsync(new { type = "publish", sdp = "v=0" });
        await m.ExpectErrorAsync("wrong-mode");
        await m.SendAsync(new { type = "chat", text = "hi" });
        await m.ExpectErrorAsync("wrong-mode");

        await using var sfu = HuddleServer.With("--Huddle:RoomMode=sfu");
        await sfu.InitializeAsync();
        await using TestClient s = await sfu.JoinAsync(RoomNames.Unique("sfu"), "s");
        Assert.Equal("sfu", (string?)s.Joined!["mode"]);
        await s.SendAsync(new { type = "publish", sdp = "not sdp at all" });
        await s.ExpectErrorAsync("negotiation-failed");
        await s.SendAsync(new { type = "publish" });
        await s.ExpectErrorAsync("bad-request");
        await s.SendAsync(new { type = "subscribe-answer", sdp = "v=0\r\n" });
        await s.ExpectErrorAsync("negotiation-failed");
        await s.SendAsync(new { type = "chat", text = new string('x', 2001) });
        await s.ExpectErrorAsync("bad-request");
        await s.SendAsync(new { type = "chat", text = "   " });
        await s.ExpectErrorAsync("bad-request");
        // Still in the room and working.
        await s.SendAsync(new { type = "ping" });
        await s.ExpectAsync("pong");
    }

    [Fact]
    public async Task Chat_in_an_sfu_room_reaches_the_others_and_late_joiners_get_recent_history()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu", "--Huddle:ChatHistory=2");
        await server.InitializeAsync();
        string room = RoomNames.Unique("chat");
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        await using TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");
        foreach (string text in new[] { "one", "two", "three" }) await alice.SendAsync(new { type = "chat", text });
        foreach (string text in new[] { "one", "two", "three" })
        {
            var chat = await bob.ExpectAsync("chat");
            Assert.Equal(text, (string?)chat["text"]);
            Assert.Equal("Alice", (string?)chat["name"]);
            Assert.Equal(alice.Id, (string?)chat["from"]);
        }
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(300)); // not echoed to the sender

        await using TestClient carol = await server.JoinAsync(room, "Carol");
        var history = await carol.ExpectAsync("chat-history");
        string[] texts = [.. history["messages"]!.AsArray().Select(m => (string)m!["text"]!)];
        Assert.Equal(["two", "three"], texts);
    }
}
