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

    private readonly WebRtcTransport _transport;
    private bool _started;
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
    }

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

    public long PacketsSent;
    public long BytesSent;

    internal void Close()
    {
        _closed = true;
        _active = false;
    }

    /// <summary>Copies the packet, rewrites SSRC, payload type, sequence number and timestamp, and sends it.</summary>
    internal void Forward(ReadOnlySpan<byte> packet, ushort seq, uint timestamp)
    {
        if (!_active || _closed) return;
        if (packet.Length + WebRtcTransport.SrtpOverhead > 1500) return;
        if (!_started)
        {
            _started = true;
            // Keep the deltas chosen at creation; the first packet fixes nothing else.
        }
        byte[] buffer = t_scratch ??= GC.AllocateUninitializedArray<byte>(1500);
        packet.CopyTo(buffer);
        Span<byte> copy = buffer.AsSpan(0, packet.Length);
        RtpHeader.SetSsrc(copy, Ssrc);
        RtpHeader.SetPayloadType(copy, PayloadType);
        RtpHeader.SetSequenceNumber(copy, (ushort)(seq + _seqDelta));
        RtpHeader.SetTimestamp(copy, timestamp + _timestampDelta);
        if (_transport.SendRtp(buffer, packet.Length))
        {
            PacketsSent++;
            BytesSent += packet.Length;
        }
    }

    /// <summary>The publisher's sequence number behind one this consumer sent (for NACKs).</summary>
    internal ushort SourceSequence(ushort outputSeq) => (ushort)(outputSeq - _seqDelta);
}
