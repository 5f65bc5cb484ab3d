using System.Text.Json;
using Huddle.Server.Signaling;

namespace Huddle.Server.Tests;

/// <summary>A room's broadcast, serialized once into a pooled buffer that the last recipient gives back.</summary>
public sealed class SharedMessageTests
{
    [Fact]
    public void A_shared_message_holds_the_same_bytes_as_serializing_it_directly()
    {
        var chat = new ChatMessage("3f9a0c1b2d4e", "Zoë <b>", "héllo \"world\" \u2028", 1_700_000_000_000);
        SharedMessage shared = SharedMessage.Serialize(chat, SignalingJson.Default.ChatMessage);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(chat, SignalingJson.Default.ChatMessage), shared.Utf8Json.ToArray());
        shared.Release();
    }

    [Fact]
    public void A_queued_message_keeps_its_bytes_while_others_come_and_go_through_the_pool()
    {
        var chat = new ChatMessage("a", "Ann", new string('x', 5000), 1);
        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(chat, SignalingJson.Default.ChatMessage);
        SharedMessage shared = SharedMessage.Serialize(chat, SignalingJson.Default.ChatMessage);
        shared.AddReference(); // one recipient's queue
        shared.AddReference(); // another's
        shared.Release(); // the broadcaster is done
        shared.Release(); // the first recipient sent it
        // Messages serialized meanwhile (other rooms) must not disturb the one still queued.
        for (int i = 0; i < 50; i++) SharedMessage.Serialize(new ChatMessage("b", "Ben", $"other {i}", 2), SignalingJson.Default.ChatMessage).Release();
        Assert.Equal(expected, shared.Utf8Json.ToArray());
        shared.Release(); // the last recipient sent it: buffer and message go back to their pools
    }
}
