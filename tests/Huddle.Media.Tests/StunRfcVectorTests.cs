using System.Net;
using System.Text;
using Huddle.Media.Stun;

namespace Huddle.Media.Tests;

/// <summary>The test vectors of RFC 5769, read and reproduced byte for byte.</summary>
public sealed class StunRfcVectorTests
{
    internal const string Password = "VOkJxbRl1RmTxUk/WvJxBt";
    internal static readonly byte[] TransactionId = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    /// <summary>RFC 5769 §2.1 Sample Request.</summary>
    internal static readonly byte[] Request = Hex("""
        00 01 00 58   Request type and message length
        21 12 a4 42   Magic cookie
        b7 e7 a7 01 bc 34 d6 86 fa 87 df ae   Transaction ID
        80 22 00 10   SOFTWARE attribute header
        53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74   "STUN test client"
        00 24 00 04   PRIORITY attribute header
        6e 00 01 ff   ICE priority value
        80 29 00 08   ICE-CONTROLLED attribute header
        93 2f f9 b1 51 26 3b 36   tie breaker
        00 06 00 09   USERNAME attribute header
        65 76 74 6a 3a 68 36 76 59 20 20 20   "evtj:h6vY" and 3 bytes of padding
        00 08 00 14   MESSAGE-INTEGRITY attribute header
        9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2   HMAC-SHA1
        80 28 00 04   FINGERPRINT attribute header
        e5 7a 3b cf   CRC32
        """);

    /// <summary>RFC 5769 §2.2 Sample IPv4 Response: 192.0.2.1 port 32853.</summary>
    internal static readonly byte[] Ipv4Response = Hex("""
        01 01 00 3c   Response type and message length
        21 12 a4 42   Magic cookie
        b7 e7 a7 01 bc 34 d6 86 fa 87 df ae   Transaction ID
        80 22 00 0b   SOFTWARE attribute header
        74 65 73 74 20 76 65 63 74 6f 72 20   "test vector" and 1 byte of padding
        00 20 00 08   XOR-MAPPED-ADDRESS attribute header
        00 01 a1 47   Address family (IPv4) and xor'd mapped port number
        e1 12 a6 43   Xor'd mapped IPv4 address
        00 08 00 14   MESSAGE-INTEGRITY attribute header
        2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7   HMAC-SHA1
        80 28 00 04   FINGERPRINT attribute header
        c0 7d 4c 96   CRC32
        """);

    /// <summary>RFC 5769 §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.</summary>
    internal static readonly byte[] Ipv6Response = Hex("""
        01 01 00 48   Response type and message length
        21 12 a4 42   Magic cookie
        b7 e7 a7 01 bc 34 d6 86 fa 87 df ae   Transaction ID
        80 22 00 0b   SOFTWARE attribute header
        74 65 73 74 20 76 65 63 74 6f 72 20   "test vector" and 1 byte of padding
        00 20 00 14   XOR-MAPPED-ADDRESS attribute header
        00 02 a1 47   Address family (IPv6) and xor'd mapped port number
        01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9   Xor'd mapped IPv6 address
        00 08 00 14   MESSAGE-INTEGRITY attribute header
        a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41   HMAC-SHA1
        80 28 00 04   FINGERPRINT attribute header
        c8 fb 0b 4c   CRC32
        """);

    [Fact]
    public void Sample_request_parses_and_verifies()
    {
        Assert.True(StunMessage.TryParse(Request, out StunMessage m));
        Assert.Equal(StunClass.Request, m.Class);
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.Equal(TransactionId, m.TransactionId.ToArray());
        Assert.True(m.TryGetAttribute(StunAttributeType.Software, out var software));
        Assert.Equal("STUN test client", Encoding.ASCII.GetString(software));
        Assert.True(m.TryGetUInt32(StunAttributeType.Priority, out uint priority));
        Assert.Equal(0x6e0001ffu, priority);
        Assert.True(m.TryGetUInt64(StunAttributeType.IceControlled, out ulong tieBreaker));
        Assert.Equal(0x932ff9b151263b36ul, tieBreaker);
        Assert.True(m.TryGetAttribute(StunAttributeType.Username, out var username));
        Assert.Equal("evtj:h6vY", Encoding.ASCII.GetString(username));
        Assert.True(m.VerifyIntegrity(Encoding.ASCII.GetBytes(Password)));
        Assert.False(m.VerifyIntegrity(Encoding.ASCII.GetBytes(Password + "x")));
        Assert.True(m.VerifyFingerprint());
    }

    [Fact]
    public void Sample_request_is_written_byte_for_byte()
    {
        var buffer = new byte[200];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, TransactionId) { PaddingByte = 0x20 };
        w.AddAttribute(StunAttributeType.Software, "STUN test client"u8);
        w.AddUInt32(StunAttributeType.Priority, 0x6e0001ff);
        w.AddUInt64(StunAttributeType.IceControlled, 0x932ff9b151263b36);
        w.AddAttribute(StunAttributeType.Username, "evtj:h6vY"u8);
        w.AddMessageIntegrity(Encoding.ASCII.GetBytes(Password));
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int length));
        Assert.Equal(Convert.ToHexString(Request), Convert.ToHexString(buffer, 0, length));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sample_responses_parse_verify_and_are_written_byte_for_byte(bool v6)
    {
        byte[] vector = v6 ? Ipv6Response : Ipv4Response;
        var expected = new IPEndPoint(IPAddress.Parse(v6 ? "2001:db8:1234:5678:11:2233:4455:6677" : "192.0.2.1"), 32853);

        Assert.True(StunMessage.TryParse(vector, out StunMessage m));
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.True(m.TryGetAddress(out IPEndPoint? mapped));
        Assert.Equal(expected, mapped);
        Assert.True(m.VerifyIntegrity(Encoding.ASCII.GetBytes(Password)));
        Assert.True(m.VerifyFingerprint());

        var buffer = new byte[200];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.SuccessResponse, TransactionId) { PaddingByte = 0x20 };
        w.AddAttribute(StunAttributeType.Software, "test vector"u8);
        w.AddXorAddress(expected.Address, expected.Port);
        w.AddMessageIntegrity(Encoding.ASCII.GetBytes(Password));
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int length));
        Assert.Equal(Convert.ToHexString(vector), Convert.ToHexString(buffer, 0, length));
    }

    [Fact]
    public void A_changed_byte_breaks_integrity_or_fingerprint()
    {
        for (int i = StunConstants.HeaderLength; i < Request.Length; i++)
        {
            byte[] copy = (byte[])Request.Clone();
            copy[i] ^= 0x01;
            if (!StunMessage.TryParse(copy, out StunMessage m)) continue;
            bool intact = m.VerifyIntegrity(Encoding.ASCII.GetBytes(Password)) && m.VerifyFingerprint();
            Assert.False(intact, $"flipping byte {i} went unnoticed");
        }
    }

    /// <summary>Strips comments: every token that is two hex digits is a byte, the rest is prose.</summary>
    internal static byte[] Hex(string annotated)
    {
        var bytes = new List<byte>();
        foreach (string line in annotated.Split('\n'))
        {
            foreach (string token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (token.Length != 2 || !Uri.IsHexDigit(token[0]) || !Uri.IsHexDigit(token[1])) break;
                bytes.Add(Convert.ToByte(token, 16));
            }
        }
        return bytes.ToArray();
    }
}
