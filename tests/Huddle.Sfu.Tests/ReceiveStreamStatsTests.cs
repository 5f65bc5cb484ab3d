using System.Text;
using Huddle.Media.Rtcp;

namespace Huddle.Sfu.Tests;

public sealed class ReceiveStreamStatsTests
{
    private const uint Ssrc = 0x1234_5678;
    private const int Video = 90000;

    private static ReceptionReport Report(ReceiveStreamStats stats, long nowMs = 0)
    {
        Assert.True(stats.TryCreateReport(nowMs, out var report));
        return report;
    }

    private static void Feed(ReceiveStreamStats stats, params int[] seqs)
    {
        foreach (int seq in seqs) stats.OnPacket((ushort)seq, (uint)seq * 900, seq * 10L, Video, 1000);
    }

    [Fact]
    public void Nothing_to_report_before_the_first_packet()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Assert.False(stats.HasReceived);
        Assert.False(stats.TryCreateReport(0, out _));
        Assert.False(stats.TryWriteReportBlock(new byte[24], 0, out int written));
        Assert.Equal(0, written);
        Assert.Equal(0, stats.ExpectedPackets);
        Assert.Equal(0, stats.CumulativeLost);
        Assert.Equal(0, stats.BitrateBps(1000));
    }

    [Fact]
    public void In_order_packets_lose_nothing()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        for (int seq = 1000; seq < 1100; seq++) Feed(stats, seq);
        var report = Report(stats);
        Assert.Equal(Ssrc, report.Ssrc);
        Assert.Equal(1099u, report.ExtendedHighestSequenceNumber);
        Assert.Equal(0, report.CumulativeLost);
        Assert.Equal(0, report.FractionLost);
        Assert.Equal(100, stats.PacketsReceived);
        Assert.Equal(100, stats.ExpectedPackets);
        Assert.Equal(100, stats.TotalPackets);
        Assert.Equal(100_000, stats.TotalBytes);
    }

    [Fact]
    public void Lost_packets_count_as_expected_minus_received_and_the_fraction_covers_the_interval()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Feed(stats, 0, 1, 3, 4, 6, 7, 8, 9); // 2 and 5 lost
        var first = Report(stats);
        Assert.Equal(2, first.CumulativeLost);
        Assert.Equal(9u, first.ExtendedHighestSequenceNumber);
        // RFC 3550 A.3: (lost_interval << 8) / expected_interval = (2 << 8) / 10 = 51.
        Assert.Equal(51, first.FractionLost);
        Assert.Equal(51, stats.LastFractionLost);

        Feed(stats, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
        var second = Report(stats);
        Assert.Equal(2, second.CumulativeLost);
        Assert.Equal(0, second.FractionLost);

        Feed(stats, 20, 23); // 21 and 22 lost: 2 of 4 expected
        var third = Report(stats);
        Assert.Equal(4, third.CumulativeLost);
        Assert.Equal(128, third.FractionLost);

        // Nothing new: an empty interval reports no loss.
        Assert.Equal(0, Report(stats).FractionLost);
    }

    [Fact]
    public void Late_packets_fill_the_gap_and_duplicates_can_make_the_loss_negative()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Feed(stats, 0, 1, 3, 2);
        Assert.Equal(3u, stats.ExtendedHighestSequenceNumber);
        Assert.Equal(0, stats.CumulativeLost);

        Feed(stats, 3, 3);
        var report = Report(stats);
        Assert.Equal(-2, report.CumulativeLost);
        Assert.Equal(0, report.FractionLost); // lost_interval <= 0 reports 0 (A.3)
    }

    [Fact]
    public void Sequence_wraparound_adds_a_cycle_to_the_extended_number()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        for (int seq = 65530; seq <= 65535; seq++) Feed(stats, seq);
        Feed(stats, 0, 1, 2, 4, 5); // 3 lost
        Assert.Equal(0x0001_0005u, stats.ExtendedHighestSequenceNumber);
        Assert.Equal(12, stats.ExpectedPackets);
        Assert.Equal(1, stats.CumulativeLost);
        // A late packet from before the wrap does not take a cycle back.
        Feed(stats, 65534);
        Assert.Equal(0x0001_0005u, stats.ExtendedHighestSequenceNumber);
        Assert.Equal(0, stats.CumulativeLost);
    }

    [Fact]
    public void A_single_huge_jump_is_ignored_but_two_in_a_row_restart_the_count()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Feed(stats, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Feed(stats, 40000); // stray
        Feed(stats, 10, 11);
        Assert.Equal(11u, stats.ExtendedHighestSequenceNumber);
        Assert.Equal(12, stats.PacketsReceived);
        Assert.Equal(0, stats.CumulativeLost);
        Assert.Equal(13, stats.TotalPackets);

        // RFC 3550 A.1: the packet after the jump confirms it; counting starts again from there.
        Feed(stats, 30000, 30001, 30002);
        Assert.Equal(30002u, stats.ExtendedHighestSequenceNumber);
        Assert.Equal(2, stats.PacketsReceived);
        Assert.Equal(0, stats.CumulativeLost);
    }

    [Fact]
    public void Cumulative_loss_is_clamped_to_24_bits()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        int seq = 0;
        Feed(stats, seq);
        for (int i = 0; i < 3000; i++)
        {
            seq = (seq + 2999) & 0xFFFF; // 2998 lost each time, just under MAX_DROPOUT
            Feed(stats, seq);
        }
        Assert.Equal(3000L * 2998, stats.ExpectedPackets - stats.PacketsReceived);
        Assert.Equal(ReceptionReport.MaxCumulativeLost, stats.CumulativeLost);
        Assert.Equal(ReceptionReport.MaxCumulativeLost, Report(stats).CumulativeLost);
    }

    [Fact]
    public void Jitter_is_zero_for_constant_transit()
    {
        var video = new ReceiveStreamStats(Ssrc);
        var audio = new ReceiveStreamStats(Ssrc + 1);
        for (int i = 0; i < 500; i++)
        {
            // 90 kHz video at 100 fps with 3 packets per frame; 48 kHz audio in 20 ms frames; 40 ms on the path.
            for (int p = 0; p < 3; p++) video.OnPacket((ushort)(3 * i + p), 12345u + (uint)i * 900, 40 + i * 10L + p, Video, 1200);
            audio.OnPacket((ushort)(60000 + i), 0xFFFF_0000u + (uint)i * 960, 1_000_000_040 + i * 20L, 48000, 100);
        }
        Assert.Equal(0u, video.Jitter);
        Assert.Equal(0u, audio.Jitter);
    }

    [Fact]
    public void Jitter_follows_RFC_3550_A8_for_variable_transit()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        stats.OnPacket(0, 0, 1000, Video, 1000);
        stats.OnPacket(1, 900, 1010, Video, 1000); // transit unchanged
        Assert.Equal(0u, stats.Jitter);
        stats.OnPacket(2, 1800, 1030, Video, 1000); // 10 ms late: D = 900 units, J = 900/16
        Assert.Equal(56u, stats.Jitter);
        // Alternating 0 and 10 ms of extra delay: |D| is always 900, and J converges to it.
        for (int i = 3; i < 400; i++) stats.OnPacket((ushort)i, (uint)i * 900, 1000 + i * 10L + (i % 2 == 0 ? 10 : 0), Video, 1000);
        Assert.InRange(stats.Jitter, 880u, 900u);
        Assert.Equal(stats.Jitter, Report(stats).Jitter);
    }

    [Fact]
    public void Late_and_repeated_packets_do_not_feed_the_jitter()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        for (int i = 0; i < 50; i++) stats.OnPacket((ushort)i, (uint)i * 900, i * 10L, Video, 1000);
        stats.OnPacket(20, 20 * 900, 5000, Video, 1000); // a retransmission, seconds late
        stats.OnPacket(50, 50 * 900, 500, Video, 1000);
        Assert.Equal(0u, stats.Jitter);
    }

    [Fact]
    public void Bitrate_counts_the_bytes_of_the_last_second()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        for (int i = 0; i < 100; i++) stats.OnPacket((ushort)i, (uint)i * 900, i * 10L, Video, 1250);
        Assert.Equal(1_000_000, stats.BitrateBps(990)); // 100 × 1250 bytes × 8 in one second
        Assert.Equal(990_000, stats.BitrateBps(1000)); // the packet at 0 ms has left the window
        Assert.Equal(10_000, stats.BitrateBps(1989));
        Assert.Equal(0, stats.BitrateBps(1990));
        stats.OnPacket(100, 100 * 900, 50_000, Video, 500);
        Assert.Equal(4000, stats.BitrateBps(50_000));
        Assert.Equal(0, stats.BitrateBps(100_000));
        Assert.Equal(125_500, stats.TotalBytes);
    }

    [Fact]
    public void Last_sender_report_and_the_delay_since_it_go_into_the_block()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Feed(stats, 1, 2, 3);
        var before = Report(stats, 500);
        Assert.Equal(0u, before.LastSenderReport);
        Assert.Equal(0u, before.DelaySinceLastSenderReport);

        // RFC 3550 §6.4.1 example: SR at 46853.125 s (compact 0xb705:2000), report 5.25 s later (0x0005:4000).
        stats.OnSenderReport(0x0000B705_20000000UL, 1000);
        var after = Report(stats, 6250);
        Assert.Equal(0xB7052000u, after.LastSenderReport);
        Assert.Equal(0x00054000u, after.DelaySinceLastSenderReport);
    }

    [Fact]
    public void Report_block_is_written_with_the_media_writer_and_parses_back()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Feed(stats, 100, 101, 103);
        stats.OnSenderReport(0xE95C4A3B_1EB851ECUL, 0);
        Assert.False(stats.TryWriteReportBlock(new byte[23], 1000, out _));
        var buffer = new byte[24];
        Assert.True(stats.TryWriteReportBlock(buffer, 1000, out int written));
        Assert.Equal(24, written);
        Assert.True(ReceptionReport.TryParse(buffer, out var block));
        // The failed write left the interval open: this report still sees the loss of 102.
        Assert.Equal(new ReceptionReport(Ssrc, 64, 1, 103, stats.Jitter, 0x4A3B1EB8, 65536), block);
        Assert.Equal("12345678" + "40" + "000001" + "00000067", Convert.ToHexString(buffer, 0, 12).ToLowerInvariant());
    }

    [Fact]
    public void Receiver_report_is_a_compound_RR_and_SDES_that_Huddle_Media_reads()
    {
        var a = new ReceiveStreamStats(0xAAAA_AAAA);
        var idle = new ReceiveStreamStats(0xBBBB_BBBB);
        var c = new ReceiveStreamStats(0xCCCC_CCCC);
        Feed(a, 0, 1, 2, 3);
        Feed(c, 10, 12);
        byte[] cname = Encoding.ASCII.GetBytes("huddle-sfu");
        var buffer = new byte[1500];
        Assert.True(ReceiveStreamStats.TryWriteReceiverReport(buffer, 0x5F00_0001, cname, new[] { a, idle, c }, 0, out int written));
        Assert.Equal(ReceiverReport.GetLength(2) + SourceDescription.GetCnameLength(cname.Length), written);

        Assert.True(RtcpCompoundPacket.TryParse(buffer.AsSpan(0, written), out var compound));
        Assert.Equal(2, compound.Count);
        var e = compound.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.True(ReceiverReport.TryParse(e.Current.Bytes, out var rr));
        Assert.Equal(0x5F00_0001u, rr.Ssrc);
        Assert.Equal(2, rr.ReportCount);
        Assert.Equal(new ReceptionReport(0xAAAA_AAAA, 0, 0, 3, a.Jitter, 0, 0), rr.Reports[0]);
        Assert.Equal(new ReceptionReport(0xCCCC_CCCC, 85, 1, 12, c.Jitter, 0, 0), rr.Reports[1]);
        Assert.True(e.MoveNext());
        Assert.True(SourceDescription.TryParse(e.Current.Bytes, out var sdes));
        Assert.True(sdes.TryGetCname(out uint ssrc, out var text));
        Assert.Equal(0x5F00_0001u, ssrc);
        Assert.Equal("huddle-sfu", Encoding.ASCII.GetString(text));
    }

    [Fact]
    public void More_than_31_streams_take_several_RR_packets_and_none_still_writes_an_empty_RR()
    {
        var streams = new ReceiveStreamStats[40];
        for (int i = 0; i < streams.Length; i++)
        {
            streams[i] = new ReceiveStreamStats((uint)i + 1);
            Feed(streams[i], 0, 1);
        }
        var buffer = new byte[1500];
        Assert.True(ReceiveStreamStats.TryWriteReceiverReport(buffer, 7, "x"u8, streams, 0, out int written));
        Assert.True(RtcpCompoundPacket.TryParse(buffer.AsSpan(0, written), out var compound));
        var counts = new List<int>();
        var ssrcs = new List<uint>();
        foreach (var packet in compound)
        {
            if (!ReceiverReport.TryParse(packet.Bytes, out var rr)) continue;
            counts.Add(rr.ReportCount);
            foreach (var block in rr.Reports) ssrcs.Add(block.Ssrc);
        }
        Assert.Equal(new[] { 31, 9 }, counts);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (uint)i), ssrcs);

        Assert.True(ReceiveStreamStats.TryWriteReceiverReport(buffer, 7, "x"u8, ReadOnlySpan<ReceiveStreamStats>.Empty, 0, out written));
        Assert.Equal(ReceiverReport.GetLength(0) + SourceDescription.GetCnameLength(1), written);
        Assert.True(ReceiverReport.TryParse(buffer, out var empty));
        Assert.Equal(0, empty.ReportCount);
    }

    [Fact]
    public void Receiver_report_that_does_not_fit_is_refused_without_closing_intervals()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        Feed(stats, 0, 2);
        int needed = ReceiverReport.GetLength(1) + SourceDescription.GetCnameLength(4);
        Assert.False(ReceiveStreamStats.TryWriteReceiverReport(new byte[needed - 1], 1, "cnam"u8, new[] { stats }, 0, out int written));
        Assert.Equal(0, written);
        Assert.False(ReceiveStreamStats.TryWriteReceiverReport(new byte[2000], 1, new byte[256], new[] { stats }, 0, out _));
        var buffer = new byte[needed];
        Assert.True(ReceiveStreamStats.TryWriteReceiverReport(buffer, 1, "cnam"u8, new[] { stats }, 0, out written));
        Assert.Equal(needed, written);
        Assert.True(ReceiverReport.TryParse(buffer, out var rr));
        Assert.Equal(85, rr.Reports[0].FractionLost); // 1 of 3: the refused writes closed nothing
    }

    [Fact]
    public void Arbitrary_sequence_numbers_timestamps_and_times_never_throw()
    {
        var random = new Random(3);
        var stats = new ReceiveStreamStats(Ssrc);
        var buffer = new byte[24];
        for (int i = 0; i < 50_000; i++)
        {
            stats.OnPacket((ushort)random.Next(65536), (uint)random.NextInt64(), random.NextInt64(-1_000_000_000, 1_000_000_000_000),
                random.Next(-1, 200_000), random.Next(-10, 1500));
            if (i % 97 == 0) stats.OnSenderReport((ulong)random.NextInt64(), random.NextInt64());
            if (i % 13 == 0)
            {
                Assert.True(stats.TryWriteReportBlock(buffer, random.NextInt64(), out int written));
                Assert.True(ReceptionReport.TryParse(buffer.AsSpan(0, written), out var block));
                Assert.InRange(block.CumulativeLost, ReceptionReport.MinCumulativeLost, ReceptionReport.MaxCumulativeLost);
                Assert.True(stats.BitrateBps(random.NextInt64(0, 1_000_000_000_000)) >= 0);
            }
        }
    }

    [Fact]
    public void Counting_packets_and_writing_reports_allocates_nothing()
    {
        var stats = new ReceiveStreamStats(Ssrc);
        var streams = new[] { stats };
        var buffer = new byte[1500];
        void Run(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                stats.OnPacket((ushort)(i * 3), (uint)i * 900, i * 5L + (i % 7), Video, 1100 + i % 100);
                if (i % 100 == 0)
                {
                    stats.OnSenderReport((ulong)i << 32, i * 5L);
                    stats.TryWriteReportBlock(buffer, i * 5L, out _);
                    ReceiveStreamStats.TryWriteReceiverReport(buffer, 1, "cname"u8, streams, i * 5L, out _);
                    stats.BitrateBps(i * 5L);
                }
            }
        }
        Run(0, 100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(100, 10_100);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
