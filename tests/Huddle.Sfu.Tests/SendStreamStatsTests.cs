using System.Text;
using Huddle.Media.Rtcp;

namespace Huddle.Sfu.Tests;

public sealed class SendStreamStatsTests
{
    private const uint Ssrc = 0xC0FF_EE01;
    private const ulong Ntp = 0xE95C4A3B_1EB851ECUL;

    private static SenderReport Parse(byte[] buffer, int written)
    {
        Assert.True(SenderReport.TryParse(buffer.AsSpan(0, written), out var sr));
        return sr;
    }

    [Fact]
    public void No_sender_report_before_the_first_packet_or_with_a_bad_clock_rate()
    {
        var stats = new SendStreamStats(Ssrc);
        var buffer = new byte[100];
        Assert.False(stats.TryWriteSenderReport(buffer, Ntp, 0, 90000, out int written));
        Assert.Equal(0, written);
        stats.OnPacketSent(1, 100, 0);
        Assert.False(stats.TryWriteSenderReport(buffer, Ntp, 0, 0, out _));
        Assert.False(stats.TryWriteSenderReport(buffer, Ntp, 0, -90000, out _));
        Assert.False(stats.TryWriteSenderReport(new byte[SenderReport.GetLength(0) - 1], Ntp, 0, 90000, out _));
        Assert.True(stats.TryWriteSenderReport(new byte[SenderReport.GetLength(0)], Ntp, 0, 90000, out written));
        Assert.Equal(28, written);
    }

    [Fact]
    public void Sender_report_one_second_after_a_90kHz_packet_is_90000_ticks_later()
    {
        var stats = new SendStreamStats(Ssrc);
        stats.OnPacketSent(1000, 1100, 5000);
        var buffer = new byte[64];
        Assert.True(stats.TryWriteSenderReport(buffer, Ntp, 6000, 90000, out int written));
        var sr = Parse(buffer, written);
        Assert.Equal(Ssrc, sr.Ssrc);
        Assert.Equal(Ntp, sr.NtpTimestamp);
        Assert.Equal(91000u, sr.RtpTimestamp);
        Assert.Equal(1u, sr.PacketCount);
        Assert.Equal(1100u, sr.OctetCount);
        Assert.Equal(0, sr.ReportCount);
    }

    [Fact]
    public void The_newest_timestamp_and_the_time_it_first_left_anchor_the_extrapolation()
    {
        var stats = new SendStreamStats(Ssrc);
        stats.OnPacketSent(3000, 1000, 1000);
        stats.OnPacketSent(3000, 1000, 1010); // same frame, later packet: not a new anchor
        stats.OnPacketSent(0, 1000, 1020);    // retransmission of an older frame: not a new anchor
        Assert.True(stats.TryCreateSenderInfo(Ntp, 2000, 90000, out var info));
        Assert.Equal(93000u, info.RtpTimestamp);
        Assert.Equal(3u, info.PacketCount);
        Assert.Equal(3000u, info.OctetCount);

        stats.OnPacketSent(6000, 500, 1033);
        Assert.True(stats.TryCreateSenderInfo(Ntp, 1533, 90000, out info));
        Assert.Equal(6000u + 45000, info.RtpTimestamp);

        // Audio: 48 kHz, 20 ms is 960 ticks.
        var audio = new SendStreamStats(Ssrc);
        audio.OnPacketSent(48000, 80, 10_000);
        Assert.True(audio.TryCreateSenderInfo(Ntp, 10_020, 48000, out info));
        Assert.Equal(48960u, info.RtpTimestamp);
    }

    [Fact]
    public void Timestamps_wrap_in_32_bits()
    {
        var stats = new SendStreamStats(Ssrc);
        stats.OnPacketSent(0xFFFF_FF00, 10, 0);
        stats.OnPacketSent(0x0000_0100, 10, 100); // newer across the wrap
        Assert.True(stats.TryCreateSenderInfo(Ntp, 1100, 90000, out var info));
        Assert.Equal(0x100u + 90000, info.RtpTimestamp);
        stats.OnPacketSent(0xFFFF_FFF0, 10, 200); // older across the wrap
        Assert.True(stats.TryCreateSenderInfo(Ntp, 100, 90000, out info));
        Assert.Equal(0x100u, info.RtpTimestamp);
        var late = new SendStreamStats(Ssrc);
        late.OnPacketSent(0xFFFF_FFFF, 10, 0);
        Assert.True(late.TryCreateSenderInfo(Ntp, 1, 90000, out info));
        Assert.Equal(89u, info.RtpTimestamp);
    }

    [Fact]
    public void Sender_report_with_cname_is_a_compound_packet_Huddle_Media_reads()
    {
        var stats = new SendStreamStats(Ssrc);
        for (int i = 0; i < 10; i++) stats.OnPacketSent((uint)i * 3000, 1000 + i, i * 33L);
        var buffer = new byte[200];
        byte[] cname = Encoding.ASCII.GetBytes("publisher-7");
        Assert.True(stats.TryWriteSenderReport(buffer, Ntp, 300, 90000, cname, out int written));
        Assert.Equal(SenderReport.GetLength(0) + SourceDescription.GetCnameLength(cname.Length), written);
        Assert.True(RtcpCompoundPacket.TryParse(buffer.AsSpan(0, written), out var compound));
        Assert.Equal(2, compound.Count);
        var sr = Parse(buffer, written);
        Assert.Equal(new SenderInfo(Ntp, 27000u + 3 * 90, 10, 10_045), sr.SenderInfo);
        Assert.True(SourceDescription.TryParse(buffer.AsSpan(sr.Length, written - sr.Length), out var sdes));
        Assert.True(sdes.TryGetCname(out uint ssrc, out var text));
        Assert.Equal(Ssrc, ssrc);
        Assert.Equal("publisher-7", Encoding.ASCII.GetString(text));

        Assert.False(stats.TryWriteSenderReport(new byte[written - 1], Ntp, 300, 90000, cname, out _));
        Assert.False(stats.TryWriteSenderReport(buffer, Ntp, 300, 90000, new byte[256], out _));
    }

    [Fact]
    public void Round_trip_is_A_minus_LSR_minus_DLSR_as_in_the_RFC_3550_example()
    {
        var stats = new SendStreamStats(Ssrc);
        stats.OnPacketSent(0, 100, 0);
        Assert.Null(stats.RoundTripTime);
        // RFC 3550 §6.4.1: SR sent at 46853.125 s (0xb705:2000); the report arrives at 46864.500 s
        // (0xb710:8000) with DLSR 5.250 s (0x0005:4000); the round trip is 6.125 s (0x0006:2000).
        Assert.True(stats.TryWriteSenderReport(new byte[28], 0x0000B705_20000000UL, 0, 90000, out _));
        var block = new ReceptionReport(Ssrc, 64, 12, 0x0001_0010, 345, 0xB7052000, 0x00054000);
        Assert.True(stats.OnReceiverReport(block, 0x0000B710_80000000UL));
        Assert.Equal(TimeSpan.FromMilliseconds(6125), stats.RoundTripTime);
        Assert.True(stats.HasReceiverReport);
        Assert.Equal(64, stats.FractionLost);
        Assert.Equal(0.25, stats.LossFraction);
        Assert.Equal(12, stats.CumulativeLost);
        Assert.Equal(0x0001_0010u, stats.ExtendedHighestSequenceNumber);
        Assert.Equal(345u, stats.Jitter);
    }

    [Fact]
    public void Reports_that_do_not_echo_our_sender_report_leave_the_round_trip_alone()
    {
        var stats = new SendStreamStats(Ssrc);
        stats.OnPacketSent(0, 100, 0);
        Assert.True(stats.TryWriteSenderReport(new byte[28], 0x0000B705_20000000UL, 0, 90000, out _));

        // Another SSRC: refused.
        Assert.False(stats.OnReceiverReport(new ReceptionReport(Ssrc + 1, 1, 1, 1, 1, 0xB7052000, 0), 0x0000B710_80000000UL));
        Assert.False(stats.HasReceiverReport);
        // No SR seen yet (LSR 0), or an LSR we never sent: loss taken, no round trip.
        Assert.True(stats.OnReceiverReport(new ReceptionReport(Ssrc, 10, 1, 1, 1, 0, 0), 0x0000B710_80000000UL));
        Assert.True(stats.OnReceiverReport(new ReceptionReport(Ssrc, 20, 1, 1, 1, 0xB7050000, 0), 0x0000B710_80000000UL));
        Assert.Equal(20, stats.FractionLost);
        Assert.Null(stats.RoundTripTime);
        // A DLSR longer than the time since our SR bottoms out at zero.
        Assert.True(stats.OnReceiverReport(new ReceptionReport(Ssrc, 0, 1, 1, 1, 0xB7052000, 0x7FFF0000), 0x0000B710_80000000UL));
        Assert.Equal(TimeSpan.Zero, stats.RoundTripTime);
        // An arrival before the SR (a wall clock stepped back) teaches nothing.
        Assert.True(stats.OnReceiverReport(new ReceptionReport(Ssrc, 0, 1, 1, 1, 0xB7052000, 0), 0x0000B700_00000000UL));
        Assert.Equal(TimeSpan.Zero, stats.RoundTripTime);
    }

    [Fact]
    public void Older_sender_reports_still_count_until_eight_newer_ones_went_out()
    {
        var stats = new SendStreamStats(Ssrc);
        stats.OnPacketSent(0, 100, 0);
        ulong first = NtpTime.FromUnixMilliseconds(1_700_000_000_000);
        for (int i = 0; i < 8; i++)
            Assert.True(stats.TryWriteSenderReport(new byte[28], first + ((ulong)i << 32), i * 1000L, 90000, out _));
        var echoFirst = new ReceptionReport(Ssrc, 0, 0, 0, 0, NtpTime.ToCompact(first), NtpTime.MillisecondsToCompact(9000));
        Assert.True(stats.OnReceiverReport(echoFirst, first + (10UL << 32)));
        Assert.Equal(1000, stats.RoundTripTime!.Value.TotalMilliseconds, 1);

        Assert.True(stats.TryWriteSenderReport(new byte[28], first + (8UL << 32), 8000, 90000, out _));
        Assert.True(stats.OnReceiverReport(echoFirst with { DelaySinceLastSenderReport = 0 }, first + (10UL << 32)));
        Assert.Equal(1000, stats.RoundTripTime!.Value.TotalMilliseconds, 1); // unchanged: the first SR was forgotten
    }

    [Fact]
    public void Sender_and_receiver_statistics_agree_on_a_100_ms_round_trip()
    {
        // SFU → consumer: 50 ms one way, consumer holds the SR 200 ms before its RR, 50 ms back.
        var sender = new SendStreamStats(Ssrc);
        var receiver = new ReceiveStreamStats(Ssrc);
        long wallStart = 1_750_000_000_123;
        for (int i = 0; i < 30; i++)
        {
            sender.OnPacketSent((uint)i * 3000, 1000, i * 33L);
            receiver.OnPacket((ushort)i, (uint)i * 3000, 50 + i * 33L, 90000, 1012);
        }
        var buffer = new byte[1500];
        Assert.True(sender.TryWriteSenderReport(buffer, NtpTime.FromUnixMilliseconds(wallStart + 1000), 1000, 90000, out int written));
        var sr = Parse(buffer, written);
        receiver.OnSenderReport(sr.NtpTimestamp, 1050);
        Assert.True(ReceiveStreamStats.TryWriteReceiverReport(buffer, 0xDEAD, "consumer"u8, new[] { receiver }, 1250, out written));
        Assert.True(ReceiverReport.TryParse(buffer.AsSpan(0, written), out var rr));
        Assert.True(sender.OnReceiverReport(rr.Reports[0], NtpTime.FromUnixMilliseconds(wallStart + 1300)));
        Assert.Equal(100, sender.RoundTripTime!.Value.TotalMilliseconds, 0.1);
        Assert.Equal(29u, sender.ExtendedHighestSequenceNumber);
        Assert.Equal(0, sender.CumulativeLost);
    }

    [Fact]
    public void Arbitrary_report_blocks_and_timestamps_never_throw()
    {
        var random = new Random(7);
        var stats = new SendStreamStats(Ssrc);
        var buffer = new byte[100];
        for (int i = 0; i < 20_000; i++)
        {
            stats.OnPacketSent((uint)random.NextInt64(), random.Next(int.MinValue, int.MaxValue), random.NextInt64(long.MinValue / 1_000_000, long.MaxValue / 1_000_000));
            ulong ntp = (ulong)random.NextInt64() << 1;
            stats.TryWriteSenderReport(buffer, ntp, random.Next(), random.Next(-1, 200_000), out _);
            var block = new ReceptionReport(random.Next(2) == 0 ? Ssrc : (uint)random.Next(), (byte)random.Next(256), random.Next(-0x800000, 0x800000),
                (uint)random.NextInt64(), (uint)random.NextInt64(), random.Next(2) == 0 ? NtpTime.ToCompact(ntp) : (uint)random.NextInt64(), (uint)random.NextInt64());
            stats.OnReceiverReport(block, (ulong)random.NextInt64() << 1);
            if (stats.RoundTripTime is { } rtt) Assert.True(rtt >= TimeSpan.Zero && rtt < TimeSpan.FromHours(10));
        }
    }

    [Fact]
    public void Sending_packets_and_reports_allocates_nothing()
    {
        var stats = new SendStreamStats(Ssrc);
        var buffer = new byte[200];
        void Run(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                stats.OnPacketSent((uint)(i / 3) * 3000, 1000 + i % 200, i * 11L);
                if (i % 100 == 0)
                {
                    ulong ntp = NtpTime.FromUnixMilliseconds(1_700_000_000_000 + i * 11L);
                    stats.TryWriteSenderReport(buffer, ntp, i * 11L, 90000, out _);
                    stats.TryWriteSenderReport(buffer, ntp, i * 11L, 90000, "cname"u8, out _);
                    stats.OnReceiverReport(new ReceptionReport(Ssrc, 3, 4, (uint)i, 5, NtpTime.ToCompact(ntp), 1000), ntp + (1UL << 30));
                    _ = stats.RoundTripTime;
                }
            }
        }
        Run(0, 100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(100, 10_100);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
