using Huddle.Media.Rtcp;
using Huddle.Media.Rtp;

namespace Huddle.Sfu;

/// <summary>
/// One track a participant publishes: the RTP stream (SSRC) arriving on its publish transport, forwarded
/// once per consumer. The consumer list is an immutable array swapped on change, so the receive thread
/// forwards without a lock. For video it keeps the recent packets to answer subscribers' NACKs, asks the
/// publisher for what it lost (NACK), and merges keyframe requests; for every stream it sends receiver
/// reports back to the publisher about once a second.
/// </summary>
/// <remarks>
/// Statistics, the packet cache and the NACK generator belong to the receive thread; keyframe requests can
/// come from any thread and take the producer's lock.
/// </remarks>
public sealed class Producer
{
    private const int HousekeepingIntervalMs = 20;
    private const int ReportIntervalMs = 1000;

    private Consumer[] _consumers = [];
    private readonly RtpPacketCache? _cache;
    private readonly NackGenerator? _nack;
    private readonly KeyFrameRequestThrottle _keyFrames = new();
    private readonly ushort[] _lost = new ushort[256];
    private readonly byte[] _rtcp = new byte[1500];
    private long _lastHousekeepingMs;
    private long _lastReportMs;
    private int _closed;
    private long _bitrate;
    private long _packets;
    private int _lostCount;

    internal Producer(SfuPeer owner, string trackId, MediaKind kind, uint ssrc, uint? rtxSsrc, byte payloadType, int clockRate)
    {
        Owner = owner;
        TrackId = trackId;
        Kind = kind;
        Ssrc = ssrc;
        RtxSsrc = rtxSsrc;
        PayloadType = payloadType;
        ClockRate = clockRate;
        Stats = new ReceiveStreamStats(ssrc);
        if (kind == MediaKind.Video)
        {
            _cache = new RtpPacketCache();
            _nack = new NackGenerator();
        }
    }

    public SfuPeer Owner { get; }

    /// <summary>The publisher's track id (msid), so subscribers can tell camera from screen later.</summary>
    public string TrackId { get; }

    public MediaKind Kind { get; }

    public uint Ssrc { get; }

    public uint? RtxSsrc { get; }

    public byte PayloadType { get; }

    public int ClockRate { get; }

    /// <summary>RFC 3550 receiver statistics of the publisher's stream (receive thread).</summary>
    public ReceiveStreamStats Stats { get; }

    public bool Closed => Volatile.Read(ref _closed) != 0;

    /// <summary>Bits per second over the last second, as of the last report (any thread).</summary>
    public long Bitrate => Volatile.Read(ref _bitrate);

    /// <summary>Packets received, as of the last report (any thread).</summary>
    public long Packets => Volatile.Read(ref _packets);

    /// <summary>Packets lost on the way from the publisher, as of the last report (any thread).</summary>
    public int Lost => Volatile.Read(ref _lostCount);

    public IReadOnlyList<Consumer> Consumers => Volatile.Read(ref _consumers);

    internal void AddConsumer(Consumer consumer)
    {
        lock (this) Volatile.Write(ref _consumers, [.. _consumers, consumer]);
    }

    internal void RemoveConsumer(Consumer consumer)
    {
        lock (this) Volatile.Write(ref _consumers, [.. _consumers.Where(c => !ReferenceEquals(c, consumer))]);
    }

    internal void Close()
    {
        Interlocked.Exchange(ref _closed, 1);
        lock (this)
        {
            foreach (Consumer consumer in _consumers) consumer.OnSourceClosed(this);
            Volatile.Write(ref _consumers, []);
        }
    }

    /// <summary>An RTP packet of this stream from the publisher (receive thread).</summary>
    internal void OnRtp(ReadOnlySpan<byte> packet, in RtpHeader header, long nowMs)
    {
        ushort seq = header.SequenceNumber;
        uint timestamp = header.Timestamp;
        Stats.OnPacket(seq, timestamp, nowMs, ClockRate, packet.Length);
        if (_cache is not null)
        {
            _cache.Store(packet);
            _nack!.OnPacket(seq, nowMs);
            if (KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, header.Payload))
            {
                lock (this) _keyFrames.OnKeyFrame(nowMs);
            }
        }
        foreach (Consumer consumer in Volatile.Read(ref _consumers)) consumer.Forward(packet, header, nowMs, this);
        if (nowMs - _lastHousekeepingMs >= HousekeepingIntervalMs) Housekeeping(nowMs);
    }

    /// <summary>Copies a recent packet of this stream, for a subscriber's NACK (receive thread).</summary>
    internal bool TryGetCached(ushort seq, Span<byte> destination, out int length)
    {
        length = 0;
        return _cache is not null && _cache.TryGet(seq, destination, out length);
    }

    /// <summary>The publisher's sender report: kept for the LSR/DLSR of our receiver reports.</summary>
    internal void OnSenderReport(ulong ntpTimestamp, long nowMs) => Stats.OnSenderReport(ntpTimestamp, nowMs);

    /// <summary>
    /// Asks the publisher for a keyframe (PLI, RFC 4585 §6.3.1), merging requests: at most one per 300 ms
    /// however many subscribers ask, so a crowd of joiners does not become a PLI storm; a request made in
    /// between goes out when the interval ends, unless a keyframe came meanwhile.
    /// </summary>
    public bool RequestKeyFrame(long nowMs)
    {
        if (Kind != MediaKind.Video || Closed) return false;
        lock (this)
        {
            if (!_keyFrames.Request(nowMs)) return false;
        }
        return SendPli();
    }

    private bool SendPli()
    {
        Span<byte> pli = stackalloc byte[12 + 20];
        if (!PictureLossIndication.TryWrite(pli, Owner.ReportSsrc, Ssrc, out int written)) return false;
        return Owner.PublishTransport.SendRtcp(pli, written);
    }

    private void Housekeeping(long nowMs)
    {
        _lastHousekeepingMs = nowMs;
        if (_nack is not null)
        {
            int count = _nack.Collect(nowMs, _lost);
            if (count > 0 && NackGenerator.TryWriteNack(_rtcp, Owner.ReportSsrc, Ssrc, _lost.AsSpan(0, count), out int written))
                Owner.PublishTransport.SendRtcp(_rtcp, written);
            if (_nack.KeyFrameNeeded)
            {
                // Too much lost to repair by retransmission: start over from a keyframe.
                _nack.ClearKeyFrameNeeded();
                RequestKeyFrame(nowMs);
            }
            bool pending;
            lock (this) pending = _keyFrames.Poll(nowMs);
            if (pending) SendPli();
        }
        if (nowMs - _lastReportMs >= ReportIntervalMs && Stats.HasReceived)
        {
            _lastReportMs = nowMs;
            // Published for other threads (the rooms API); the statistics themselves stay on this one.
            Volatile.Write(ref _bitrate, Stats.BitrateBps(nowMs));
            Volatile.Write(ref _packets, Stats.TotalPackets);
            Volatile.Write(ref _lostCount, Stats.CumulativeLost);
            ReadOnlySpan<ReceiveStreamStats> streams = [Stats];
            if (ReceiveStreamStats.TryWriteReceiverReport(_rtcp, Owner.ReportSsrc, Owner.Cname, streams, nowMs, out int written))
                Owner.PublishTransport.SendRtcp(_rtcp, written);
        }
    }
}
