namespace Huddle.Sfu;

/// <summary>Milliseconds on a monotonic clock. The SFU helpers take the time as an argument, so tests drive it.</summary>
public static class SfuClock
{
    public static long NowMs => Environment.TickCount64;
}
