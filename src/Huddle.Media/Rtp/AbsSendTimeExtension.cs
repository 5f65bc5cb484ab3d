namespace Huddle.Media.Rtp;

/// <summary>
/// abs-send-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time): the send time as a
/// 24-bit unsigned 6.18 fixed-point number of seconds, wrapping every 64 s. It is the middle 24 bits
/// of a 64-bit NTP timestamp.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ID   | len=2 |              absolute send time               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public static class AbsSendTimeExtension
{
    public const int Length = 3;
    public const int FractionBits = 18;
    public const uint Mask = 0xFF_FFFF;
    /// <summary>NTP has 32 fraction bits; abs-send-time keeps 18 of them and 6 integer bits.</summary>
    private const int NtpShift = 32 - FractionBits;
    private const long MicrosecondsPerSecond = 1_000_000;

    public static bool TryRead(ReadOnlySpan<byte> data, out uint value)
    {
        if (data.Length != Length)
        {
            value = 0;
            return false;
        }
        value = (uint)(data[0] << 16 | data[1] << 8 | data[2]);
        return true;
    }

    /// <summary>Writes the low 24 bits of <paramref name="value"/>.</summary>
    public static bool TryWrite(Span<byte> destination, uint value)
    {
        if (destination.Length < Length) return false;
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
        return true;
    }

    /// <summary>The 24-bit value for a time in microseconds (any epoch; only the time modulo 64 s survives).</summary>
    public static uint FromMicroseconds(long microseconds)
    {
        // Split so that the shift cannot overflow for any long.
        long seconds = Math.DivRem(microseconds, MicrosecondsPerSecond, out long remainder);
        if (remainder < 0)
        {
            remainder += MicrosecondsPerSecond;
            seconds--;
        }
        long fraction = (remainder << FractionBits) / MicrosecondsPerSecond;
        return (uint)(((seconds << FractionBits) + fraction) & Mask);
    }

    /// <summary>The value in microseconds within its 64-second period (rounded down).</summary>
    public static long ToMicroseconds(uint value) => ((value & Mask) * MicrosecondsPerSecond) >> FractionBits;

    /// <summary>The value from a 64-bit NTP timestamp (RFC 5905 §6: 32.32 seconds since 1900).</summary>
    public static uint FromNtp(ulong ntpTimestamp) => (uint)(ntpTimestamp >> NtpShift) & Mask;
}
