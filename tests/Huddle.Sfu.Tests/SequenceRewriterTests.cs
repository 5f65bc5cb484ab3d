using Huddle.Sfu;

namespace Huddle.Sfu.Tests;

/// <summary>What the receiver of one consumer stream sees: numbers without gaps and a steady clock, whatever the SFU switches between.</summary>
public sealed class SequenceRewriterTests
{
    private const uint A = 0xAAAA_0001;
    private const uint B = 0xBBBB_0002;
    private const uint C = 0xCCCC_0003;

    private static (ushort Seq, uint Ts) Rewrite(SequenceRewriter r, uint ssrc, int seq, uint ts, long nowMs)
    {
        Assert.True(r.TryRewrite(ssrc, (ushort)seq, ts, nowMs, out ushort outSeq, out uint outTs), $"refused {ssrc:X8}/{seq}");
        return (outSeq, outTs);
    }

    private static bool Refused(SequenceRewriter r, uint ssrc, int seq, uint ts = 0, long nowMs = 0) =>
        !r.TryRewrite(ssrc, (ushort)seq, ts, nowMs, out _, out _);

    [Fact]
    public void The_first_source_passes_through_unchanged()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Assert.Equal(((ushort)1000, 5000u), Rewrite(r, A, 1000, 5000, 0));
        Assert.Equal(((ushort)1001, 8000u), Rewrite(r, A, 1001, 8000, 33));
    }

    [Fact]
    public void With_an_origin_the_output_starts_there_and_keeps_the_sources_spacing()
    {
        var r = new SequenceRewriter(90000, firstSequence: 65534, firstTimestamp: 0xFFFF_FF00);
        r.SwitchSource(A);
        Assert.Equal(((ushort)65534, 0xFFFF_FF00u), Rewrite(r, A, 1000, 5000, 0));
        // Wraps like any RTP stream: 65535, then 0 and 1 (a lost source packet stays a gap).
        Assert.Equal(((ushort)65535, unchecked(0xFFFF_FF00u + 3000)), Rewrite(r, A, 1001, 8000, 33));
        Assert.Equal(((ushort)1, unchecked(0xFFFF_FF00u + 9000)), Rewrite(r, A, 1003, 14000, 100));
        // A late packet takes its place in the gap.
        Assert.Equal(((ushort)0, unchecked(0xFFFF_FF00u + 6000)), Rewrite(r, A, 1002, 11000, 120));
    }

    [Fact]
    public void Output_numbers_map_back_to_the_current_sources_numbers_and_only_to_those()
    {
        var r = new SequenceRewriter(90000, firstSequence: 100, firstTimestamp: 0);
        r.SwitchSource(A);
        for (int i = 0; i < 5; i++) Rewrite(r, A, 5000 + i, (uint)(i * 3000), i * 33);   // out 100..104
        Assert.True(r.TryMapBack(102, out ushort source));
        Assert.Equal(5002, source);
        Assert.False(r.TryMapBack(105, out _)); // not sent yet
        r.SwitchSource(B);
        for (int i = 0; i < 3; i++) Rewrite(r, B, 60000 + i, (uint)(i * 3000), 200 + i * 33); // out 105..107
        Assert.True(r.TryMapBack(106, out source));
        Assert.Equal(60001, source);
        // 102 was A's: after the switch nothing of A's can be resent as B's.
        Assert.False(r.TryMapBack(102, out _));
        Assert.False(r.TryMapBack(104, out _));
        // A skipped packet shifts later numbers: only numbers after the newest skip map back.
        Assert.True(r.Skip(60003));
        Assert.Equal((ushort)108, Rewrite(r, B, 60004, 12000, 400).Seq);
        Assert.True(r.TryMapBack(108, out source));
        Assert.Equal(60004, source);
        Assert.False(r.TryMapBack(107, out _));
    }

    [Fact]
    public void Everything_is_refused_before_a_source_is_chosen()
    {
        var r = new SequenceRewriter(90000);
        Assert.False(r.HasSource);
        Assert.True(Refused(r, A, 1));
        Assert.Equal(1, r.DroppedBeforeSwitch);
    }

    [Fact]
    public void A_switch_continues_the_numbers_and_the_clock()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 100, 1_000_000, 1000);
        Rewrite(r, A, 101, 1_003_000, 1033);

        r.SwitchSource(B);
        // B's key frame arrives 40 ms after A's last packet: 40 ms × 90 kHz = 3600 ticks.
        Assert.Equal(((ushort)102, 1_006_600u), Rewrite(r, B, 50_000, 7, 1073));
        Assert.Equal(((ushort)103, 1_006_600u), Rewrite(r, B, 50_001, 7, 1074)); // same frame
        Assert.Equal(((ushort)104, 1_009_600u), Rewrite(r, B, 50_002, 3007, 1106));
        Assert.Equal(B, r.SourceSsrc);
    }

    [Fact]
    public void A_switch_without_elapsed_time_still_advances_the_clock_by_one()
    {
        var r = new SequenceRewriter(48000);
        r.SwitchSource(A);
        Rewrite(r, A, 10, 960, 500);
        r.SwitchSource(B);
        Assert.Equal(((ushort)11, 961u), Rewrite(r, B, 7, 123456, 500));
        r.SwitchSource(A);
        Assert.Equal(((ushort)12, 962u), Rewrite(r, A, 20, 0, 499)); // clock went back: still +1
    }

    [Fact]
    public void Switching_to_the_current_source_changes_nothing()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 10, 900, 0);
        Rewrite(r, A, 12, 6900, 0);
        r.SwitchSource(A);
        Assert.Equal(((ushort)13, 9900u), Rewrite(r, A, 13, 9900, 5000));
        Assert.Equal(((ushort)11, 3900u), Rewrite(r, A, 11, 3900, 5000)); // no new switch point either
    }

    [Fact]
    public void Packets_of_the_old_source_and_the_new_one_before_the_switch_point_are_refused()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 1, 0, 0);
        r.SwitchSource(B);
        Assert.True(Refused(r, A, 2)); // A still in flight
        Rewrite(r, B, 500, 0, 10);    // B's key frame: the switch point
        Assert.True(Refused(r, B, 499)); // B's packet from before the key frame
        Assert.True(Refused(r, A, 3));
        Assert.True(Refused(r, C, 1));
        Assert.Equal(4, r.DroppedBeforeSwitch);
    }

    [Fact]
    public void Retransmissions_and_reordered_packets_keep_their_place()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 10, 0, 0);
        r.SwitchSource(B);
        var first = Rewrite(r, B, 40_000, 90, 0);
        var third = Rewrite(r, B, 40_002, 180, 0);
        var second = Rewrite(r, B, 40_001, 90, 0); // late
        Assert.Equal(((ushort)11, (ushort)12, (ushort)13), (first.Seq, second.Seq, third.Seq));
        Assert.Equal(second, Rewrite(r, B, 40_001, 90, 0)); // retransmission
        Assert.Equal(first, Rewrite(r, B, 40_000, 90, 0));
    }

    [Fact]
    public void A_forward_jump_in_the_source_is_carried_through()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 1, 0, 0);
        r.SwitchSource(B);
        Assert.Equal(2, Rewrite(r, B, 7000, 0, 0).Seq);
        Assert.Equal(502, Rewrite(r, B, 7500, 0, 0).Seq); // 500 lost or dropped upstream
        Assert.Equal(300, Rewrite(r, B, 7298, 0, 0).Seq);  // one of them, late
    }

    [Fact]
    public void Wraps_at_65535_on_input_and_output()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 65533, uint.MaxValue - 3000, 0);
        Assert.Equal(((ushort)65534, uint.MaxValue), Rewrite(r, A, 65534, uint.MaxValue, 0));
        Assert.Equal(((ushort)0, 2999u), Rewrite(r, A, 0, 2999, 0)); // 65535 late
        Assert.Equal(((ushort)65535, uint.MaxValue), Rewrite(r, A, 65535, uint.MaxValue, 0));

        r.SwitchSource(B); // B wraps a few packets after the switch
        Assert.Equal(1, Rewrite(r, B, 65534, 0, 10).Seq);
        Assert.Equal(2, Rewrite(r, B, 65535, 0, 10).Seq);
        Assert.Equal(3, Rewrite(r, B, 0, 0, 10).Seq);
        Assert.True(Refused(r, B, 65533)); // before B's switch point, across the wrap
    }

    [Fact]
    public void A_skipped_packet_leaves_no_gap()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Assert.Equal(10, Rewrite(r, A, 10, 0, 0).Seq);
        Assert.True(r.Skip(11));
        Assert.True(r.Skip(12));
        Assert.Equal(11, Rewrite(r, A, 13, 0, 0).Seq);
        Assert.Equal(12, Rewrite(r, A, 14, 0, 0).Seq);

        Assert.True(Refused(r, A, 12)); // a retransmission of a skipped packet stays skipped
        Assert.False(r.Skip(12));        // repeats change nothing
        Assert.False(r.Skip(13));        // already forwarded
        Assert.Equal(13, Rewrite(r, A, 15, 0, 0).Seq);
    }

    [Fact]
    public void A_late_packet_from_before_a_skip_gets_the_number_it_would_have_had()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 100, 0, 0);
        // 101 and 102 are delayed, 103 is padding, 104 arrives.
        Assert.True(r.Skip(103));
        Assert.Equal(103, Rewrite(r, A, 104, 0, 0).Seq);
        Assert.Equal(102, Rewrite(r, A, 102, 0, 0).Seq);
        Assert.Equal(101, Rewrite(r, A, 101, 0, 0).Seq);
    }

    [Fact]
    public void A_late_packet_older_than_forgotten_skips_is_refused_rather_than_misnumbered()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 0, 0, 0);
        // 1 delayed; then more skips than are remembered.
        int seq = 2;
        for (int i = 0; i < SequenceRewriter.MaxRememberedSkips + 1; i++) Assert.True(r.Skip((ushort)seq++));
        Assert.Equal(2, Rewrite(r, A, seq, 0, 0).Seq);
        Assert.True(Refused(r, A, 1));
    }

    [Fact]
    public void Skips_before_the_first_packet_of_a_source_are_ignored()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Assert.False(r.Skip(5));
        Assert.Equal(6, Rewrite(r, A, 6, 0, 0).Seq);
        r.SwitchSource(B);
        Assert.False(r.Skip(99));
        Assert.Equal(7, Rewrite(r, B, 100, 0, 0).Seq);
    }

    [Fact]
    public void A_new_source_forgets_the_skips_of_the_old_one()
    {
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        Rewrite(r, A, 10, 0, 0);
        r.Skip(11);
        r.SwitchSource(B);
        Assert.Equal(11, Rewrite(r, B, 11, 0, 0).Seq); // B's 11 is not A's skipped 11
        Assert.Equal(12, Rewrite(r, B, 12, 0, 0).Seq);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Output_is_gap_free_across_switches_with_random_bases_reordering_wraps_and_skips(int seed)
    {
        var random = new Random(seed);
        uint[] sources = [A, B, C];
        // Random bases, some close to the wrap so that it happens mid-stream.
        var nextSeq = sources.ToDictionary(s => s, _ => random.Next(2) == 0 ? 65536 - random.Next(1, 200) : random.Next(65536));
        var nextTs = sources.ToDictionary(s => s, _ => (uint)random.NextInt64(uint.MaxValue));
        var r = new SequenceRewriter(90000);
        r.SwitchSource(A);
        var outputs = new List<(ushort Seq, uint Ts, long Offset, long Ms, int Segment)>();
        long now = 0;

        for (int segment = 0; segment < 12; segment++)
        {
            uint source = sources[segment % 3];
            if (segment > 0) r.SwitchSource(source);
            // The packets the new source sends from its key frame on: 3 per frame, 33 ms apart; some are padding.
            var packets = new List<(int Seq, uint Ts, bool Padding)>();
            int frames = random.Next(5, 60);
            for (int f = 0; f < frames; f++)
            {
                for (int k = 0; k < 3; k++) packets.Add((nextSeq[source]++, nextTs[source], f > 0 && random.Next(8) == 0));
                nextTs[source] += 3000;
            }
            // Reorder: swap neighbours, never moving the key frame's first packet.
            for (int i = 2; i < packets.Count; i++)
                if (random.Next(4) == 0) (packets[i - 1], packets[i]) = (packets[i], packets[i - 1]);
            // The old source still has a few packets in flight.
            if (segment > 0)
            {
                uint old = sources[(segment - 1) % 3];
                Assert.True(Refused(r, old, nextSeq[old] - 1, 0, now));
            }

            foreach (var (seq, ts, padding) in packets)
            {
                now += random.Next(0, 12);
                if (padding && r.Skip((ushort)seq)) continue;
                var (outSeq, outTs) = Rewrite(r, source, seq, ts, now);
                outputs.Add((outSeq, outTs, unchecked((long)(outTs - ts)), now, segment));
                if (random.Next(10) == 0) Assert.Equal((outSeq, outTs), Rewrite(r, source, seq, ts, now)); // retransmission
            }
            now += random.Next(0, 500); // the switch happens a while later
        }

        // Sequence numbers: every number from the first to the last exactly once.
        var extended = new List<long>();
        long reference = outputs[0].Seq;
        foreach (var o in outputs) extended.Add(reference = reference + (short)(ushort)(o.Seq - (ushort)reference));
        extended.Sort();
        for (int i = 1; i < extended.Count; i++) Assert.Equal(extended[i - 1] + 1, extended[i]);

        // Timestamps: one offset per segment (so the source's own spacing is kept) ...
        foreach (var group in outputs.GroupBy(o => o.Segment))
            Assert.Single(group.Select(o => o.Offset).Distinct());
        // ... and each switch continues from the last packet at the wall time elapsed, at least +1.
        for (int segment = 1; segment < 12; segment++)
        {
            var last = outputs.Where(o => o.Segment == segment - 1).MaxBy(o => extended[0] + (ushort)(o.Seq - (ushort)extended[0]));
            var first = outputs.First(o => o.Segment == segment);
            long expected = Math.Max(1, (first.Ms - last.Ms) * 90);
            Assert.Equal((uint)(last.Ts + expected), first.Ts);
            Assert.Equal((ushort)(last.Seq + 1), first.Seq);
        }
    }

    [Fact]
    public void Clock_rate_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceRewriter(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceRewriter(-90000));
    }

    [Fact]
    public void Rewriting_switching_and_skipping_do_not_allocate()
    {
        var r = new SequenceRewriter(90000);
        long sum = Run(r, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Run(r, 10_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, sum);

        static long Run(SequenceRewriter r, int start)
        {
            long sum = 0;
            for (int i = start; i < start + 10_000; i++)
            {
                if (i % 1000 == 0) r.SwitchSource((uint)(i / 1000 % 2));
                if (i % 7 == 0) { r.Skip((ushort)i); continue; }
                if (r.TryRewrite((uint)(i / 1000 % 2), (ushort)i, (uint)i * 3000, i, out ushort s, out uint t)) sum += s + t;
                if (r.TryRewrite((uint)(i / 1000 % 2), (ushort)(i - 3), (uint)i * 3000, i, out s, out t)) sum += s + t;
            }
            return sum;
        }
    }
}
