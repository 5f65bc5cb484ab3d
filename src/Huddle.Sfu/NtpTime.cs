namespace Huddle.Sfu;

/// <summary>
/// Conversions between wall-clock time and the 64-bit NTP timestamps of RTCP sender reports, and
/// the 32-bit "compact" form that receivers echo back as LSR and DLSR.
/// </summary>
/// <remarks>
/// RFC 5905 §6: an NTP timestamp is 32 bits of seconds since 1900-01-01 00:00 UTC and 32 bits of
/// fraction. RFC 3550 §4 uses it as is in SRs; §6.4.1 takes its middle 32 bits (16.16 seconds) for
/// LSR and expresses DLSR in 1/65536 s. The seconds field wraps on 2036-02-07 (era 1); like RFC 4330
/// §3 we read a seconds value with the top bit clear as era 1, which makes the mapping valid from
/// 1968 to 2104. Stateless and thread-safe.
/// </remarks>
public static class NtpTime
{
    /// <summary>Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch).</summary>
    public const long UnixEpochOffsetSeconds = 2_208_988_800;

    /// <summary>Compact NTP units (1/65536 s) per second: the unit of DLSR (RFC 3550 §6.4.1).</summary>
    public const int CompactUnitsPerSecond = 65536;

    private const long MsPerSecond = 1000;
    private const long FractionScale = 1L << 32;
    private const uint EraBoundary = 0x8000_0000;

    /// <summary>The NTP timestamp of <paramref name="unixMs"/> milliseconds since 1970, rounded to the nearest fraction unit.</summary>
    public static ulong FromUnixMilliseconds(long unixMs)
    {
        long seconds = Math.DivRem(unixMs, MsPerSecond, out long ms);
        if (ms < 0)
        {
            seconds--;
            ms += MsPerSecond;
        }
        // ms < 1000, so ms << 32 fits in 42 bits.
        ulong fraction = (ulong)(((ms << 32) + MsPerSecond / 2) / MsPerSecond);
        return ((ulong)(uint)(seconds + UnixEpochOffsetSeconds) << 32) + fraction;
    }

    /// <summary>Milliseconds since 1970 for an NTP timestamp, rounded to the nearest millisecond.</summary>
    public static long ToUnixMilliseconds(ulong ntp)
    {
        long seconds = Seconds(ntp) - UnixEpochOffsetSeconds;
        long ms = (long)(((ntp & 0xFFFF_FFFF) * MsPerSecond + (ulong)(FractionScale / 2)) >> 32);
        return seconds * MsPerSecond + ms;
    }

    /// <summary>The NTP timestamp of a UTC (or local, converted) <see cref="DateTime"/>, to the nearest fraction unit.</summary>
    public static ulong FromDateTime(DateTime time)
    {
        long ticks = (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time).Ticks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        // rest < 10^7 < 2^24, so rest << 32 fits in 56 bits.
        ulong fraction = (ulong)(((rest << 32) + TimeSpan.TicksPerSecond / 2) / TimeSpan.TicksPerSecond);
        return ((ulong)(uint)(seconds + UnixEpochOffsetSeconds) << 32) + fraction;
    }

    /// <summary>The UTC time of an NTP timestamp, to the nearest 100 ns tick.</summary>
    public static DateTime ToDateTime(ulong ntp)
    {
        long seconds = Seconds(ntp) - UnixEpochOffsetSeconds;
        long ticks = (long)(((ntp & 0xFFFF_FFFF) * (ulong)TimeSpan.TicksPerSecond + (ulong)(FractionScale / 2)) >> 32);
        return new DateTime(DateTime.UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + ticks, DateTimeKind.Utc);
    }

    /// <summary>The middle 32 bits: what an SR is known by in LSR (RFC 3550 §6.4.1).</summary>
    public static uint ToCompact(ulong ntp) => (uint)(ntp >> 16);

    /// <summary>A duration in compact NTP units (1/65536 s) as milliseconds, rounded down.</summary>
    public static long CompactToMilliseconds(uint compact) => (long)compact * MsPerSecond / CompactUnitsPerSecond;

    /// <summary>A duration in compact NTP units as a <see cref="TimeSpan"/>, rounded down to a tick.</summary>
    public static TimeSpan CompactToTimeSpan(uint compact) =>
        TimeSpan.FromTicks((long)compact * TimeSpan.TicksPerSecond / CompactUnitsPerSecond);

    /// <summary>
    /// Milliseconds as compact NTP units, clamped to 0 … <see cref="uint.MaxValue"/> (about 18 hours),
    /// as DLSR needs.
    /// </summary>
    public static uint MillisecondsToCompact(long ms)
    {
        if (ms <= 0) return 0;
        if (ms >= (long)uint.MaxValue * MsPerSecond / CompactUnitsPerSecond) return uint.MaxValue;
        return (uint)(ms * CompactUnitsPerSecond / MsPerSecond);
    }

    /// <summary>Seconds since 1900, taking a seconds field with the top bit clear as era 1 (after 2036).</summary>
    private static long Seconds(ulong ntp)
    {
        uint seconds = (uint)(ntp >> 32);
        return seconds < EraBoundary ? seconds + FractionScale : seconds;
    }
}
