namespace Huddle.Sfu;

/// <summary>
/// Numbers the packets of one consumer's output stream: turns each source packet's sequence number
/// and timestamp into output values that continue without gaps or jumps when the consumer is switched
/// from one source stream to another (another simulcast layer, another publisher), and when the SFU
/// drops a packet on purpose. Modelled on mediasoup's SeqManager and its RtpStreamSend sync.
/// </summary>
/// <remarks>
/// <para>
/// A receiver treats a sequence number gap as loss and sends NACKs for it (RFC 4585 §6.2.1), and a
/// timestamp jump as a long pause or clock drift (RFC 3550 §5.1: the timestamp must grow
/// monotonically and linearly for jitter and lip sync). An SFU keeps one SSRC per consumer stream
/// (RFC 7667 §3.7) and so has to make the sources it switches between look like one stream.
/// </para>
/// <para>
/// Within one source the mapping is a fixed offset on extended sequence numbers, so retransmitted and
/// reordered packets keep their place and a forward jump in the source shows as the same jump in the
/// output. After <see cref="SwitchSource"/> (made on a key frame), the first packet of the new source
/// continues at the last output sequence number + 1 and at the last output timestamp plus the wall
/// time elapsed since, in the stream's clock rate. Packets of the new source older than that first
/// packet would have to be numbered before it, where the old source's numbers are, and are refused.
/// </para>
/// <para>The time is passed in, never read here. Not thread-safe: one thread uses each instance.</para>
/// </remarks>
public sealed class SequenceRewriter
{
    /// <summary>
    /// Skips remembered for numbering late packets. A late packet older than a skip that has been
    /// forgotten cannot be numbered and is refused; at 128 this covers seconds of video with padding.
    /// </summary>
    public const int MaxRememberedSkips = 128;

    private readonly int _clockRate;

    private bool _hasSource;
    private uint _sourceSsrc;

    // The current source, in its own extended sequence numbers.
    private bool _started;     // a packet of the current source has been forwarded
    private long _startIn;     // its first forwarded packet: the switch point
    private long _highestIn;   // the newest packet forwarded or skipped
    private long _seqOffset;   // output = input + offset (+ skips after the input, see Number)
    private uint _tsOffset;    // output timestamp = input timestamp + offset, modulo 2^32

    // Skipped input numbers of the current source, ascending, in a ring.
    private readonly long[] _skips = new long[MaxRememberedSkips];
    private int _skipFirst;
    private int _skipCount;
    private long _forgottenSkip; // the newest skip pushed out of the ring; older inputs cannot be numbered
    private bool _hasForgottenSkip;

    // The output so far, in extended sequence numbers.
    private bool _hasOutput;
    private long _lastOutSeq;
    private uint _lastOutTimestamp; // of the packet with the highest output number
    private long _lastOutMs;        // when that packet was forwarded

    private readonly bool _hasOrigin;
    private readonly ushort _originSeq;
    private readonly uint _originTimestamp;

    /// <param name="clockRate">RTP clock rate of the output stream in Hz, e.g. 90000 for video or 48000 for Opus.</param>
    public SequenceRewriter(int clockRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clockRate);
        _clockRate = clockRate;
    }

    /// <summary>
    /// A rewriter whose output starts at <paramref name="firstSequence"/> and <paramref name="firstTimestamp"/>
    /// instead of the first source packet's own values: RFC 3550 §5.1 wants random initial values, and
    /// the receiver then learns nothing of the publisher's numbering.
    /// </summary>
    public SequenceRewriter(int clockRate, ushort firstSequence, uint firstTimestamp) : this(clockRate)
    {
        _hasOrigin = true;
        _originSeq = firstSequence;
        _originTimestamp = firstTimestamp;
    }

    public int ClockRate => _clockRate;

    /// <summary>Whether <see cref="SwitchSource"/> has chosen a source yet; until then every packet is refused.</summary>
    public bool HasSource => _hasSource;

    /// <summary>The SSRC whose packets are forwarded (meaningful when <see cref="HasSource"/>).</summary>
    public uint SourceSsrc => _sourceSsrc;

    /// <summary>
    /// Packets refused because they were not part of the current source since the last switch:
    /// another SSRC (typically the previous source still arriving), or packets of the new source
    /// older than its switch point.
    /// </summary>
    public int DroppedBeforeSwitch { get; private set; }

    /// <summary>
    /// Forward <paramref name="newSourceSsrc"/> from its next packet on, which should be a key frame:
    /// the receiver cannot decode the new source from anywhere else. Switching to the current source
    /// does nothing. The first call chooses the initial source; its first packet keeps its own sequence
    /// number and timestamp.
    /// </summary>
    public void SwitchSource(uint newSourceSsrc)
    {
        if (_hasSource && _sourceSsrc == newSourceSsrc) return;
        _hasSource = true;
        _sourceSsrc = newSourceSsrc;
        _started = false;
        _skipFirst = 0;
        _skipCount = 0;
        _hasForgottenSkip = false;
    }

    /// <summary>
    /// The output sequence number and timestamp for a packet of <paramref name="sourceSsrc"/>. False,
    /// and the packet should not be forwarded, when it is not from the current source, is older than
    /// the switch point, was skipped, or is too late to be numbered.
    /// </summary>
    public bool TryRewrite(uint sourceSsrc, ushort seq, uint timestamp, long nowMs, out ushort outSeq, out uint outTimestamp)
    {
        outSeq = 0;
        outTimestamp = 0;
        if (!_hasSource || sourceSsrc != _sourceSsrc)
        {
            DroppedBeforeSwitch++;
            return false;
        }

        long input;
        if (!_started)
        {
            input = seq;
            Start(input, timestamp, nowMs);
        }
        else
        {
            input = RtpSequence.Unwrap(_highestIn, seq);
            if (input < _startIn)
            {
                DroppedBeforeSwitch++;
                return false;
            }
        }

        long output;
        if (input > _highestIn)
        {
            // Every remembered skip is older: the offset already counts them all.
            _highestIn = input;
            output = input + _seqOffset;
        }
        else if (!TryNumberLate(input, out output))
        {
            return false;
        }

        outSeq = (ushort)output;
        outTimestamp = unchecked(timestamp + _tsOffset);
        if (!_hasOutput || output > _lastOutSeq)
        {
            _hasOutput = true;
            _lastOutSeq = output;
            _lastOutTimestamp = outTimestamp;
            _lastOutMs = nowMs;
        }
        return true;
    }

    /// <summary>
    /// The current source's sequence number behind output number <paramref name="outSeq"/>, for a
    /// receiver's NACK. False for numbers from before the last switch (another source's), for numbers
    /// not sent yet, and where skips make the mapping ambiguous.
    /// </summary>
    public bool TryMapBack(ushort outSeq, out ushort sourceSeq)
    {
        sourceSeq = 0;
        if (!_started || !_hasOutput) return false;
        long output = RtpSequence.Unwrap(_lastOutSeq, outSeq);
        if (output > _lastOutSeq) return false;
        long input = output - _seqOffset;
        // Skips after the input moved later numbers down; numbers before the newest skip are not mapped.
        if (_skipCount > 0 || _hasForgottenSkip)
        {
            long newestSkip = _skipCount > 0 ? _skips[(_skipFirst + _skipCount - 1) % MaxRememberedSkips] : _forgottenSkip;
            if (input <= newestSkip) return false;
        }
        if (input < _startIn || input > _highestIn) return false;
        sourceSeq = (ushort)input;
        return true;
    }

    /// <summary>
    /// The SFU drops packet <paramref name="seq"/> of the current source (padding only, a layer the
    /// consumer does not get): later output numbers shift down by one so the receiver sees no gap and
    /// sends no NACK for it. Only a packet newer than every packet forwarded or skipped so far can be
    /// skipped — an older one's place is fixed by the packets numbered after it — and the first
    /// packet of a source cannot be: numbering starts at the first packet forwarded. Such calls, and
    /// repeats, return false and change nothing; the caller then forwards the packet after all (or
    /// accepts that the receiver sees one lost packet).
    /// </summary>
    public bool Skip(ushort seq)
    {
        if (!_started) return false;
        long input = RtpSequence.Unwrap(_highestIn, seq);
        if (input <= _highestIn) return false;
        _highestIn = input;
        _seqOffset--;

        if (_skipCount == MaxRememberedSkips)
        {
            _forgottenSkip = _skips[_skipFirst];
            _hasForgottenSkip = true;
            _skipFirst = (_skipFirst + 1) % MaxRememberedSkips;
            _skipCount--;
        }
        _skips[(_skipFirst + _skipCount) % MaxRememberedSkips] = input;
        _skipCount++;
        return true;
    }

    private void Start(long input, uint timestamp, long nowMs)
    {
        _started = true;
        _startIn = input;
        _highestIn = input - 1; // so that the first packet counts as new
        if (!_hasOutput)
        {
            // Output numbers are kept extended (never wrapped) so they can be compared; the origin
            // only moves them by less than 2^16.
            _seqOffset = _hasOrigin ? _originSeq - input : 0;
            _tsOffset = _hasOrigin ? unchecked(_originTimestamp - timestamp) : 0;
            return;
        }
        _seqOffset = _lastOutSeq + 1 - input;
        // The new source's timeline starts where the old one would be now. Clamp the elapsed time to
        // stay in range of the arithmetic; a day is far beyond any pause worth keeping exact.
        long elapsedMs = Math.Clamp(nowMs - _lastOutMs, 0, 86_400_000L);
        long ticks = Math.Max(1, elapsedMs * _clockRate / 1000);
        uint first = unchecked(_lastOutTimestamp + (uint)ticks);
        _tsOffset = unchecked(first - timestamp);
    }

    /// <summary>
    /// A packet at or below the newest input: its number counts only the skips before it, so add back
    /// those after it. Refused when it was itself skipped or is older than a forgotten skip.
    /// </summary>
    private bool TryNumberLate(long input, out long output)
    {
        output = 0;
        if (_hasForgottenSkip && input <= _forgottenSkip) return false;
        int after = 0;
        for (int i = _skipCount - 1; i >= 0; i--)
        {
            long skipped = _skips[(_skipFirst + i) % MaxRememberedSkips];
            if (skipped < input) break;
            if (skipped == input) return false;
            after++;
        }
        output = input + _seqOffset + after;
        return true;
    }
}
