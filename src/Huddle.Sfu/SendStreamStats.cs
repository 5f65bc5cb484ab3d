using Huddle.Media.Rtcp;

namespace Huddle.Sfu;

/// <summary>
/// Sender-side statistics for one RTP stream the SFU sends to a consumer: the counts and the
/// NTP/RTP timestamp pair of its Sender Reports, and what the consumer's report blocks say back
/// (loss, jitter, round-trip time).
/// </summary>
/// <remarks>
/// <para>
/// The SR matters to the consumer's browser beyond statistics: it maps the stream's RTP timestamps to
/// wall-clock time (RFC 3550 §6.4.1), and the browser lines up audio and video of one CNAME with that
/// mapping (lip sync). The SFU forwards packets with the publisher's timestamps, so the RTP timestamp
/// for "now" is extrapolated from the newest timestamp sent and the time it was sent, as mediasoup does.
/// </para>
/// <para>
/// Not thread-safe: one instance belongs to the thread (or serial event loop) that sends the stream
/// and handles the consumer's RTCP. Nothing is allocated after construction.
/// </para>
/// </remarks>
public sealed class SendStreamStats
{
    /// <summary>How many of our last SRs a report block may echo in LSR and still give a round trip.</summary>
    internal const int RememberedSenderReports = 8;

    private readonly uint[] _sentSenderReports = new uint[RememberedSenderReports];
    private int _sentSenderReportCount;
    private int _nextSentSenderReport;

    private bool _hasSent;
    private uint _newestTimestamp;
    private long _newestTimestampSentMs;

    /// <param name="ssrc">The SSRC the consumer sees the stream as (after any rewriting).</param>
    public SendStreamStats(uint ssrc) => Ssrc = ssrc;

    public uint Ssrc { get; }

    /// <summary>Packets sent; the SR carries the low 32 bits (RFC 3550 §6.4.1: the count wraps).</summary>
    public long PacketsSent { get; private set; }

    /// <summary>Payload octets sent, without RTP headers or padding, as the SR octet count wants them.</summary>
    public long PayloadOctetsSent { get; private set; }

    /// <summary>True once a report block about this stream has been taken in.</summary>
    public bool HasReceiverReport { get; private set; }

    /// <summary>The consumer's last fraction lost, in 1/256 (RFC 3550 §6.4.1).</summary>
    public byte FractionLost { get; private set; }

    /// <summary><see cref="FractionLost"/> as a number from 0 to 1.</summary>
    public double LossFraction => FractionLost / 256.0;

    /// <summary>The consumer's cumulative count of lost packets (signed 24 bits).</summary>
    public int CumulativeLost { get; private set; }

    /// <summary>The consumer's extended highest sequence number received.</summary>
    public uint ExtendedHighestSequenceNumber { get; private set; }

    /// <summary>The consumer's interarrival jitter, in RTP timestamp units.</summary>
    public uint Jitter { get; private set; }

    /// <summary>The last round trip worked out from LSR and DLSR; null until a report has echoed one of our SRs.</summary>
    public TimeSpan? RoundTripTime { get; private set; }

    /// <summary>
    /// Counts a packet sent at <paramref name="nowMs"/> (the SFU's monotonic clock) with
    /// <paramref name="payloadBytes"/> of payload. A packet with a newer timestamp than any before
    /// becomes the anchor of the SR's RTP timestamp; later packets of the same frame, retransmissions
    /// and reordered frames do not move it, since the first packet of a frame leaves closest to capture.
    /// </summary>
    public void OnPacketSent(uint rtpTimestamp, int payloadBytes, long nowMs)
    {
        PacketsSent++;
        if (payloadBytes > 0) PayloadOctetsSent += payloadBytes;
        // Newer in the 32-bit wrapping sense (RFC 3550 §5.1: timestamps wrap like sequence numbers).
        if (!_hasSent || (int)(rtpTimestamp - _newestTimestamp) > 0)
        {
            _hasSent = true;
            _newestTimestamp = rtpTimestamp;
            _newestTimestampSentMs = nowMs;
        }
    }

    /// <summary>
    /// The sender info for an SR at <paramref name="nowMs"/>, wall clock <paramref name="ntpNow"/>:
    /// the RTP timestamp is the newest sent plus the time since it was sent at
    /// <paramref name="clockRate"/>. False before the first packet (RFC 3550 §6.4: only senders send
    /// SRs, and there is no timestamp to extrapolate) or with a clock rate that is not positive.
    /// </summary>
    public bool TryCreateSenderInfo(ulong ntpNow, long nowMs, int clockRate, out SenderInfo info)
    {
        info = default;
        if (!_hasSent || clockRate <= 0) return false;
        long elapsedTicks = (nowMs - _newestTimestampSentMs) * clockRate / 1000;
        uint rtpNow = unchecked(_newestTimestamp + (uint)elapsedTicks);
        info = new SenderInfo(ntpNow, rtpNow, unchecked((uint)PacketsSent), unchecked((uint)PayloadOctetsSent));
        return true;
    }

    /// <summary>
    /// Writes an SR without report blocks (RFC 3550 §6.4.1) with Huddle.Media's <see cref="SenderReport"/>
    /// writer and remembers its NTP time for the round trip. False when it does not fit or
    /// <see cref="TryCreateSenderInfo"/> is false.
    /// </summary>
    public bool TryWriteSenderReport(Span<byte> destination, ulong ntpNow, long nowMs, int clockRate, out int written)
    {
        written = 0;
        if (destination.Length < SenderReport.GetLength(0) || !TryCreateSenderInfo(ntpNow, nowMs, clockRate, out var info)) return false;
        if (!SenderReport.TryWrite(destination, Ssrc, info, ReadOnlySpan<ReceptionReport>.Empty, out written)) return false;
        RememberSenderReport(ntpNow);
        return true;
    }

    /// <summary>
    /// Writes a compound packet (RFC 3550 §6.1): the SR of the overload without a CNAME, followed by an
    /// SDES carrying <paramref name="cname"/>, the same CNAME as the consumer's other
    /// streams from this publisher so that its browser syncs them together.
    /// </summary>
    public bool TryWriteSenderReport(Span<byte> destination, ulong ntpNow, long nowMs, int clockRate, ReadOnlySpan<byte> cname, out int written)
    {
        written = 0;
        if (cname.Length > SourceDescription.MaxItemLength) return false;
        int srLength = SenderReport.GetLength(0);
        if (destination.Length < srLength + SourceDescription.GetCnameLength(cname.Length)) return false;
        if (!TryCreateSenderInfo(ntpNow, nowMs, clockRate, out var info)) return false;
        var writer = new RtcpCompoundWriter(destination);
        if (!SenderReport.TryWrite(writer.Remaining, Ssrc, info, ReadOnlySpan<ReceptionReport>.Empty, out int sr) || !writer.Advance(sr)) return false;
        if (!SourceDescription.TryWriteCname(writer.Remaining, Ssrc, cname, out int sdes) || !writer.Advance(sdes)) return false;
        RememberSenderReport(ntpNow);
        written = writer.Length;
        return true;
    }

    /// <summary>
    /// Takes in the report block a consumer sent about this stream, received at wall-clock time
    /// <paramref name="ntpArrival"/>. Records loss and jitter, and when LSR names one of our recent SRs
    /// works out the round trip as RFC 3550 §6.4.1 defines it: RTT = A − LSR − DLSR, all in compact NTP.
    /// False when the block is about another SSRC.
    /// </summary>
    public bool OnReceiverReport(in ReceptionReport report, ulong ntpArrival)
    {
        if (report.Ssrc != Ssrc) return false;
        HasReceiverReport = true;
        FractionLost = report.FractionLost;
        CumulativeLost = report.CumulativeLost;
        ExtendedHighestSequenceNumber = report.ExtendedHighestSequenceNumber;
        Jitter = report.Jitter;

        // LSR = 0 means the consumer has no SR yet. An LSR we never sent is damage or a stale SSRC;
        // only a known one makes A − LSR a time we vouch for.
        uint lsr = report.LastSenderReport;
        if (lsr != 0 && WasSent(lsr))
        {
            uint sinceSenderReport = unchecked(NtpTime.ToCompact(ntpArrival) - lsr);
            // An arrival before the SR was sent means our wall clock stepped back: no round trip to learn.
            if ((int)sinceSenderReport < 0) return true;
            // DLSR comes from the consumer; one larger than the time since our SR (rounding, or a lie)
            // would make the round trip negative, so it bottoms out at zero.
            long rtt = Math.Max(0, (long)sinceSenderReport - report.DelaySinceLastSenderReport);
            RoundTripTime = NtpTime.CompactToTimeSpan((uint)rtt);
        }
        return true;
    }

    private void RememberSenderReport(ulong ntp)
    {
        _sentSenderReports[_nextSentSenderReport] = NtpTime.ToCompact(ntp);
        _nextSentSenderReport = (_nextSentSenderReport + 1) % RememberedSenderReports;
        if (_sentSenderReportCount < RememberedSenderReports) _sentSenderReportCount++;
    }

    private bool WasSent(uint compact)
    {
        for (int i = 0; i < _sentSenderReportCount; i++)
        {
            if (_sentSenderReports[i] == compact) return true;
        }
        return false;
    }
}
