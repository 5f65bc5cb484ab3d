using Huddle.Media.Rtcp;
using Huddle.Sfu;

namespace Huddle.Sfu.Tests;

/// <summary>What the publisher sees: one key frame request per interval however many receivers ask.</summary>
public sealed class KeyFrameRequestThrottleTests
{
    [Fact]
    public void Fifty_joiners_at_once_cause_one_request_and_one_pending()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        int sent = 0;
        for (int i = 0; i < 50; i++)
            if (throttle.Request(1000 + i)) sent++;

        Assert.Equal(1, sent);
        Assert.True(throttle.IsPending);
    }

    [Fact]
    public void A_pending_request_fires_once_after_the_interval()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        Assert.True(throttle.Request(1000));
        Assert.False(throttle.Request(1100));
        Assert.False(throttle.Request(1200));

        Assert.False(throttle.Poll(1150));
        Assert.False(throttle.Poll(1299));
        Assert.True(throttle.Poll(1300));
        Assert.False(throttle.Poll(1301));
        Assert.False(throttle.Poll(5000)); // nothing left to send
        Assert.False(throttle.IsPending);
    }

    [Fact]
    public void The_pending_request_restarts_the_interval()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        throttle.Request(0);
        throttle.Request(10);
        Assert.True(throttle.Poll(300));
        Assert.False(throttle.Request(400)); // 100 ms after the pending one went out
        Assert.True(throttle.Poll(600));
    }

    [Fact]
    public void Requests_spaced_wider_than_the_interval_all_go_out()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        Assert.True(throttle.Request(0));
        Assert.True(throttle.Request(300));
        Assert.True(throttle.Request(1000));
        Assert.False(throttle.IsPending);
    }

    [Fact]
    public void A_key_frame_clears_the_pending_request()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        throttle.Request(0);
        throttle.Request(50);
        throttle.OnKeyFrame(120);

        Assert.False(throttle.IsPending);
        Assert.False(throttle.Poll(400));
        Assert.Equal(120, throttle.LastKeyFrameMs);
        Assert.True(throttle.Request(400)); // a later joiner still gets its own
    }

    [Fact]
    public void A_clock_that_goes_back_does_not_open_the_gate()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        Assert.True(throttle.Request(10_000));
        Assert.False(throttle.Request(5_000));
        Assert.False(throttle.Poll(5_000));
        Assert.True(throttle.Poll(10_300));
    }

    [Fact]
    public void Fir_sequence_grows_per_request_that_goes_out_and_wraps()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        Assert.True(throttle.Request(0));
        Assert.Equal(0, throttle.FirSequence);
        throttle.Request(100); // merged: not a new FIR
        Assert.Equal(0, throttle.FirSequence);
        Assert.True(throttle.Poll(300));
        Assert.Equal(1, throttle.FirSequence);

        for (int i = 2; i <= 256; i++) Assert.True(throttle.Request(i * 1000));
        Assert.Equal(0, throttle.FirSequence); // 256 requests after the first: modulo 256
    }

    [Fact]
    public void Zero_interval_lets_everything_through()
    {
        var throttle = new KeyFrameRequestThrottle(0);
        for (int i = 0; i < 10; i++) Assert.True(throttle.Request(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyFrameRequestThrottle(-1));
    }

    [Fact]
    public void Writes_a_pli_that_parses_back()
    {
        var buffer = new byte[64];
        Assert.True(KeyFrameRequestThrottle.TryWritePli(buffer, 0x11111111, 0x22222222, out int written));
        Assert.Equal(12, written);
        Assert.True(PictureLossIndication.TryParse(buffer.AsSpan(0, written), out var pli));
        Assert.Equal(0x11111111u, pli.SenderSsrc);
        Assert.Equal(0x22222222u, pli.MediaSsrc);

        Assert.False(KeyFrameRequestThrottle.TryWritePli(new byte[11], 1, 2, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Writes_a_fir_that_parses_back()
    {
        var buffer = new byte[64];
        Assert.True(KeyFrameRequestThrottle.TryWriteFir(buffer, 0x11111111, 0x22222222, 7, out int written));
        Assert.Equal(20, written);
        Assert.True(FullIntraRequest.TryParse(buffer.AsSpan(0, written), out var fir));
        Assert.Equal(0x11111111u, fir.SenderSsrc);
        Assert.Equal(0u, fir.MediaSsrc); // RFC 5104 §4.3.1.2
        Assert.Equal(1, fir.EntryCount);
        Assert.Equal(new FirEntry(0x22222222, 7), fir.GetEntry(0));

        Assert.False(KeyFrameRequestThrottle.TryWriteFir(new byte[19], 1, 2, 0, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Requests_and_writing_do_not_allocate()
    {
        var throttle = new KeyFrameRequestThrottle(300);
        var buffer = new byte[64];
        long sum = Run(throttle, buffer, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Run(throttle, buffer, 1_000_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, sum);

        static long Run(KeyFrameRequestThrottle throttle, byte[] buffer, long start)
        {
            long sum = 0;
            for (long t = start; t < start + 10_000; t++)
            {
                if (throttle.Request(t) || throttle.Poll(t))
                {
                    KeyFrameRequestThrottle.TryWritePli(buffer, 1, 2, out int n);
                    KeyFrameRequestThrottle.TryWriteFir(buffer, 1, 2, throttle.FirSequence, out int m);
                    sum += n + m;
                }
                if (t % 1000 == 0) throttle.OnKeyFrame(t);
            }
            return sum;
        }
    }
}
