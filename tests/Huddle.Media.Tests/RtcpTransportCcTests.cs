using Huddle.Media.Rtcp;

namespace Huddle.Media.Tests;

public sealed class RtcpTransportCcTests
{
    private static List<TransportCcPacketStatus> Statuses(TransportCcFeedback feedback)
    {
        var list = new List<TransportCcPacketStatus>();
        foreach (var status in feedback) list.Add(status);
        return list;
    }

    /// <summary>Arrival times the feedback reports: reference time plus the running sum of deltas.</summary>
    private static List<(ushort Seq, long Arrival)> Arrivals(TransportCcFeedback feedback)
    {
        var list = new List<(ushort, long)>();
        long time = feedback.ReferenceTimeMicroseconds;
        foreach (var status in feedback)
        {
            if (!status.IsReceived) continue;
            time += status.DeltaMicroseconds;
            list.Add((status.SequenceNumber, time));
        }
        return list;
    }

    [Fact]
    public void Libwebrtc_style_feedback_parses_every_chunk_type()
    {
        byte[] packet = RtcpVectors.TransportCc;
        Assert.True(TransportCcFeedback.TryParse(packet, out var fb));
        Assert.Equal(RtcpPacketKind.TransportCcFeedback, fb.Packet.Kind);
        Assert.True(fb.Packet.HasPadding);
        Assert.Equal(3, fb.Packet.PaddingLength);
        Assert.Equal(1u, fb.SenderSsrc);
        Assert.Equal(0x5e4f1a2cu, fb.MediaSsrc);
        Assert.Equal(300, fb.BaseSequenceNumber);
        Assert.Equal(22, fb.PacketStatusCount);
        Assert.Equal(0x012345, fb.ReferenceTime);
        Assert.Equal(0x012345L * 64_000, fb.ReferenceTimeMicroseconds);
        Assert.Equal(7, fb.FeedbackPacketCount);
        Assert.Equal(18, fb.ReceivedCount);
        Assert.Equal("d6152008ac80", Hex.Of(fb.ChunkBytes));
        Assert.Equal(19, fb.DeltaBytes.Length);

        const TransportCcStatus S = TransportCcStatus.ReceivedSmallDelta, L = TransportCcStatus.ReceivedLargeDelta, N = TransportCcStatus.NotReceived;
        TransportCcPacketStatus P(int seq, TransportCcStatus status, short delta) => new((ushort)seq, status, delta);
        Assert.Equal(
        [
            P(300, S, 4), P(301, S, 20), P(302, L, -16), P(303, N, 0), P(304, S, 40), P(305, S, 0), P(306, S, 8),
            P(307, S, 16), P(308, S, 16), P(309, S, 16), P(310, S, 16), P(311, S, 16), P(312, S, 16), P(313, S, 16), P(314, S, 16),
            P(315, S, 4), P(316, N, 0), P(317, S, 60), P(318, S, 1), P(319, N, 0), P(320, N, 0), P(321, S, 255),
        ], Statuses(fb));
        Assert.Equal(-4000, Statuses(fb)[2].DeltaMicroseconds);

        var copy = new byte[packet.Length];
        Assert.True(fb.TryWrite(copy, out int written));
        Assert.Equal(Hex.Of(packet), Hex.Of(copy.AsSpan(0, written)));
    }

    [Fact]
    public void Builder_reproduces_the_feedback_from_arrival_times()
    {
        Assert.True(TransportCcFeedback.TryParse(RtcpVectors.TransportCc, out var fb));
        var arrivals = Arrivals(fb);
        // Hand them over in arrival order, as a receiver sees them (#302 arrived before #301).
        var byArrival = arrivals.OrderBy(a => a.Arrival).Select(a => (a.Seq, a.Arrival)).ToArray();

        var buffer = new byte[100];
        Assert.True(TransportCcFeedbackBuilder.TryWrite(buffer, 1, 0x5e4f1a2c, 7, byArrival, out int written));
        // The builder prefers a one-bit vector over a short run, so only the chunks differ from the vector.
        string expected = Hex.Of(RtcpVectors.TransportCc).Replace("d6152008ac80", "d615" + "bfec" + "2001");
        Assert.Equal(expected, Hex.Of(buffer.AsSpan(0, written)));

        var builder = new TransportCcFeedbackBuilder();
        foreach (var (seq, arrival) in byArrival) builder.AddReceivedPacket(seq, arrival);
        Assert.Equal(written, builder.GetLength());
        Assert.Equal(18, builder.Count);
        Assert.True(TransportCcFeedback.TryParse(buffer.AsSpan(0, written), out var rebuilt));
        Assert.Equal(Statuses(fb), Statuses(rebuilt));
    }

    [Fact]
    public void Pion_style_feedback_with_zero_padding_wraps_the_sequence()
    {
        byte[] packet = RtcpVectors.TransportCcWrap;
        Assert.True(TransportCcFeedback.TryParse(packet, out var fb));
        Assert.False(fb.Packet.HasPadding);
        Assert.Equal(65534, fb.BaseSequenceNumber);
        Assert.Equal(3, fb.PacketStatusCount);
        Assert.Equal(-1, fb.ReferenceTime);
        Assert.Equal(-64_000, fb.ReferenceTimeMicroseconds);
        Assert.Equal(0, fb.FeedbackPacketCount);
        Assert.Equal("2003", Hex.Of(fb.ChunkBytes));
        Assert.Equal("000404000000", Hex.Of(fb.DeltaBytes)); // deltas, then the zero padding
        Assert.Equal(
        [
            new TransportCcPacketStatus(65534, TransportCcStatus.ReceivedSmallDelta, 0),
            new TransportCcPacketStatus(65535, TransportCcStatus.ReceivedSmallDelta, 4),
            new TransportCcPacketStatus(0, TransportCcStatus.ReceivedSmallDelta, 4),
        ], Statuses(fb));
        var copy = new byte[packet.Length];
        Assert.True(fb.TryWrite(copy, out int written));
        Assert.Equal(Hex.Of(packet), Hex.Of(copy.AsSpan(0, written)));

        // The builder writes the same content with RTCP padding instead.
        var buffer = new byte[64];
        Assert.True(TransportCcFeedbackBuilder.TryWrite(buffer, 1, 0x5e4f1a2c, 0, [(65534, -64_000), (65535, -63_000), (0, -62_000)], out written));
        Assert.Equal("af" + Hex.Of(packet[1..25]) + "000003", Hex.Of(buffer.AsSpan(0, written))); // v=2 p=1 FMT=15
    }

    [Fact]
    public void Builder_round_trips_losses_reordering_large_deltas_and_the_wrap()
    {
        var random = new Random(20240601);
        for (int round = 0; round < 300; round++)
        {
            ushort start = (ushort)random.Next(65536);
            int span = random.Next(1, round % 10 == 0 ? 3000 : 120);
            long time = random.NextInt64(0, 1L << 36); // arbitrary clock, µs
            var received = new List<(ushort Seq, long Arrival)>();
            for (int i = 0; i < span; i++)
            {
                int gap = random.Next(10) switch
                {
                    0 => random.Next(70_000, 2_000_000), // a large delta
                    1 => -random.Next(0, 5_000),          // arrives before the previous one
                    _ => random.Next(0, 6_000),
                };
                time += gap;
                if (i > 0 && i < span - 1 && random.Next(5) == 0) continue; // lost
                received.Add(((ushort)(start + i), time));
            }
            var shuffled = received.OrderBy(_ => random.Next()).ToArray();

            var buffer = new byte[20_000];
            Assert.True(TransportCcFeedbackBuilder.TryWrite(buffer, 9, 10, (byte)round, shuffled, out int written), $"round {round}");
            Assert.Equal(0, written % 4);
            Assert.True(RtcpCompoundPacket.TryParse(buffer.AsSpan(0, written), out _));
            Assert.True(TransportCcFeedback.TryParse(buffer.AsSpan(0, written), out var fb));
            Assert.Equal(start, fb.BaseSequenceNumber);
            Assert.Equal(span, fb.PacketStatusCount);
            Assert.Equal((byte)round, fb.FeedbackPacketCount);
            Assert.Equal(received.Count, fb.ReceivedCount);

            // The receiver clock is reported on a 250 µs grid; the reference time wraps every 2^24 x 64 ms.
            const long wrap = (1L << 24) * 64_000;
            var expected = received.Select(r => (r.Seq, Arrival: ((r.Arrival - ((r.Arrival % 250) + 250) % 250) % wrap + wrap) % wrap)).ToList();
            var actual = Arrivals(fb).Select(a => (a.Seq, Arrival: ((a.Arrival % wrap) + wrap) % wrap)).ToList();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Builder_refuses_what_one_packet_cannot_say()
    {
        var builder = new TransportCcFeedbackBuilder();
        Assert.False(builder.TryWrite(new byte[100], 1, 2, 0, out _)); // nothing to report
        Assert.Equal(-1, builder.GetLength());

        builder.AddReceivedPacket(1, 0);
        builder.AddReceivedPacket(2, 9_000_000); // 36000 ticks: beyond a signed 16-bit delta
        Assert.False(builder.TryWrite(new byte[100], 1, 2, 0, out _));

        builder.Clear();
        Assert.Equal(0, builder.Count);
        foreach (ushort seq in new ushort[] { 0, 30000, 60000, 24464 }) builder.AddReceivedPacket(seq, 1000); // unwraps to 90000
        Assert.False(builder.TryWrite(new byte[100], 1, 2, 0, out _));

        builder.Clear();
        builder.AddReceivedPacket(5, 1000);
        builder.AddReceivedPacket(5, 2000); // a repeat keeps the first arrival
        Assert.True(builder.TryWrite(new byte[100], 1, 2, 0, out int written));
        Assert.Equal(20 + 2 + 1 + 1, written); // header+fixed FCI, one chunk, one delta, one byte of padding
        Assert.False(builder.TryWrite(new byte[written - 1], 1, 2, 0, out _));
    }

    [Theory]
    [InlineData("8fcd0004 00000001 00000002 00010001 00000000")]              // one status, no chunk
    [InlineData("8fcd0005 00000001 00000002 00010001 00000000 60010000")]     // run length with reserved symbol 3
    [InlineData("8fcd0005 00000001 00000002 00010002 00000000 f0000000")]     // two-bit vector with reserved symbol first
    [InlineData("8fcd0005 00000001 00000002 00010002 00000000 40020000")]     // large deltas x2 need 4 bytes, 2 left
    [InlineData("8fcd0003 00000001 00000002 0001")]                           // cut inside the fixed FCI
    public void Rejects_malformed_feedback(string hex)
    {
        Assert.False(TransportCcFeedback.TryParse(Hex.Bytes(hex), out _));
    }

    [Fact]
    public void Zero_bytes_after_the_chunks_are_deltas_first_and_padding_after()
    {
        // One status, a run of one small delta, then "00 00": the delta is 0 and the other byte is padding.
        Assert.True(TransportCcFeedback.TryParse(Hex.Bytes("8fcd0005 00000001 00000002 00010001 00000000 20010000"), out var fb));
        Assert.Equal([new TransportCcPacketStatus(1, TransportCcStatus.ReceivedSmallDelta, 0)], Statuses(fb));
    }
}
