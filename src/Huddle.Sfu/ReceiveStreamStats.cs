using Huddle.Media.Rtcp;

namespace Huddle.Sfu;

/// <summary>
/// Receiver statistics for one incoming RTP stream (a publisher's SSRC), as RFC 3550 §6.4.1 defines
/// them for the report blocks of RRs: the publisher's browser shows them in getStats() as its
/// remote-inbound-rtp and adapts its bitrate to the loss they report.
/// </summary>
/// <remarks>
/// <para>
/// The bookkeeping follows RFC 3550 Appendix A: A.1 for the extended highest sequence number and the
/// received count, A.3 for cumulative and interval loss, A.8 for the interarrival jitter. Probation
/// (A.1's MIN_SEQUENTIAL) is left out: the SFU only creates this object for an SSRC negotiated in
/// SDP and only feeds it SRTP-authenticated packets, so a stray source cannot start it.
/// </para>
/// <para>
/// Not thread-safe: one instance belongs to the thread (or serial event loop) that receives the
/// stream's packets and writes its reports. Nothing is allocated after construction.
/// </para>
/// </remarks>
public sealed class ReceiveStreamStats
{
    /// <summary>RFC 3550 A.1: a forward jump smaller than this is taken as loss.</summary>
    internal const int MaxDropout = 3000;
    /// <summary>RFC 3550 A.1: a backward step smaller than this is a late packet, not a restart.</summary>
    internal const int MaxMisorder = 100;
    private const int SequenceModulo = 1 << 16;

    /// <summary>Width of the sliding bitrate window.</summary>
    public const int BitrateWindowMs = 1000;

    private readonly long[] _bytesPerMs = new long[BitrateWindowMs];

    // RFC 3550 A.1 source state.
    private bool _started;
    private ushort _maxSeq;
    private uint _cycles;     // count of sequence number cycles, shifted left by 16 as in A.1
    private uint _baseSeq;
    private int _badSeq = SequenceModulo + 1;
    private long _received;
    private long _expectedPrior;
    private long _receivedPrior;

    // RFC 3550 A.8 jitter state. Jitter is kept scaled by 16, the integer form A.8 gives.
    private bool _hasTransit;
    private int _transit;
    private uint _lastJitterTimestamp;
    private long _jitterQ4;

    // Last SR from the publisher (RFC 3550 §6.4.1 LSR/DLSR).
    private bool _hasSenderReport;
    private uint _lastSenderReport;
    private long _lastSenderReportArrivalMs;

    // Sliding window: bytes per millisecond for the last BitrateWindowMs milliseconds.
    private bool _hasWindow;
    private long _windowStartMs;
    private long _windowBytes;

    /// <param name="ssrc">The SSRC of the stream, which report blocks are about (SSRC_n).</param>
    public ReceiveStreamStats(uint ssrc) => Ssrc = ssrc;

    public uint Ssrc { get; }

    /// <summary>True once a packet has been counted: before that there is nothing to report.</summary>
    public bool HasReceived => _started;

    /// <summary>Packets received, duplicates included (RFC 3550 A.3 counts them too).</summary>
    public long PacketsReceived => _received;

    /// <summary>All packets passed to <see cref="OnPacket"/>, including those A.1 set aside as a possible restart.</summary>
    public long TotalPackets { get; private set; }

    /// <summary>Bytes of all packets passed to <see cref="OnPacket"/>, as received (header, payload and padding).</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Sequence number cycles in the high 16 bits and the highest sequence number in the low (RFC 3550 §6.4.1).</summary>
    public uint ExtendedHighestSequenceNumber => _cycles + _maxSeq;

    /// <summary>Packets expected: the extended highest sequence number less the first one, plus one (RFC 3550 A.3).</summary>
    public long ExpectedPackets => _started ? (long)ExtendedHighestSequenceNumber - _baseSeq + 1 : 0;

    /// <summary>
    /// Expected minus received, clamped to the signed 24 bits of the report block (RFC 3550 A.3);
    /// duplicates can make it negative.
    /// </summary>
    public int CumulativeLost =>
        (int)Math.Clamp(ExpectedPackets - _received, ReceptionReport.MinCumulativeLost, ReceptionReport.MaxCumulativeLost);

    /// <summary>The interarrival jitter estimate in RTP timestamp units (RFC 3550 A.8), as the report block carries it.</summary>
    public uint Jitter => (uint)Math.Min(uint.MaxValue, _jitterQ4 >> 4);

    /// <summary>The fraction lost (in 1/256) that the last report carried.</summary>
    public byte LastFractionLost { get; private set; }

    /// <summary>
    /// Counts one packet. <paramref name="arrivalMs"/> is the receive time on the SFU's monotonic clock;
    /// <paramref name="clockRate"/> the RTP clock of the payload type (90000 for video, 48000 for Opus),
    /// used to put arrival times in timestamp units for the jitter; <paramref name="packetBytes"/> the
    /// size of the packet as received.
    /// </summary>
    public void OnPacket(ushort seq, uint rtpTimestamp, long arrivalMs, int clockRate, int packetBytes)
    {
        TotalPackets++;
        if (packetBytes > 0)
        {
            TotalBytes += packetBytes;
            AddToWindow(arrivalMs, packetBytes);
        }

        if (!_started)
        {
            InitSequence(seq);
            _received = 1;
            UpdateJitter(rtpTimestamp, arrivalMs, clockRate);
            return;
        }

        // RFC 3550 A.1 update_seq: the difference modulo 2^16 tells a step forward (possibly past a
        // wrap, which adds a cycle), a very large jump, or an old/duplicate packet.
        ushort delta = (ushort)(seq - _maxSeq);
        if (delta < MaxDropout)
        {
            if (seq < _maxSeq) _cycles += SequenceModulo;
            bool newer = delta != 0;
            _maxSeq = seq;
            _received++;
            // Only packets that move the stream forward feed the jitter: a late or repeated packet
            // (reordering, retransmission) would read as extra delay that the path did not add.
            if (newer) UpdateJitter(rtpTimestamp, arrivalMs, clockRate);
        }
        else if (delta <= SequenceModulo - MaxMisorder)
        {
            // A very large jump. A.1: take it as a restart only if the next packet follows it, so a
            // single stray sequence number cannot reset the statistics.
            if (seq == _badSeq)
            {
                InitSequence(seq);
                _received = 1;
                _hasTransit = false;
                UpdateJitter(rtpTimestamp, arrivalMs, clockRate);
            }
            else
            {
                _badSeq = (seq + 1) & (SequenceModulo - 1);
            }
        }
        else
        {
            // A duplicate or a packet up to MaxMisorder late: counted, not a new maximum (A.1).
            _received++;
        }
    }

    /// <summary>
    /// Notes an SR from the publisher: its NTP timestamp's middle 32 bits become LSR and its arrival
    /// time is what DLSR counts from (RFC 3550 §6.4.1), so the publisher can work out the round trip.
    /// </summary>
    public void OnSenderReport(ulong ntpTimestamp, long arrivalMs)
    {
        _hasSenderReport = true;
        _lastSenderReport = NtpTime.ToCompact(ntpTimestamp);
        _lastSenderReportArrivalMs = arrivalMs;
    }

    /// <summary>
    /// The bitrate of the packets that arrived in the last second before <paramref name="nowMs"/>,
    /// in bits per second (bytes in the window × 8, the window being one second). Moves the window
    /// forward, so call it with a time that does not go backwards.
    /// </summary>
    public long BitrateBps(long nowMs)
    {
        if (!_hasWindow) return 0;
        Slide(nowMs);
        return _windowBytes * 8 * 1000 / BitrateWindowMs;
    }

    /// <summary>
    /// The report block for this stream at <paramref name="nowMs"/>. Closes the A.3 reporting interval:
    /// the next report's fraction lost counts from here. False, and nothing changed, before the first packet.
    /// </summary>
    public bool TryCreateReport(long nowMs, out ReceptionReport report)
    {
        report = default;
        if (!_started) return false;

        // RFC 3550 A.3: loss in the interval since the last report, as a fixed-point fraction.
        long expected = ExpectedPackets;
        long expectedInterval = expected - _expectedPrior;
        _expectedPrior = expected;
        long receivedInterval = _received - _receivedPrior;
        _receivedPrior = _received;
        long lostInterval = expectedInterval - receivedInterval;
        byte fraction = expectedInterval == 0 || lostInterval <= 0
            ? (byte)0
            : (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
        LastFractionLost = fraction;

        // RFC 3550 §6.4.1: LSR and DLSR are zero until an SR has been received.
        uint lsr = 0, dlsr = 0;
        if (_hasSenderReport)
        {
            lsr = _lastSenderReport;
            dlsr = NtpTime.MillisecondsToCompact(nowMs - _lastSenderReportArrivalMs);
        }

        report = new ReceptionReport(Ssrc, fraction, CumulativeLost, ExtendedHighestSequenceNumber, Jitter, lsr, dlsr);
        return true;
    }

    /// <summary>
    /// Writes this stream's 24-byte report block (RFC 3550 §6.4.1) with <see cref="ReceptionReport.TryWrite"/>,
    /// closing the reporting interval like <see cref="TryCreateReport"/>. False, and the interval left
    /// open, when there is no room or nothing has been received.
    /// </summary>
    public bool TryWriteReportBlock(Span<byte> destination, long nowMs, out int written)
    {
        written = 0;
        if (destination.Length < ReceptionReport.Size || !TryCreateReport(nowMs, out var report)) return false;
        return report.TryWrite(destination, out written);
    }

    /// <summary>
    /// Writes a compound RTCP packet (RFC 3550 §6.1): RR packets carrying a block for each stream that
    /// has received something (31 blocks per RR, §6.4.2), then an SDES with the CNAME of
    /// <paramref name="senderSsrc"/>, which every compound packet must carry. With no stream to report,
    /// an empty RR still leads the packet. False, and no interval closed, when it does not fit.
    /// </summary>
    public static bool TryWriteReceiverReport(Span<byte> destination, uint senderSsrc, ReadOnlySpan<byte> cname,
        ReadOnlySpan<ReceiveStreamStats> streams, long nowMs, out int written)
    {
        written = 0;
        if (cname.Length > SourceDescription.MaxItemLength) return false;

        int blocks = 0;
        foreach (var stream in streams)
        {
            if (stream is { HasReceived: true }) blocks++;
        }
        int packets = Math.Max(1, (blocks + RtcpHeader.MaxCount - 1) / RtcpHeader.MaxCount);
        long length = (long)packets * ReceiverReport.GetLength(0) + (long)blocks * ReceptionReport.Size
            + SourceDescription.GetCnameLength(cname.Length);
        if (length > destination.Length) return false;

        // Room is checked above, so every write below succeeds and no interval is closed in vain.
        Span<ReceptionReport> reports = stackalloc ReceptionReport[RtcpHeader.MaxCount];
        var writer = new RtcpCompoundWriter(destination);
        int next = 0;
        for (int p = 0; p < packets; p++)
        {
            int count = 0;
            while (count < RtcpHeader.MaxCount && next < streams.Length)
            {
                var stream = streams[next++];
                if (stream is { HasReceived: true } && stream.TryCreateReport(nowMs, out var report)) reports[count++] = report;
            }
            if (!ReceiverReport.TryWrite(writer.Remaining, senderSsrc, reports[..count], out int n) || !writer.Advance(n)) return false;
        }
        if (!SourceDescription.TryWriteCname(writer.Remaining, senderSsrc, cname, out int sdes) || !writer.Advance(sdes)) return false;
        written = writer.Length;
        return true;
    }

    private void InitSequence(ushort seq)
    {
        // RFC 3550 A.1 init_seq.
        _started = true;
        _baseSeq = seq;
        _maxSeq = seq;
        _badSeq = SequenceModulo + 1;
        _cycles = 0;
        _expectedPrior = 0;
        _receivedPrior = 0;
    }

    private void UpdateJitter(uint rtpTimestamp, long arrivalMs, int clockRate)
    {
        if (clockRate <= 0) return;
        // Packets of one video frame share a timestamp but leave the sender spread over the frame's
        // send time; counting them would report pacing as jitter. libwebrtc skips them the same way
        // (receive_statistics_impl.cc), so browsers and the SFU agree.
        if (_hasTransit && rtpTimestamp == _lastJitterTimestamp) return;

        // RFC 3550 A.8: transit = arrival (in timestamp units) − RTP timestamp; only differences
        // matter, so both wrap in 32 bits.
        uint arrival = (uint)(arrivalMs * clockRate / 1000);
        int transit = (int)(arrival - rtpTimestamp);
        if (_hasTransit)
        {
            long d = Math.Abs((long)transit - _transit);
            // A transit change beyond 2^31 units is a clock jump or a bogus timestamp: ignore it
            // rather than let it swamp the estimate.
            if (d <= int.MaxValue)
            {
                // J += (|D| − J) / 16, in the scaled integer form of A.8.
                _jitterQ4 += d - ((_jitterQ4 + 8) >> 4);
            }
        }
        _transit = transit;
        _lastJitterTimestamp = rtpTimestamp;
        _hasTransit = true;
    }

    private void AddToWindow(long nowMs, int bytes)
    {
        if (!_hasWindow)
        {
            _hasWindow = true;
            _windowStartMs = nowMs - BitrateWindowMs + 1;
        }
        else if (nowMs < _windowStartMs)
        {
            return; // older than the window: a clock that went back, not worth counting
        }
        else
        {
            Slide(nowMs);
        }
        _bytesPerMs[Slot(nowMs)] += bytes;
        _windowBytes += bytes;
    }

    /// <summary>Moves the window to end at <paramref name="nowMs"/>, dropping the milliseconds that fall out.</summary>
    private void Slide(long nowMs)
    {
        long newStart = nowMs - BitrateWindowMs + 1;
        if (newStart <= _windowStartMs) return;
        if (newStart - _windowStartMs >= BitrateWindowMs)
        {
            Array.Clear(_bytesPerMs);
            _windowBytes = 0;
        }
        else
        {
            for (long t = _windowStartMs; t < newStart; t++)
            {
                int slot = Slot(t);
                _windowBytes -= _bytesPerMs[slot];
                _bytesPerMs[slot] = 0;
            }
        }
        _windowStartMs = newStart;
    }

    private static int Slot(long ms) => (int)(((ms % BitrateWindowMs) + BitrateWindowMs) % BitrateWindowMs);
}
