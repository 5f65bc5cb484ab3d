using System.Text.Json.Nodes;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

[Collection(SharedServer.Name)]
public sealed class RelayTests(HuddleServer server)
{
    private const string Sdp = "v=0\r\no=- 46117317 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

    private async Task<(TestClient A, TestClient B, TestClient C)> ThreeInRoomAsync()
    {
        string room = RoomNames.Unique();
        TestClient a = await server.JoinAsync(room, "A");
        TestClient b = await server.JoinAsync(room, "B");
        TestClient c = await server.JoinAsync(room, "C");
        await a.ExpectAsync("participant-joined");
        await a.ExpectAsync("participant-joined");
        await b.ExpectAsync("participant-joined");
        return (a, b, c);
    }

    [Theory]
    [InlineData("offer")]
    [InlineData("answer")]
    public async Task Descriptions_reach_only_their_target_with_from_set(string type)
    {
        var (a, b, c) = await ThreeInRoomAsync();
        await c.SendAsync(new { type, to = a.Id, sdp = Sdp });
        JsonObject relayed = await a.ExpectAsync(type);
        Assert.Equal(c.Id, (string)relayed["from"]!);
        Assert.Equal(Sdp, (string)relayed["sdp"]!);
        Assert.False(relayed.ContainsKey("to"));
        await b.ExpectNothingAsync();
        await c.ExpectNothingAsync();
        await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask(), c.DisposeAsync().AsTask());
    }

    [Fact]
    public async Task A_large_description_arrives_whole_and_small_messages_after_it_still_do()
    {
        var (a, b, c) = await ThreeInRoomAsync();
        // Far larger than the socket's first receive buffer, inside the message and SDP limits; each
        // line differs so a piece received twice or out of place would show.
        string large = Sdp + string.Concat(Enumerable.Range(0, 2500).Select(i => $"a=x-line:{i:D5}\r\n"));
        Assert.InRange(large.Length, 30_000, 59_000);
        await c.SendAsync(new { type = "offer", to = a.Id, sdp = large });
        Assert.Equal(large, (string)(await a.ExpectAsync("offer"))["sdp"]!);
        await c.SendAsync(new { type = "answer", to = b.Id, sdp = Sdp });
        Assert.Equal(Sdp, (string)(await b.ExpectAsync("answer"))["sdp"]!);
        await c.SendAsync(new { type = "offer", to = b.Id, sdp = large });
        Assert.Equal(large, (string)(await b.ExpectAsync("offer"))["sdp"]!);
        await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask(), c.DisposeAsync().AsTask());
    }

    [Fact]
    public async Task Candidates_are_relayed_intact_and_extra_fields_are_dropped()
    {
        var (a, b, c) = await ThreeInRoomAsync();
        await a.SendTextAsync($$"""
            {"type":"candidate","to":"{{b.Id}}","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host",
             "sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd","evil":"<script>"},"extra":1}
            """);
        JsonObject relayed = await b.ExpectAsync("candidate");
        Assert.Equal(a.Id, (string)relayed["from"]!);
        JsonObject candidate = relayed["candidate"]!.AsObject();
        Assert.Equal("candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host", (string)candidate["candidate"]!);
        Assert.Equal("0", (string)candidate["sdpMid"]!);
        Assert.Equal(0, (int)candidate["sdpMLineIndex"]!);
        Assert.Equal("abcd", (string)candidate["usernameFragment"]!);
        Assert.False(candidate.ContainsKey("evil"));
        Assert.False(relayed.ContainsKey("extra"));
        await c.ExpectNothingAsync();
        await Task.WhenAll(a.DisposeAsync().AsTask(), b.DisposeAsync().AsTask(), c.DisposeAsync().AsTask());
    }

    [Fact]
    public async Task Relays_never_cross_rooms()
    {
        await using TestClient mallory = await server.JoinAsync(RoomNames.Unique("mallory"), "Mallory");
        await using TestClient victim = await server.JoinAsync(RoomNames.Unique("victim"), "Victim");

        await mallory.SendAsync(new { type = "offer", to = victim.Id, sdp = Sdp });
        await mallory.ExpectErrorAsync("unknown-participant");
        await mallory.SendAsync(new { type = "candidate", to = victim.Id, candidate = new { candidate = "candidate:x", sdpMid = "0" } });
        await mallory.ExpectErrorAsync("unknown-participant");
        await victim.ExpectNothingAsync();
    }

    [Fact]
    public async Task Relaying_to_yourself_or_to_nobody_is_an_error()
    {
        await using TestClient a = await server.JoinAsync(RoomNames.Unique(), "A");
        await a.SendAsync(new { type = "offer", to = a.Id, sdp = Sdp });
        await a.ExpectErrorAsync("unknown-participant");
        await a.SendAsync(new { type = "answer", to = "000000000000", sdp = Sdp });
        await a.ExpectErrorAsync("unknown-participant");
    }

    [Theory]
    [InlineData("offer")]
    [InlineData("answer")]
    [InlineData("candidate")]
    [InlineData("media")]
    [InlineData("leave")]
    public async Task Room_messages_before_join_are_refused(string type)
    {
        await using TestClient client = await server.ConnectAsync();
        await client.SendTextAsync($$$"""{"type":"{{{type}}}","to":"000000000000","sdp":"v=0","audio":true,"video":true,"candidate":{"candidate":"c"}}""");
        await client.ExpectErrorAsync("not-joined");
    }
}
