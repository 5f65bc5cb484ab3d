using Huddle.Media.Rtcp;
using Huddle.Sfu;

namespace Huddle.Sfu.Tests;

/// <summary>What the publisher sees: NACKs for exactly the missing packets, at the right times, and a key frame request instead of a flood.</summary>
public sealed class NackGeneratorTests
{
    private static ushort[] Collect(NackGenerator nack, long nowMs, int room = NackGenerator.MaxMissing)
    {
        var output = new ushort[room];
        return output[..nack.Collect(nowMs, output)];
    }

    private static void Receive(NackGenerator nack, long nowMs, params int[] seqs)
    {
        foreach (int seq in seqs) nack.OnPacket((ushort)seq, nowMs);
    }

    [Fact]
    public void Packets_in_order_need_no_nack()
    {
        var nack = new NackGenerator();
        for (int i = 0; i < 100; i++) nack.OnPacket((ushort)i, i);
        Assert.Empty(Collect(nack, 10_000));
        Assert.Equal(0, nack.MissingCount);
    }

    [Fact]
    public void Missing_packets_are_requested_after_the_initial_delay_then_every_rtt()
    {
        var nack = new NackGenerator(initialDelayMs: 10, rttMs: 100);
        Receive(nack, 1000, 1, 2, 5);

        Assert.Equal(2, nack.MissingCount);
        Assert.Empty(Collect(nack, 1009)); // could still be reordering
        Assert.Equal([3, 4], Collect(nack, 1010));
        Assert.Empty(Collect(nack, 1011));
        Assert.Empty(Collect(nack, 1109)); // the answer could still be on its way
        Assert.Equal([3, 4], Collect(nack, 1110));
    }

    [Fact]
    public void A_reordered_packet_that_arrives_within_the_delay_is_never_requested()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 1, 3);
        Receive(nack, 4, 2);
        Assert.Empty(Collect(nack, 10));
        Assert.Equal(0, nack.MissingCount);
    }

    [Fact]
    public void A_late_arrival_stops_its_requests()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 10, 14);
        Assert.Equal([11, 12, 13], Collect(nack, 10));
        nack.OnPacket(12, 50, isRetransmission: true);
        nack.OnPacket(11, 60); // late original
        Assert.Equal([13], Collect(nack, 110));
        Assert.Equal(1, nack.RecoveredCount);
        Assert.Equal(1, nack.MissingCount);
    }

    [Fact]
    public void A_packet_is_requested_at_most_max_retries_times_then_forgotten()
    {
        var nack = new NackGenerator(initialDelayMs: 10, rttMs: 100, maxRetries: 3, maxAgeMs: 10_000);
        Receive(nack, 0, 1, 3);
        int requests = 0;
        for (long t = 0; t < 5000; t++) requests += Collect(nack, t).Length;

        Assert.Equal(3, requests);
        Assert.Equal(0, nack.MissingCount);
        Assert.Equal(1, nack.GivenUpCount);
    }

    [Fact]
    public void Default_limits_are_ten_requests_within_a_second()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 1, 3);
        var times = new List<long>();
        for (long t = 0; t < 3000; t++)
            if (Collect(nack, t).Length > 0) times.Add(t);

        Assert.Equal([10, 110, 210, 310, 410, 510, 610, 710, 810, 910], times);
        Assert.Equal(0, nack.MissingCount);
    }

    [Fact]
    public void A_packet_older_than_max_age_is_forgotten()
    {
        var nack = new NackGenerator(initialDelayMs: 10, rttMs: 100, maxRetries: 100, maxAgeMs: 350);
        Receive(nack, 0, 1, 3);
        var times = new List<long>();
        for (long t = 0; t < 3000; t++)
            if (Collect(nack, t).Length > 0) times.Add(t);

        Assert.Equal([10, 110, 210, 310], times);
        Assert.Equal(0, nack.MissingCount);
    }

    [Fact]
    public void Rtt_changes_the_retry_spacing()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 1, 3);
        Assert.Equal([2], Collect(nack, 10));
        nack.RttMs = 30;
        Assert.Empty(Collect(nack, 39));
        Assert.Equal([2], Collect(nack, 40));
        nack.RttMs = -5; // a bad measurement does not stop retries or divide anything
        Assert.Equal(1, nack.RttMs);
        Assert.Equal([2], Collect(nack, 41));
    }

    [Fact]
    public void Gaps_across_the_wrap_are_requested_in_order()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 65532, 65533, 1, 2);
        Assert.Equal([65534, 65535, 0], Collect(nack, 10));
        nack.OnPacket(65535, 20);
        Assert.Equal([65534, 0], Collect(nack, 110));
    }

    [Fact]
    public void Duplicates_and_very_old_packets_change_nothing()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 100, 102, 102, 100, 50, 101 - 1000);
        Assert.Equal([101], Collect(nack, 10));
    }

    [Fact]
    public void A_gap_of_max_missing_is_requested_and_a_larger_one_asks_for_a_key_frame()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 0, NackGenerator.MaxMissing + 1);
        Assert.False(nack.KeyFrameNeeded);
        Assert.Equal(Enumerable.Range(1, NackGenerator.MaxMissing).Select(i => (ushort)i), Collect(nack, 10));

        Receive(nack, 20, 6001); // 4999 lost: an outage, not loss
        Assert.True(nack.KeyFrameNeeded);
        Assert.Equal(0, nack.MissingCount); // the old ones are useless after a key frame too
        Assert.Empty(Collect(nack, 200));

        nack.ClearKeyFrameNeeded();
        Assert.False(nack.KeyFrameNeeded);
        Receive(nack, 300, 6003);
        Assert.Equal([6002], Collect(nack, 310)); // tracking resumes after the jump
        Assert.False(nack.KeyFrameNeeded);
    }

    [Fact]
    public void A_huge_gap_across_the_wrap_asks_for_a_key_frame()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 65_000, 2000);
        Assert.True(nack.KeyFrameNeeded);
        Assert.Empty(Collect(nack, 100));
    }

    [Fact]
    public void Too_many_missing_in_several_gaps_drops_the_oldest_and_asks_for_a_key_frame()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 0, 601);         // 1..600 missing
        Receive(nack, 1, 1202);           // 602..1201 missing: 1200 in all
        Assert.True(nack.KeyFrameNeeded);
        Assert.Equal(NackGenerator.MaxMissing, nack.MissingCount);
        var requested = Collect(nack, 20);
        Assert.Equal(Enumerable.Range(201, 400).Concat(Enumerable.Range(602, 600)).Select(i => (ushort)i), requested);
    }

    [Fact]
    public void Numbers_that_do_not_fit_the_output_wait_for_the_next_call()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 0, 6);
        Assert.Equal([1, 2], Collect(nack, 10, room: 2));
        Assert.Equal([3, 4], Collect(nack, 11, room: 2));
        Assert.Equal([5], Collect(nack, 12, room: 2));
        Assert.Equal([1, 2], Collect(nack, 110, room: 2)); // retries keep their own schedule
        Assert.Empty(Collect(nack, 110, room: 0));
    }

    [Fact]
    public void Reset_forgets_the_stream()
    {
        var nack = new NackGenerator();
        Receive(nack, 0, 0, 5);
        nack.Reset();
        Receive(nack, 10, 30_000, 30_001);
        Assert.Empty(Collect(nack, 100));
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NackGenerator(initialDelayMs: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NackGenerator(maxRetries: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NackGenerator(maxAgeMs: 0));
    }

    [Fact]
    public void Writes_a_nack_that_parses_back_to_the_same_numbers()
    {
        ushort[] lost = [3, 4, 10, 19, 20, 65530, 65535, 0, 1];
        var buffer = new byte[1500];
        Assert.True(NackGenerator.TryWriteNack(buffer, 0x1111, 0x2222, lost, out int written));
        Assert.True(GenericNack.TryParse(buffer.AsSpan(0, written), out var nack));
        Assert.Equal(0x1111u, nack.SenderSsrc);
        Assert.Equal(0x2222u, nack.MediaSsrc);
        Assert.Equal(3, nack.PairCount); // 3 (+4,10,19) · 20 · 65530 (+65535,0,1)
        Assert.Equal(GenericNack.GetLength(3), written);
        var parsed = new List<ushort>();
        foreach (ushort seq in nack.LostSequenceNumbers) parsed.Add(seq);
        Assert.Equal(lost, parsed);
    }

    [Fact]
    public void Nack_writing_refuses_empty_lists_and_short_buffers()
    {
        Assert.False(NackGenerator.TryWriteNack(new byte[100], 1, 2, [], out int written));
        Assert.Equal(0, written);
        Assert.False(NackGenerator.TryWriteNack(new byte[15], 1, 2, [1], out written));
        Assert.True(NackGenerator.TryWriteNack(new byte[16], 1, 2, [1], out written));
        Assert.Equal(16, written);
        Assert.False(NackGenerator.TryWriteNack(new byte[19], 1, 2, [1, 100], out written)); // two pairs need 20
        Assert.Equal(0, written);
        Assert.True(NackGenerator.TryWriteNack(new byte[20], 1, 2, [1, 100], out written));
    }

    [Fact]
    public void Everything_collect_returns_fits_one_nack()
    {
        var nack = new NackGenerator();
        var seqs = new ushort[NackGenerator.MaxMissing];
        nack.OnPacket(0, 0);
        for (int i = 2; i < 2 * NackGenerator.MaxMissing + 2; i += 2) nack.OnPacket((ushort)i, 0); // every other one lost
        int n = nack.Collect(10, seqs);
        Assert.Equal(NackGenerator.MaxMissing, n);
        var buffer = new byte[GenericNack.GetLength(NackGenerator.MaxMissing)];
        Assert.True(NackGenerator.TryWriteNack(buffer, 1, 2, seqs.AsSpan(0, n), out int written));
        Assert.True(GenericNack.TryParse(buffer.AsSpan(0, written), out var parsed));
        int count = 0;
        foreach (ushort _ in parsed.LostSequenceNumbers) count++;
        Assert.Equal(n, count);
    }

    [Fact]
    public void Tracking_collecting_and_writing_do_not_allocate()
    {
        var nack = new NackGenerator();
        var seqs = new ushort[64];
        var buffer = new byte[1500];
        long sum = Run(nack, seqs, buffer, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Run(nack, seqs, buffer, 10_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, sum);

        static long Run(NackGenerator nack, ushort[] seqs, byte[] buffer, int start)
        {
            long sum = 0;
            for (int i = start; i < start + 10_000; i++)
            {
                if (i % 17 == 3 || i % 29 == 5) continue; // lost
                nack.OnPacket((ushort)i, i);
                if (i % 17 == 9) nack.OnPacket((ushort)(i - 6), i, isRetransmission: true);
                int n = nack.Collect(i, seqs);
                if (n > 0 && NackGenerator.TryWriteNack(buffer, 1, 2, seqs.AsSpan(0, n), out int written)) sum += written;
            }
            return sum;
        }
    }
}
