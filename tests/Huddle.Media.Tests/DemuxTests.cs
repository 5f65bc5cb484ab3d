using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

public sealed class DemuxTests
{
    [Theory]
    // A STUN Binding Request header (type 0x0001, magic cookie) padded to 20 bytes.
    [InlineData("000100002112a442000000000000000000000000", PacketKind.Stun)]
    // DTLS 1.2 handshake record: content type 22, version fefd, epoch 0, seq, length.
    [InlineData("16fefd0000000000000000000100", PacketKind.Dtls)]
    // DTLS alert (21) and application data (23).
    [InlineData("15fefd0001000000000001000200", PacketKind.Dtls)]
    [InlineData("17fefd0001000000000001000200", PacketKind.Dtls)]
    // RTP v2, PT 111 (Opus), marker clear.
    [InlineData("806f0001000000010000000a", PacketKind.Rtp)]
    // RTP v2, PT 96 with the marker bit: second byte 0xe0 = 224, above the RTCP range.
    [InlineData("80e00001000000010000000a", PacketKind.Rtp)]
    // RTCP SR (200), RR (201), PSFB (206).
    [InlineData("80c800060000000a", PacketKind.Rtcp)]
    [InlineData("81c900070000000a", PacketKind.Rtcp)]
    [InlineData("81ce00020000000a", PacketKind.Rtcp)]
    // TURN ChannelData (64..79) and everything else is not ours.
    [InlineData("40000004deadbeef", PacketKind.Unknown)]
    [InlineData("ff0000000000000000000000", PacketKind.Unknown)]
    [InlineData("", PacketKind.Unknown)]
    // Too short to be what the first byte claims.
    [InlineData("0001", PacketKind.Unknown)]
    [InlineData("806f00", PacketKind.Unknown)]
    public void Classifies_by_first_byte_as_RFC_7983(string hex, PacketKind expected)
    {
        Assert.Equal(expected, Demux.Classify(Convert.FromHexString(hex)));
    }
}
