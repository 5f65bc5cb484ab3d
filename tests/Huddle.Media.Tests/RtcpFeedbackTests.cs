using Huddle.Media.Rtcp;

namespace Huddle.Media.Tests;

public sealed class RtcpFeedbackTests
{
    private static void AssertBytes(byte[] expected, Span<byte> buffer, int written) =>
        Assert.Equal(Hex.Of(expected), Hex.Of(buffer[..written]));

    [Fact]
    public void Generic_nack_parses_pairs_and_expands_lost_sequence_numbers()
    {
        byte[] packet = RtcpVectors.GenericNack;
        Assert.True(GenericNack.TryParse(packet, out var nack));
        Assert.Equal(RtcpPacketKind.GenericNack, nack.Packet.Kind);
        Assert.Equal(1u, nack.SenderSsrc);
        Assert.Equal(0xa1b2c3d4u, nack.MediaSsrc);
        Assert.Equal(2, nack.PairCount);
        Assert.Equal(new NackPair(12345, 0x0005), nack.GetPair(0));
        Assert.Equal(new NackPair(65535, 0x8000), nack.GetPair(1));
        Assert.Equal(3, nack.GetPair(0).LostCount);

        var lost = new List<ushort>();
        foreach (ushort seq in nack.LostSequenceNumbers) lost.Add(seq);
        Assert.Equal([12345, 12346, 12348, 65535, 15], lost);

        Span<ushort> one = stackalloc ushort[NackPair.MaxLostPerPair];
        int n = nack.GetPair(0).CopyLostTo(one);
        Assert.Equal([12345, 12346, 12348], one[..n].ToArray());

        // Pairs built back from the list are the ones in the packet, and write the same bytes.
        var pairs = NackPair.Build(lost.ToArray());
        Assert.Equal([new NackPair(12345, 0x0005), new NackPair(65535, 0x8000)], pairs);
        var buffer = new byte[GenericNack.GetLength(pairs.Length)];
        Assert.True(GenericNack.TryWrite(buffer, nack.SenderSsrc, nack.MediaSsrc, pairs, out int written));
        AssertBytes(packet, buffer, written);
        var copy = new byte[packet.Length];
        Assert.True(nack.TryWrite(copy, out written));
        AssertBytes(packet, copy, written);
    }

    [Fact]
    public void Nack_pairs_from_a_list_cover_exactly_the_list()
    {
        var random = new Random(1234);
        for (int round = 0; round < 200; round++)
        {
            ushort start = (ushort)random.Next(65536);
            var lost = new SortedSet<int>();
            int count = random.Next(1, 80);
            for (int i = 0; i < count; i++) lost.Add(random.Next(0, 300));
            ushort[] seqs = lost.Select(d => (ushort)(start + d)).ToArray(); // ascending, may wrap

            var pairs = new NackPair[seqs.Length];
            Assert.True(NackPair.TryBuild(seqs, pairs, out int pairCount));
            var expanded = new List<ushort>();
            foreach (var pair in pairs.AsSpan(0, pairCount).ToArray())
                foreach (ushort s in pair) expanded.Add(s);
            Assert.Equal(seqs, expanded);

            // Writing and parsing keeps them.
            var buffer = new byte[GenericNack.GetLength(pairCount)];
            Assert.True(GenericNack.TryWrite(buffer, 1, 2, pairs.AsSpan(0, pairCount), out _));
            Assert.True(GenericNack.TryParse(buffer, out var nack));
            var parsed = new List<ushort>();
            foreach (ushort s in nack.LostSequenceNumbers) parsed.Add(s);
            Assert.Equal(seqs, parsed);
        }

        Assert.False(NackPair.TryBuild([1, 100, 200], new NackPair[2], out _));
        Assert.True(NackPair.TryBuild([5, 5, 6], new NackPair[1], out int c)); // repeats dropped
        Assert.Equal(1, c);
        Assert.Empty(NackPair.Build([]));
        Assert.False(GenericNack.TryWrite(new byte[64], 1, 2, [], out _));
    }

    [Theory]
    [InlineData("81cd0002 00000001 a1b2c3d4")]          // no pair
    [InlineData("81cd0003 00000001 a1b2c3d4 3039")]     // length says 16 bytes, 14 present
    [InlineData("a1cd0003 00000001 a1b2c3d4 30390002")] // padding leaves half a pair
    [InlineData("82cd0003 00000001 a1b2c3d4 30390005")] // FMT=2 is not a NACK
    public void Generic_nack_rejects_bad_input(string hex)
    {
        Assert.False(GenericNack.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void Picture_loss_indication_parses_and_writes_back()
    {
        byte[] packet = RtcpVectors.PictureLossIndication;
        Assert.True(PictureLossIndication.TryParse(packet, out var pli));
        Assert.Equal(RtcpPacketKind.PictureLossIndication, pli.Packet.Kind);
        Assert.Equal(1u, pli.SenderSsrc);
        Assert.Equal(0xa1b2c3d4u, pli.MediaSsrc);
        Assert.Equal(12, pli.Length);
        var buffer = new byte[PictureLossIndication.Size];
        Assert.True(PictureLossIndication.TryWrite(buffer, 1, 0xa1b2c3d4, out int written));
        AssertBytes(packet, buffer, written);
        var copy = new byte[packet.Length];
        Assert.True(pli.TryWrite(copy, out written));
        AssertBytes(packet, copy, written);
        Assert.False(PictureLossIndication.TryWrite(new byte[11], 1, 2, out _));
        Assert.False(PictureLossIndication.TryParse(Hex.Bytes("81ce0001 00000001"), out _)); // no media SSRC
        Assert.False(PictureLossIndication.TryParse(RtcpVectors.FullIntraRequest, out _));
    }

    [Fact]
    public void Full_intra_request_parses_entries_and_writes_back()
    {
        byte[] packet = RtcpVectors.FullIntraRequest;
        Assert.True(FullIntraRequest.TryParse(packet, out var fir));
        Assert.Equal(RtcpPacketKind.FullIntraRequest, fir.Packet.Kind);
        Assert.Equal(1u, fir.SenderSsrc);
        Assert.Equal(0u, fir.MediaSsrc);
        Assert.Equal(1, fir.EntryCount);
        Assert.Equal(new FirEntry(0xa1b2c3d4, 7), fir.GetEntry(0));
        var buffer = new byte[FullIntraRequest.GetLength(1)];
        Assert.True(FullIntraRequest.TryWrite(buffer, 1, [new FirEntry(0xa1b2c3d4, 7)], out int written));
        AssertBytes(packet, buffer, written);

        FirEntry[] entries = [new(1, 0), new(2, 255), new(3, 9)];
        buffer = new byte[FullIntraRequest.GetLength(entries.Length)];
        Assert.True(FullIntraRequest.TryWrite(buffer, 5, entries, out _));
        Assert.True(FullIntraRequest.TryParse(buffer, out fir));
        Assert.Equal(entries, Enumerable.Range(0, fir.EntryCount).Select(i =>
        {
            FullIntraRequest.TryParse(buffer, out var again);
            return again.GetEntry(i);
        }));
        Assert.False(FullIntraRequest.TryWrite(buffer, 5, [], out _));
        Assert.False(FullIntraRequest.TryParse(Hex.Bytes("84ce0003 00000001 00000000 a1b2c3d4"), out _)); // half an entry
    }

    [Fact]
    public void Remb_encodes_bitrates_into_exponent_and_mantissa()
    {
        Assert.Equal((0, 0u), ReceiverEstimatedMaxBitrate.Encode(0));
        Assert.Equal((0, 262143u), ReceiverEstimatedMaxBitrate.Encode(262143));
        Assert.Equal((1, 131072u), ReceiverEstimatedMaxBitrate.Encode(262144));
        Assert.Equal((2, 250000u), ReceiverEstimatedMaxBitrate.Encode(1_000_000));
        var (exp, mantissa) = ReceiverEstimatedMaxBitrate.Encode(ulong.MaxValue);
        Assert.Equal(46, exp);
        Assert.Equal(262143u, mantissa);

        foreach (ulong bitrate in new ulong[] { 30_000, 2_500_000, 123_456_789, 10_000_000_000 })
        {
            var buffer = new byte[ReceiverEstimatedMaxBitrate.GetLength(2)];
            Assert.True(ReceiverEstimatedMaxBitrate.TryWrite(buffer, 7, bitrate, [11, 12], out int written));
            Assert.Equal(buffer.Length, written);
            Assert.True(ReceiverEstimatedMaxBitrate.TryParse(buffer, out var remb));
            Assert.Equal(7u, remb.SenderSsrc);
            Assert.Equal(0u, remb.MediaSsrc);
            Assert.InRange(remb.Bitrate, bitrate - (bitrate >> 17), bitrate); // at most 18 significant bits kept, never rounded up
            Assert.Equal(2, remb.SsrcCount);
            Assert.Equal(12u, remb.GetSsrc(1));
        }

        Assert.False(ReceiverEstimatedMaxBitrate.TryWrite(new byte[64], 1, 64, 1, [], out _));
        Assert.False(ReceiverEstimatedMaxBitrate.TryWrite(new byte[64], 1, 0, 0x40000, [], out _));
        Assert.False(ReceiverEstimatedMaxBitrate.TryWrite(new byte[2000], 1, 0, 1, new uint[256], out _));
    }

    [Theory]
    [InlineData("8fce0004 00000001 00000000 52454d42 01000001")]          // Num SSRC=1, no SSRC
    [InlineData("8fce0003 00000001 00000000 52454d43")]                   // "REMC"
    [InlineData("8fce0004 00000001 00000000 52454d42 00ff0001")]          // exp=63, mantissa 0x30001: overflows
    [InlineData("8fce0002 00000001 00000000")]                            // no identifier
    public void Remb_rejects_bad_input(string hex)
    {
        Assert.False(ReceiverEstimatedMaxBitrate.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void Remb_with_a_large_exponent_and_zero_mantissa_is_zero()
    {
        Assert.True(ReceiverEstimatedMaxBitrate.TryParse(Hex.Bytes("8fce0004 00000001 00000000 52454d42 00fc0000"), out var remb));
        Assert.Equal(63, remb.Exponent);
        Assert.Equal(0ul, remb.Bitrate);
    }
}
