using Huddle.Media.Rtcp;

namespace Huddle.Sfu;

/// <summary>
/// Decides when the SFU asks one publisher stream for a key frame, so that many receivers asking at
/// once — a crowd joining, or every receiver behind one lossy link sending PLI — turn into one PLI or
/// FIR per <see cref="MinIntervalMs"/> (mediasoup's KeyFrameRequestManager and Galène do the same).
/// </summary>
/// <remarks>
/// <para>
/// A key frame is large and costs the publisher bandwidth and quality; one key frame serves every
/// receiver of the stream, so requests during the quiet period are merged into one that goes out when
/// the period ends (<see cref="Poll"/>), and dropped altogether if a key frame arrives first
/// (<see cref="OnKeyFrame"/>). RFC 4585 §3.2 suppresses duplicate feedback in multiparty sessions
/// to avoid "feedback implosion"; an SFU, which terminates its receivers' RTCP, has to do that job
/// itself before asking the publisher.
/// </para>
/// <para>The time is passed in, never read here. Not thread-safe: one thread uses each instance.</para>
/// </remarks>
public sealed class KeyFrameRequestThrottle
{
    public const int DefaultMinIntervalMs = 300;

    private readonly int _minIntervalMs;
    private bool _hasSent;
    private long _lastSentMs;
    private bool _pending;
    private byte _firSequence;

    /// <param name="minIntervalMs">The least time between two requests that go out; at least 0.</param>
    public KeyFrameRequestThrottle(int minIntervalMs = DefaultMinIntervalMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minIntervalMs);
        _minIntervalMs = minIntervalMs;
    }

    public int MinIntervalMs => _minIntervalMs;

    /// <summary>A request arrived during the quiet period and waits for <see cref="Poll"/>.</summary>
    public bool IsPending => _pending;

    /// <summary>
    /// The FIR sequence number of the latest request that went out. RFC 5104 §4.3.1.1: it grows by one
    /// (modulo 256) per new request and stays the same when the caller repeats a FIR it has not seen
    /// answered, so the sender can tell the two apart. The first request uses 0.
    /// </summary>
    public byte FirSequence => _firSequence;

    /// <summary>When the last key frame arrived, or null before the first.</summary>
    public long? LastKeyFrameMs { get; private set; }

    /// <summary>
    /// A receiver needs a key frame. True when the caller should send a PLI or FIR now; false when one
    /// went out less than <see cref="MinIntervalMs"/> ago, in which case the request is remembered and
    /// <see cref="Poll"/> lets it out later.
    /// </summary>
    public bool Request(long nowMs)
    {
        if (IntervalPassed(nowMs))
        {
            Send(nowMs);
            return true;
        }
        _pending = true;
        return false;
    }

    /// <summary>
    /// Call periodically (e.g. on each RTCP tick or incoming packet). True, once, when a remembered
    /// request may go out now.
    /// </summary>
    public bool Poll(long nowMs)
    {
        if (!_pending || !IntervalPassed(nowMs)) return false;
        Send(nowMs);
        return true;
    }

    /// <summary>The publisher sent a key frame: it serves every waiting receiver, so a pending request is dropped.</summary>
    public void OnKeyFrame(long nowMs)
    {
        _pending = false;
        LastKeyFrameMs = nowMs;
    }

    // A clock that went backwards counts as "not yet": better one request late than a storm.
    private bool IntervalPassed(long nowMs) => !_hasSent || nowMs - _lastSentMs >= _minIntervalMs;

    private void Send(long nowMs)
    {
        if (_hasSent) _firSequence++;
        _hasSent = true;
        _lastSentMs = nowMs;
        _pending = false;
    }

    /// <summary>Writes a PLI (RFC 4585 §6.3.1) for <paramref name="mediaSsrc"/>; 12 bytes. False when <paramref name="destination"/> is too short.</summary>
    public static bool TryWritePli(Span<byte> destination, uint senderSsrc, uint mediaSsrc, out int written) =>
        PictureLossIndication.TryWrite(destination, senderSsrc, mediaSsrc, out written);

    /// <summary>
    /// Writes a FIR (RFC 5104 §4.3.1) with one entry asking <paramref name="mediaSsrc"/> for a key
    /// frame; 20 bytes. Pass <see cref="FirSequence"/>. False when <paramref name="destination"/> is too short.
    /// </summary>
    public static bool TryWriteFir(Span<byte> destination, uint senderSsrc, uint mediaSsrc, byte sequenceNumber, out int written)
    {
        var entry = new FirEntry(mediaSsrc, sequenceNumber);
        return FullIntraRequest.TryWrite(destination, senderSsrc, new ReadOnlySpan<FirEntry>(in entry), out written);
    }
}
