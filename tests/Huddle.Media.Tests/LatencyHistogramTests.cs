using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Every_value_falls_in_a_bucket_whose_bounds_hold_it_within_a_sixteenth()
    {
        var values = new List<long>();
        for (long v = 0; v < 5000; v++) values.Add(v);
        for (long v = 5000; v < 1L << 39; v = v * 9 / 8 + 1) values.Add(v);
        foreach (long v in values)
        {
            int bucket = LatencyHistogram.BucketOf(v);
            long low = LatencyHistogram.LowerBound(bucket), high = LatencyHistogram.UpperBound(bucket);
            Assert.True(low <= v && v <= high, $"{v} µs is outside bucket {bucket} [{low}, {high}]");
            // Below 64 µs exact; above, a bucket is at most 1/16 of its lower bound wide.
            Assert.True(v < 64 ? low == high : (high - low + 1) * 16 <= low, $"bucket {bucket} [{low}, {high}] is too wide");
        }
    }

    [Fact]
    public void Buckets_are_contiguous_and_increasing()
    {
        for (int b = 1; b < LatencyHistogram.BucketCount; b++)
            Assert.Equal(LatencyHistogram.UpperBound(b - 1) + 1, LatencyHistogram.LowerBound(b));
        Assert.Equal(0, LatencyHistogram.BucketOf(-5));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.BucketOf(long.MaxValue));
    }

    [Fact]
    public void Quantiles_of_known_data_come_out_at_the_right_values()
    {
        var histogram = new LatencyHistogram();
        // 1..1000 µs once each: p50 = 500, p99 = 990, p99.9 = 999, each reported as its bucket's top.
        for (int v = 1; v <= 1000; v++) histogram.Record(v);
        long[] counts = histogram.Snapshot();
        Assert.Equal(1000, counts.Sum());
        Assert.Equal(LatencyHistogram.UpperBound(LatencyHistogram.BucketOf(500)), LatencyHistogram.Quantile(counts, 0.5));
        Assert.Equal(LatencyHistogram.UpperBound(LatencyHistogram.BucketOf(990)), LatencyHistogram.Quantile(counts, 0.99));
        Assert.Equal(LatencyHistogram.UpperBound(LatencyHistogram.BucketOf(1000)), LatencyHistogram.Quantile(counts, 1.0));
        Assert.InRange(LatencyHistogram.Quantile(counts, 0.5), 500, 500 * 17 / 16);
        Assert.Equal(0, LatencyHistogram.Quantile(new long[LatencyHistogram.BucketCount], 0.5));
    }

    [Fact]
    public void Recording_from_several_threads_loses_nothing()
    {
        var histogram = new LatencyHistogram();
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 100_000; i++) histogram.Record(i % 3000);
        });
        Assert.Equal(400_000, histogram.Snapshot().Sum());
    }
}
