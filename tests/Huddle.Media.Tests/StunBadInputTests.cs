using System.Net;
using System.Text;
using Huddle.Media.Ice;
using Huddle.Media.Stun;

namespace Huddle.Media.Tests;

/// <summary>STUN from the network is untrusted: truncated and mutated messages are refused without throwing.</summary>
public sealed class StunBadInputTests
{
    public static TheoryData<string> Vectors => new() { "request", "ipv4", "ipv6" };

    private static byte[] Vector(string name) => name switch
    {
        "request" => StunRfcVectorTests.Request,
        "ipv4" => StunRfcVectorTests.Ipv4Response,
        _ => StunRfcVectorTests.Ipv6Response,
    };

    /// <summary>Everything a receiver might do with a message that parsed.</summary>
    private static void Exercise(byte[] input)
    {
        if (!StunMessage.TryParse(input, out StunMessage message)) return;
        foreach (StunAttribute attribute in message.Attributes)
        {
            Assert.True(attribute.Value.Length <= input.Length);
        }
        message.VerifyIntegrity(Encoding.ASCII.GetBytes(StunRfcVectorTests.Password));
        message.VerifyFingerprint();
        message.TryGetAddress(out _);
        message.TryGetAddress(out _, xor: false);
        message.TryGetErrorCode(out _, out _);
        message.TryGetUInt32(StunAttributeType.Priority, out _);
        message.TryGetUInt64(StunAttributeType.IceControlled, out _);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_truncation_is_refused(string name)
    {
        byte[] vector = Vector(name);
        foreach (byte[] cut in Mutations.Truncations(vector))
        {
            Assert.False(StunMessage.TryParse(cut, out _), $"a {cut.Length}-byte prefix parsed");
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Thousands_of_mutations_never_throw_and_never_pass_integrity_by_chance(string name)
    {
        byte[] vector = Vector(name);
        int parsed = 0;
        foreach (byte[] mutant in Mutations.Of(vector, 3000, seed: name.Length))
        {
            Exercise(mutant);
            if (!StunMessage.TryParse(mutant, out StunMessage m)) continue;
            parsed++;
            // A message that still parses must not still authenticate: integrity covers everything before it.
            if (m.HasIntegrity && m.IntegrityOffset + 24 <= mutant.Length && !mutant.AsSpan(0, m.IntegrityOffset).SequenceEqual(vector.AsSpan(0, Math.Min(m.IntegrityOffset, vector.Length))))
                Assert.False(m.VerifyIntegrity(Encoding.ASCII.GetBytes(StunRfcVectorTests.Password)));
        }
        Assert.True(parsed > 0, "some mutations (changed attribute values) should still parse");
    }

    [Fact]
    public void Random_datagrams_never_throw_and_the_lite_agent_answers_none()
    {
        var random = new Random(99);
        var agent = new IceLiteAgent(IceCredentials.Generate());
        var response = new byte[StunConstants.MaxMessageLength];
        SocketAddress from = new IPEndPoint(IPAddress.Loopback, 5000).Serialize();
        for (int i = 0; i < 5000; i++)
        {
            var junk = new byte[random.Next(0, 200)];
            random.NextBytes(junk);
            if (junk.Length >= 8)
            {
                // Often a valid-looking header, so the attribute walk is reached.
                junk[0] &= 0x3F;
                junk[4] = 0x21; junk[5] = 0x12; junk[6] = 0xA4; junk[7] = 0x42;
                if (junk.Length >= 20 && random.Next(2) == 0)
                {
                    int length = junk.Length - 20;
                    junk[2] = (byte)(length >> 8);
                    junk[3] = (byte)length;
                }
            }
            Exercise(junk);
            if (StunMessage.TryParse(junk, out StunMessage message))
                Assert.Equal(IceCheckOutcome.Dropped, agent.HandleRequest(message, from, response, out _));
        }
        Assert.Null(agent.SelectedAddress);
    }

    [Fact]
    public void Oversized_messages_are_refused()
    {
        // A well-formed header and one SOFTWARE attribute, but larger than any ICE check could be.
        var big = new byte[StunConstants.MaxMessageLength + 4];
        big[1] = 0x01;
        big[2] = (byte)((big.Length - 20) >> 8);
        big[3] = (byte)(big.Length - 20);
        big[4] = 0x21; big[5] = 0x12; big[6] = 0xA4; big[7] = 0x42;
        big[20] = 0x80; big[21] = 0x22;
        big[22] = (byte)((big.Length - 24) >> 8);
        big[23] = (byte)(big.Length - 24);
        Assert.False(StunMessage.TryParse(big, out _));
        Assert.True(StunMessage.TryParse(big.AsSpan(0, 24 + 16).ToArray().Also(b => { b[2] = 0; b[3] = 20; b[22] = 0; b[23] = 16; }), out _));
    }

    [Fact]
    public void The_writer_refuses_to_overflow_its_buffer()
    {
        var small = new byte[40];
        var writer = new StunWriter(small, StunMethod.Binding, StunClass.Request, StunRfcVectorTests.TransactionId);
        writer.AddAttribute(StunAttributeType.Software, new byte[100]);
        writer.AddFingerprint();
        Assert.False(writer.TryComplete(out _));
        var tooShort = new StunWriter(new byte[10], StunMethod.Binding, StunClass.Request, StunRfcVectorTests.TransactionId);
        Assert.False(tooShort.TryComplete(out _));
    }
}

internal static class ArrayExtensions
{
    public static byte[] Also(this byte[] bytes, Action<byte[]> change)
    {
        change(bytes);
        return bytes;
    }
}
