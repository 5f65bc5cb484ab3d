using System.Buffers.Binary;
using Huddle.Media.Rtcp;
using Huddle.Media.Rtp;

namespace Huddle.Sfu;

/// <summary>
/// One track a participant publishes: the RTP stream (SSRC) arriving on its publish transport, forwarded
/// once per consumer. The consumer list is an immutable array swapped on change, so the receive thread
/// forwards without a lock.
/// </summary>
public sealed class Producer
{
    private const int KeyFrameRequestIntervalMs = 300;

    private Consumer[] _consumers = [];
    private long _lastKeyFrameRequestMs = long.MinValue / 2;
    private int _closed;

    internal Producer(SfuPeer owner, string trackId, MediaKind kind, uint ssrc, uint? rtxSsrc, byte payloadType, int clockRate)
    {
        Owner = owner;
        TrackId = trackId;
        Kind = kind;
        Ssrc = ssrc;
        RtxSsrc = rtxSsrc;
        PayloadType = payloadType;
        ClockRate = clockRate;
    }

    public SfuPeer Owner { get; }

    /// <summary>The publisher's track id (msid), so subscribers can tell camera from screen later.</summary>
    public string TrackId { get; }

    public MediaKind Kind { get; }

    public uint Ssrc { get; }

    public uint? RtxSsrc { get; }

    public byte PayloadType { get; }

    public int ClockRate { get; }

    public bool Closed => Volatile.Read(ref _closed) != 0;

    public IReadOnlyList<Consumer> Consumers => Volatile.Read(ref _consumers);

    public long PacketsReceived;
    public long BytesReceived;

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
            foreach (Consumer consumer in _consumers) consumer.Close();
            Volatile.Write(ref _consumers, []);
        }
    }

    /// <summary>An RTP packet of this stream from the publisher (receive thread).</summary>
    internal void OnRtp(ReadOnlySpan<byte> packet, in RtpHeader header)
    {
        PacketsReceived++;
        BytesReceived += packet.Length;
        Consumer[] consumers = Volatile.Read(ref _consumers);
        ushort seq = header.SequenceNumber;
        uint timestamp = header.Timestamp;
        foreach (Consumer consumer in consumers) consumer.Forward(packet, seq, timestamp);
    }

    /// <summary>
    /// Asks the publisher for a keyframe (PLI, RFC 4585 §6.3.1), at most once per 300 ms however many
    /// subscribers ask: a crowd of joiners must not become a PLI storm.
    /// </summary>
    public bool RequestKeyFrame(long nowMs)
    {
        if (Kind != MediaKind.Video || Closed) return false;
        lock (this)
        {
            if (nowMs - _lastKeyFrameRequestMs < KeyFrameRequestIntervalMs) return false;
            _lastKeyFrameRequestMs = nowMs;
        }
        Span<byte> pli = stackalloc byte[12 + 20];
        if (!PictureLossIndication.TryWrite(pli, Owner.ReportSsrc, Ssrc, out int written)) return false;
        return Owner.PublishTransport.SendRtcp(pli, written);
    }
}
