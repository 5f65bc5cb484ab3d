namespace Huddle.Server.Signaling;

/// <summary>A token bucket for one socket's inbound messages. Used from one receive loop only.</summary>
internal sealed class TokenBucket(int ratePerSecond, int burst, TimeProvider time)
{
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        long now = time.GetTimestamp();
        double elapsed = time.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(burst, _tokens + elapsed * ratePerSecond);
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }
}
