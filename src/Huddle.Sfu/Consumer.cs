using Huddle.Media.Rtp;
using Huddle.Media.Transport;

namespace Huddle.Sfu;

/// <summary>
/// One producer's stream as one subscriber receives it: its own SSRC and payload type, and sequence
/// numbers and timestamps rebased onto its own random origin (RFC 3550 §5.1 wants random initial
/// values), so the subscriber sees one continuous stream even when the source behind it changes.
/// </summary>
/// <remarks>
/// <see cref="Forward"/> runs on the media socket's receive thread only; the control thread touches
/// <see cref="Active"/> and <see cref="Closed"/>, which are volatile.
/// </remarks>
public sealed class Consumer
{
    [ThreadStatic] private static byte[]? t_scratch;

    private const int ReportIntervalMs = 1000;

    private readonly WebRtcTransport _transport;
    private readonly byte[] _rtcp = new byte[256];
    private long _lastReportMs;
    private ushort _seqDelta;
    private uint _timestampDelta;
    private volatile bool _active;
    private volatile bool _closed;

    internal Consumer(Producer producer, SfuPeer subscriber, string mid, uint ssrc, byte payloadType)
    {
        Producer = producer;
        Subscriber = subscriber;
        Mid = mid;
        Ssrc = ssrc;
        PayloadType = payloadType;
        _transport = subscriber.SubscribeTransport;
        // Random origins: the subscriber cannot tell the publisher's values, and a later source switch
        // only needs new deltas.
        _seqDelta = (ushort)Random.Shared.Next(0, 65536);
        _timestampDelta = (uint)Random.Shared.NextInt64(0, 1L << 32);
        Stats = new SendStreamStats(ssrc);
    }

    /// <summary>What was sent and what the subscriber reported back (receive thread).</summary>
    public SendStreamStats Stats { get; }

    public Producer Producer { get; }

    public SfuPeer Subscriber { get; }

    /// <summary>The subscribe connection's m-section that carries this stream.</summary>
    public string Mid { get; }

    public uint Ssrc { get; }

    public byte PayloadType { get; }

    public MediaKind Kind => Producer.Kind;

    /// <summary>The subscriber has the m-section in its description: packets may flow.</summary>
    public bool Active
    {
        get => _active;
        internal set => _active = value;
    }

    public bool Closed => _closed;


    internal void Close()
    {
        _closed = true;
        _active = false;
    }

    /// <summary>Copies the packet, rewrites SSRC, payload type, sequence number and timestamp, and sends it.</summary>
    internal void Forward(ReadOnlySpan<byte> packet, ushort seq, uint timestamp, long nowMs)
    {
        if (!_active || _closed) return;
        if (!Send(packet, seq, timestamp)) return;
        Stats.OnPacketSent(timestamp + _timestampDelta, packet.Length, nowMs);
        if (nowMs - _lastReportMs >= ReportIntervalMs) SendReport(nowMs);
    }

    /// <summary>A subscriber's NACK named one of our sequence numbers: resend it from the producer's cache.</summary>
    internal bool Retransmit(ushort outputSeq)
    {
        if (!_active || _closed) return false;
        byte[] buffer = t_scratch ??= GC.AllocateUninitializedArray<byte>(1500);
        ushort source = (ushort)(outputSeq - _seqDelta);
        if (!Producer.TryGetCached(source, buffer, out int length) || !RtpHeader.TryParse(buffer.AsSpan(0, length), out RtpHeader header)) return false;
        // Send reads from the scratch buffer it writes: copy the cached packet aside first.
        Span<byte> cached = stackalloc byte[length];
        buffer.AsSpan(0, length).CopyTo(cached);
        return Send(cached, header.SequenceNumber, header.Timestamp);
    }

    private bool Send(ReadOnlySpan<byte> packet, ushort seq, uint timestamp)
    {
        if (packet.Length + WebRtcTransport.SrtpOverhead > 1500) return false;
        byte[] buffer = t_scratch ??= GC.AllocateUninitializedArray<byte>(1500);
        packet.CopyTo(buffer);
        Span<byte> copy = buffer.AsSpan(0, packet.Length);
        RtpHeader.SetSsrc(copy, Ssrc);
        RtpHeader.SetPayloadType(copy, PayloadType);
        RtpHeader.SetSequenceNumber(copy, (ushort)(seq + _seqDelta));
        RtpHeader.SetTimestamp(copy, timestamp + _timestampDelta);
        return _transport.SendRtp(buffer, packet.Length);
    }

    /// <summary>RFC 3550 §6.4.1 sender report, so the subscriber can sync audio and video and measure.</summary>
    private void SendReport(long nowMs)
    {
        _lastReportMs = nowMs;
        ulong ntp = NtpTime.FromUnixMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (Stats.TryWriteSenderReport(_rtcp, ntp, nowMs, Producer.ClockRate, Subscriber.Cname, out int written))
            _transport.SendRtcp(_rtcp, written);
    }

    /// <summary>The publisher's sequence number behind one this consumer sent (for NACKs).</summary>
    internal ushort SourceSequence(ushort outputSeq) => (ushort)(outputSeq - _seqDelta);
}
