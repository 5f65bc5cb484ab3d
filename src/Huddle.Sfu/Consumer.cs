using Huddle.Media.Rtp;
using Huddle.Media.Transport;

namespace Huddle.Sfu;

/// <summary>
/// One stream as one subscriber receives it: its own SSRC and payload type, and sequence numbers and
/// timestamps from a <see cref="SequenceRewriter"/> starting at random values (RFC 3550 §5.1), so the
/// subscriber sees one continuous stream even when the source behind it changes
/// (<see cref="SwitchSource"/>: another publisher now, a simulcast layer later).
/// </summary>
/// <remarks>
/// <see cref="Forward"/> and <see cref="Retransmit"/> run on the media socket's receive thread only, so
/// the rewriter needs no lock; the control thread touches <see cref="Active"/>, <see cref="Closed"/>
/// and the pending source, which are volatile.
/// </remarks>
public sealed class Consumer
{
    [ThreadStatic] private static byte[]? t_scratch;

    private const int ReportIntervalMs = 1000;

    private readonly WebRtcTransport _transport;
    private readonly SequenceRewriter _rewriter;
    private readonly byte[] _rtcp = new byte[256];
    private long _lastReportMs;
    private volatile Producer _source;
    private volatile Producer? _pending;
    private volatile bool _active;
    private volatile bool _closed;

    internal Consumer(Producer producer, SfuPeer subscriber, string mid, uint ssrc, byte payloadType)
    {
        _source = producer;
        Subscriber = subscriber;
        Mid = mid;
        Ssrc = ssrc;
        PayloadType = payloadType;
        _transport = subscriber.SubscribeTransport;
        // Random origins: the subscriber cannot tell the publisher's values.
        _rewriter = new SequenceRewriter(producer.ClockRate, (ushort)Random.Shared.Next(0, 65536), (uint)Random.Shared.NextInt64(0, 1L << 32));
        _rewriter.SwitchSource(producer.Ssrc);
        Stats = new SendStreamStats(ssrc);
    }

    /// <summary>What was sent and what the subscriber reported back (receive thread).</summary>
    public SendStreamStats Stats { get; }

    /// <summary>The stream forwarded now; changes when a <see cref="SwitchSource"/> completes.</summary>
    public Producer Producer => _source;

    /// <summary>The stream a <see cref="SwitchSource"/> waits to start from (its next key frame), if any.</summary>
    public Producer? PendingSource => _pending;

    public SfuPeer Subscriber { get; }

    /// <summary>The subscribe connection's m-section that carries this stream.</summary>
    public string Mid { get; }

    public uint Ssrc { get; }

    public byte PayloadType { get; }

    public MediaKind Kind => _source.Kind;

    /// <summary>The subscriber has the m-section in its description: packets may flow.</summary>
    public bool Active
    {
        get => _active;
        internal set => _active = value;
    }

    public bool Closed => _closed;

    /// <summary>
    /// Forwards <paramref name="source"/> instead of the current stream, from the source's next key frame
    /// (video) or next packet (audio): until then the current one goes on, so the subscriber's picture
    /// never waits on nothing. Asks the new source for a key frame. Any thread.
    /// </summary>
    public void SwitchSource(Producer source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Kind != Kind) throw new ArgumentException($"a {Kind} consumer cannot forward a {source.Kind} stream", nameof(source));
        if (_closed || source.Closed) return;
        if (ReferenceEquals(source, _source))
        {
            // Back to the current one before the switch happened: forget the pending one.
            Producer? abandoned = Interlocked.Exchange(ref _pending, null);
            abandoned?.RemoveConsumer(this);
            return;
        }
        Producer? previous = Interlocked.Exchange(ref _pending, source);
        if (previous is not null && !ReferenceEquals(previous, source)) previous.RemoveConsumer(this);
        source.AddConsumer(this);
        source.RequestKeyFrame(Environment.TickCount64);
    }

    internal void Close()
    {
        _closed = true;
        _active = false;
    }

    /// <summary>Takes this consumer out of every producer it listens to (current and pending).</summary>
    internal void Detach()
    {
        Close();
        _source.RemoveConsumer(this);
        Interlocked.Exchange(ref _pending, null)?.RemoveConsumer(this);
    }

    /// <summary>A producer this consumer listens to is closing: the pending one cancels the switch, the current one ends the consumer.</summary>
    internal void OnSourceClosed(Producer producer)
    {
        if (Interlocked.CompareExchange(ref _pending, null, producer) == producer) return;
        if (ReferenceEquals(producer, _source)) Close();
    }

    /// <summary>
    /// A packet of <paramref name="source"/>: from the current source it is rewritten and sent; from the
    /// pending source it completes the switch when it starts a key frame, and is dropped otherwise.
    /// </summary>
    internal void Forward(ReadOnlySpan<byte> packet, in RtpHeader header, long nowMs, Producer source)
    {
        if (_closed) return;
        if (!ReferenceEquals(source, _source))
        {
            if (!ReferenceEquals(source, _pending)) return;
            if (source.Kind == MediaKind.Video && !KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, header.Payload)) return;
            CompleteSwitch(source);
        }
        if (!_active) return;
        if (!_rewriter.TryRewrite(header.Ssrc, header.SequenceNumber, header.Timestamp, nowMs, out ushort seq, out uint timestamp)) return;
        if (!Send(packet, seq, timestamp)) return;
        Stats.OnPacketSent(timestamp, packet.Length, nowMs);
        if (nowMs - _lastReportMs >= ReportIntervalMs) SendReport(nowMs);
    }

    /// <summary>The receive thread: the new source's key frame is here, it becomes the current one.</summary>
    private void CompleteSwitch(Producer source)
    {
        Producer old = _source;
        _rewriter.SwitchSource(source.Ssrc);
        _source = source;
        Interlocked.CompareExchange(ref _pending, null, source);
        // Once per switch, not per packet: the old producer's copy-on-write list changes under its lock.
        old.RemoveConsumer(this);
    }

    /// <summary>A subscriber's NACK named one of our sequence numbers: resend it from the current source's cache.</summary>
    internal bool Retransmit(ushort outputSeq)
    {
        if (!_active || _closed) return false;
        if (!_rewriter.TryMapBack(outputSeq, out ushort sourceSeq)) return false;
        Producer source = _source;
        byte[] buffer = t_scratch ??= GC.AllocateUninitializedArray<byte>(1500);
        if (!source.TryGetCached(sourceSeq, buffer, out int length) || !RtpHeader.TryParse(buffer.AsSpan(0, length), out RtpHeader header)) return false;
        // The rewriter numbers a late packet where it was first sent (same number, same timestamp).
        if (!_rewriter.TryRewrite(header.Ssrc, header.SequenceNumber, header.Timestamp, Environment.TickCount64, out ushort seq, out uint timestamp)
            || seq != outputSeq) return false;
        // Send reads from the scratch buffer it writes: copy the cached packet aside first.
        Span<byte> cached = stackalloc byte[length];
        buffer.AsSpan(0, length).CopyTo(cached);
        return Send(cached, seq, timestamp);
    }

    private bool Send(ReadOnlySpan<byte> packet, ushort seq, uint timestamp)
    {
        if (packet.Length + WebRtcTransport.SrtpOverhead > 1500) return false;
        byte[] buffer = t_scratch ??= GC.AllocateUninitializedArray<byte>(1500);
        packet.CopyTo(buffer);
        Span<byte> copy = buffer.AsSpan(0, packet.Length);
        RtpHeader.SetSsrc(copy, Ssrc);
        RtpHeader.SetPayloadType(copy, PayloadType);
        RtpHeader.SetSequenceNumber(copy, seq);
        RtpHeader.SetTimestamp(copy, timestamp);
        return _transport.SendRtp(buffer, packet.Length);
    }

    /// <summary>RFC 3550 §6.4.1 sender report, so the subscriber can sync audio and video and measure.</summary>
    private void SendReport(long nowMs)
    {
        _lastReportMs = nowMs;
        ulong ntp = NtpTime.FromUnixMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (Stats.TryWriteSenderReport(_rtcp, ntp, nowMs, _source.ClockRate, Subscriber.Cname, out int written))
            _transport.SendRtcp(_rtcp, written);
    }
}
