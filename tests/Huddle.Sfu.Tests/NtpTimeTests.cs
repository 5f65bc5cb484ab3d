namespace Huddle.Sfu.Tests;

public sealed class NtpTimeTests
{
    [Fact]
    public void Unix_epoch_is_2208988800_seconds_after_the_NTP_epoch()
    {
        Assert.Equal(0x83AA7E80_00000000UL, NtpTime.FromUnixMilliseconds(0));
        Assert.Equal(0L, NtpTime.ToUnixMilliseconds(0x83AA7E80_00000000UL));
        Assert.Equal(0x83AA7E80_00000000UL, NtpTime.FromDateTime(DateTime.UnixEpoch));
        Assert.Equal(DateTime.UnixEpoch, NtpTime.ToDateTime(0x83AA7E80_00000000UL));
    }

    [Fact]
    public void Half_a_second_is_half_the_fraction()
    {
        Assert.Equal(0x83AA7E80_80000000UL, NtpTime.FromUnixMilliseconds(500));
        Assert.Equal(0x83AA7E81_40000000UL, NtpTime.FromUnixMilliseconds(1250));
        Assert.Equal(1250L, NtpTime.ToUnixMilliseconds(0x83AA7E81_40000000UL));
    }

    [Fact]
    public void Milliseconds_round_trip_exactly_on_both_sides_of_the_2036_era_change()
    {
        // 2036-02-07T06:28:16Z is where the 32-bit NTP seconds wrap to zero.
        long eraChange = (long)(new DateTime(2036, 2, 7, 6, 28, 16, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalMilliseconds;
        Assert.Equal(0UL, NtpTime.FromUnixMilliseconds(eraChange));
        foreach (long start in new[] { 0L, 1_700_000_000_000L, eraChange - 5000, eraChange + 123_456 })
        {
            for (long ms = start; ms < start + 10_000; ms += 7)
                Assert.Equal(ms, NtpTime.ToUnixMilliseconds(NtpTime.FromUnixMilliseconds(ms)));
        }
    }

    [Fact]
    public void DateTime_round_trips_to_the_tick_and_agrees_with_milliseconds()
    {
        var time = new DateTime(2025, 3, 14, 15, 9, 26, 535, DateTimeKind.Utc).AddTicks(8979);
        Assert.Equal(time, NtpTime.ToDateTime(NtpTime.FromDateTime(time)));
        var whole = new DateTime(2025, 3, 14, 15, 9, 26, 535, DateTimeKind.Utc);
        long ms = (long)(whole - DateTime.UnixEpoch).TotalMilliseconds;
        Assert.Equal(NtpTime.FromUnixMilliseconds(ms), NtpTime.FromDateTime(whole));
        var after2036 = new DateTime(2040, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(after2036, NtpTime.ToDateTime(NtpTime.FromDateTime(after2036)));
    }

    [Fact]
    public void Compact_form_is_the_middle_32_bits_and_counts_1_65536_seconds()
    {
        // RFC 3550 §6.4.1 example: 46853.125 s is 0xb705:2000 in compact form.
        Assert.Equal(0xB7052000u, NtpTime.ToCompact(0x0000B705_20000000UL));
        Assert.Equal(5250L, NtpTime.CompactToMilliseconds(0x00054000));
        Assert.Equal(TimeSpan.FromMilliseconds(6125), NtpTime.CompactToTimeSpan(0x00062000));
        Assert.Equal(0x00054000u, NtpTime.MillisecondsToCompact(5250));
        Assert.Equal(0u, NtpTime.MillisecondsToCompact(-10));
        Assert.Equal(uint.MaxValue, NtpTime.MillisecondsToCompact(long.MaxValue));
    }
}
