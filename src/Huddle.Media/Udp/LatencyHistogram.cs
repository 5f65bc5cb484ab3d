using System.Diagnostics;

namespace Huddle.Media.Udp;

/// <summary>
/// A lock-free histogram of durations in microseconds with log-linear buckets (HdrHistogram's idea,
/// at 4 bits of precision): exact below 64 µs, then 16 buckets per power of two, so every bucket is
/// within 6.25 % of its value from 64 µs to minutes. Recording is one increment, no allocation; readers
/// take <see cref="Snapshot"/>s and subtract two of them to look at an interval.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 64;          // 0..63 µs, one bucket each
    private const int SubBuckets = 16;      // per power of two above that
    private const int FirstExponent = 6;    // 2^6 = 64
    private const int LastExponent = 40;    // 2^40 µs ≈ 12 days: everything fits
    public const int BucketCount = Linear + (LastExponent - FirstExponent + 1) * SubBuckets;

    private static readonly double s_ticksPerMicrosecond = Stopwatch.Frequency / 1_000_000.0;

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Records the time from <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) to now.</summary>
    public void RecordSince(long startTimestamp) =>
        Record((long)((Stopwatch.GetTimestamp() - startTimestamp) / s_ticksPerMicrosecond));

    public void Record(long microseconds) => Interlocked.Increment(ref _counts[BucketOf(microseconds)]);

    /// <summary>Records <paramref name="count"/> durations, each the time from <paramref name="startTimestamp"/> to now.</summary>
    public void RecordSince(long startTimestamp, long count) =>
        Interlocked.Add(ref _counts[BucketOf((long)((Stopwatch.GetTimestamp() - startTimestamp) / s_ticksPerMicrosecond))], count);

    /// <summary>A copy of the counts, bucket by bucket.</summary>
    public long[] Snapshot()
    {
        var copy = new long[BucketCount];
        for (int i = 0; i < BucketCount; i++) copy[i] = Volatile.Read(ref _counts[i]);
        return copy;
    }

    public static int BucketOf(long microseconds)
    {
        if (microseconds < Linear) return microseconds < 0 ? 0 : (int)microseconds;
        int exponent = 63 - (int)long.LeadingZeroCount(microseconds);
        if (exponent > LastExponent) return BucketCount - 1;
        int mantissa = (int)(microseconds >> (exponent - 4)) & (SubBuckets - 1);
        return Linear + (exponent - FirstExponent) * SubBuckets + mantissa;
    }

    /// <summary>The smallest value that falls in <paramref name="bucket"/>.</summary>
    public static long LowerBound(int bucket)
    {
        if (bucket < Linear) return bucket;
        int exponent = FirstExponent + (bucket - Linear) / SubBuckets;
        int mantissa = (bucket - Linear) % SubBuckets;
        return (1L << exponent) + ((long)mantissa << (exponent - 4));
    }

    /// <summary>The largest value that falls in <paramref name="bucket"/>.</summary>
    public static long UpperBound(int bucket) => bucket == BucketCount - 1 ? long.MaxValue : LowerBound(bucket + 1) - 1;

    /// <summary>
    /// The value at quantile <paramref name="q"/> (0..1) of <paramref name="counts"/>, reported as its
    /// bucket's upper bound (so never below the truth); 0 when empty.
    /// </summary>
    public static long Quantile(ReadOnlySpan<long> counts, double q)
    {
        long total = 0;
        foreach (long c in counts) total += c;
        if (total == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank) return UpperBound(i);
        }
        return UpperBound(counts.Length - 1);
    }
}
