using Huddle.Media.Rtcp;

namespace Huddle.Sfu;

/// <summary>
/// The receive side of one publisher stream: notices missing sequence numbers and says which to ask
/// for again with a Generic NACK (RFC 4585 §6.2.1), when, and when to give up and ask for a key frame
/// instead. Modelled on mediasoup's NackGenerator and libwebrtc's NackRequester.
/// </summary>
/// <remarks>
/// <para>
/// A gap is not requested at once: packets are often only reordered, so the first request waits
/// <see cref="InitialDelayMs"/>. A request or its retransmission can be lost too, so the request is
/// repeated every <see cref="RttMs"/> — sooner would ask again before the answer could arrive, and
/// libwebrtc and mediasoup wait one round trip too — at most <see cref="MaxRetries"/> times and
/// never for a packet older than <see cref="MaxAgeMs"/>, whose media is too late to play.
/// </para>
/// <para>
/// More than <see cref="MaxMissing"/> missing packets at once is an outage rather than loss: single
/// packets cannot repair it in time, so <see cref="KeyFrameNeeded"/> is set for the caller to send a
/// PLI (RFC 4585 §6.3.1), as mediasoup and libwebrtc do. Packets given up on after their retries do
/// not set it; a receiver that cannot decode asks for a key frame itself.
/// </para>
/// <para>
/// All state lives in arrays allocated in the constructor; nothing allocates per packet. The time is
/// passed in, never read here. Not thread-safe: one thread (the stream's receive loop) uses each
/// instance.
/// </para>
/// </remarks>
public sealed class NackGenerator
{
    /// <summary>Missing packets tracked at most; a larger gap asks for a key frame instead.</summary>
    public const int MaxMissing = 1000;
    public const int DefaultInitialDelayMs = 10;
    public const int DefaultRttMs = 100;
    public const int DefaultMaxRetries = 10;
    public const int DefaultMaxAgeMs = 1000;

    private struct Missing
    {
        public long Sequence;  // extended
        public long SinceMs;   // when the gap was seen
        public long SentMs;    // when last requested
        public int Sent;       // requests so far
    }

    private readonly Missing[] _missing = new Missing[MaxMissing]; // ascending by sequence
    private int _count;
    private bool _started;
    private long _highest;
    private int _rttMs;

    /// <param name="initialDelayMs">Wait before the first request for a missing packet, to let reordered packets arrive.</param>
    /// <param name="rttMs">The initial <see cref="RttMs"/>.</param>
    /// <param name="maxRetries">Requests per missing packet in all, the first included (as mediasoup counts).</param>
    /// <param name="maxAgeMs">A missing packet is forgotten this long after its gap was seen.</param>
    public NackGenerator(int initialDelayMs = DefaultInitialDelayMs, int rttMs = DefaultRttMs, int maxRetries = DefaultMaxRetries,
        int maxAgeMs = DefaultMaxAgeMs)
    {
        RttMs = rttMs;
        ArgumentOutOfRangeException.ThrowIfNegative(initialDelayMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRetries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxAgeMs);
        InitialDelayMs = initialDelayMs;
        MaxRetries = maxRetries;
        MaxAgeMs = maxAgeMs;
    }

    public int InitialDelayMs { get; }
    public int MaxRetries { get; }
    public int MaxAgeMs { get; }

    /// <summary>
    /// The round-trip time to the publisher: the least time between two requests for one packet. Set
    /// it from RTCP measurements; values below 1 ms count as 1 ms.
    /// </summary>
    public int RttMs
    {
        get => _rttMs;
        set => _rttMs = Math.Max(1, value);
    }

    /// <summary>Missing packets being tracked.</summary>
    public int MissingCount => _count;

    /// <summary>Set when too many packets went missing to repair one by one; the caller sends a PLI and calls <see cref="ClearKeyFrameNeeded"/>.</summary>
    public bool KeyFrameNeeded { get; private set; }

    /// <summary>Missing packets that arrived as retransmissions.</summary>
    public long RecoveredCount { get; private set; }

    /// <summary>Missing packets no longer requested: too old, retried enough, or dropped for a key frame.</summary>
    public long GivenUpCount { get; private set; }

    public void ClearKeyFrameNeeded() => KeyFrameNeeded = false;

    /// <summary>
    /// A packet of the stream arrived (original or, with <paramref name="isRetransmission"/>, a
    /// retransmission unwrapped from RTX, RFC 4588). Newer than any before: the numbers skipped are
    /// missing from now on. Older: it is no longer missing.
    /// </summary>
    public void OnPacket(ushort seq, long nowMs, bool isRetransmission = false)
    {
        if (!_started)
        {
            _started = true;
            _highest = seq;
            return;
        }

        long extended = RtpSequence.Unwrap(_highest, seq);
        if (extended <= _highest)
        {
            if (Remove(extended) && isRetransmission) RecoveredCount++;
            return;
        }

        long gap = extended - _highest - 1;
        _highest = extended;
        if (gap == 0) return;

        if (gap > MaxMissing)
        {
            GivenUpCount += _count;
            _count = 0;
            KeyFrameNeeded = true;
            return;
        }

        int room = MaxMissing - _count;
        if (gap > room)
        {
            // The oldest are the least likely to arrive in time; make room for the new gap.
            int evict = (int)gap - room;
            Array.Copy(_missing, evict, _missing, 0, _count - evict);
            _count -= evict;
            GivenUpCount += evict;
            KeyFrameNeeded = true;
        }

        for (long s = extended - gap; s < extended; s++)
        {
            _missing[_count++] = new Missing { Sequence = s, SinceMs = nowMs };
        }
    }

    /// <summary>
    /// Writes the sequence numbers to request now, oldest first, into <paramref name="output"/> and
    /// returns how many. Numbers that do not fit wait for the next call. Also forgets packets that
    /// are too old or have been requested <see cref="MaxRetries"/> times. Call it periodically, e.g.
    /// every 10–20 ms, and after <see cref="OnPacket"/> found a gap.
    /// </summary>
    public int Collect(long nowMs, Span<ushort> output)
    {
        int written = 0;
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            ref Missing m = ref _missing[i];
            bool forget;
            if (nowMs - m.SinceMs >= MaxAgeMs)
            {
                forget = true;
            }
            else if (m.Sent >= MaxRetries)
            {
                // Forgotten once the next request would have been due: an answer to the last one
                // can still arrive until then, and counts as a recovery.
                forget = nowMs - m.SentMs >= _rttMs;
            }
            else
            {
                forget = false;
                bool due = m.Sent == 0 ? nowMs - m.SinceMs >= InitialDelayMs : nowMs - m.SentMs >= _rttMs;
                if (due && written < output.Length)
                {
                    output[written++] = (ushort)m.Sequence;
                    m.Sent++;
                    m.SentMs = nowMs;
                }
            }

            if (forget) GivenUpCount++;
            else _missing[kept++] = m;
        }
        _count = kept;
        return written;
    }

    /// <summary>Forgets the stream, e.g. when the publisher restarts it.</summary>
    public void Reset()
    {
        _count = 0;
        _started = false;
        KeyFrameNeeded = false;
    }

    private bool Remove(long sequence)
    {
        int low = 0, high = _count - 1;
        while (low <= high)
        {
            int mid = (low + high) >>> 1;
            long at = _missing[mid].Sequence;
            if (at == sequence)
            {
                Array.Copy(_missing, mid + 1, _missing, mid, _count - mid - 1);
                _count--;
                return true;
            }
            if (at < sequence) low = mid + 1;
            else high = mid - 1;
        }
        return false;
    }

    /// <summary>
    /// Writes one Generic NACK (RFC 4585 §6.2.1) from <paramref name="senderSsrc"/> about
    /// <paramref name="mediaSsrc"/> asking for <paramref name="lost"/>, packed into PID+BLP pairs
    /// (ascending input, as <see cref="Collect"/> gives, packs tightest; wrapping lists are fine).
    /// False, and nothing written, for an empty list or when the pairs do not fit
    /// <paramref name="destination"/>; a caller with more than an MTU's worth splits the list.
    /// </summary>
    public static bool TryWriteNack(Span<byte> destination, uint senderSsrc, uint mediaSsrc, ReadOnlySpan<ushort> lost, out int written)
    {
        written = 0;
        if (lost.IsEmpty) return false;
        int room = (destination.Length - GenericNack.GetLength(0)) / NackPair.Size;
        if (room <= 0) return false;
        // One pair per number at worst; MaxMissing pairs (4 KB of stack) covers all Collect can return.
        Span<NackPair> pairs = stackalloc NackPair[Math.Min(Math.Min(room, lost.Length), MaxMissing)];
        if (!NackPair.TryBuild(lost, pairs, out int count)) return false;
        return GenericNack.TryWrite(destination, senderSsrc, mediaSsrc, pairs[..count], out written);
    }
}
