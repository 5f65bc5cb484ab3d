using Huddle.Media.Rtp;
using Huddle.Media.Udp;

namespace Huddle.Load;

/// <summary>
/// What one bot's receiving side saw: per incoming SSRC, packets received against the span of sequence
/// numbers (RFC 3550 A.3: expected = highest extended − first + 1, lost = expected − received), bytes,
/// and the end-to-end latency of every packet from the send time in its <see cref="LoadTag"/>.
/// Written by one receive thread; read by anyone (counts are read as they stand).
/// </summary>
public sealed class ReceiveTracker
{
    private readonly Dictionary<uint, Stream> _streams = [];
    private readonly LatencyHistogram _latency;
    private long _packets;
    private long _bytes;
    private long _foreign;
    private long _endedLost;

    public ReceiveTracker(LatencyHistogram latency) => _latency = latency;

    public long Packets => Volatile.Read(ref _packets);

    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Packets without a bot's tag (none are expected).</summary>
    public long Foreign => Volatile.Read(ref _foreign);

    /// <summary>Stopwatch timestamp of the first packet, 0 before.</summary>
    public long FirstPacketAt { get; private set; }

    /// <summary>Senders heard from (their <see cref="LoadTag"/> index).</summary>
    public int SendersHeard
    {
        get
        {
            lock (_streams) return _streams.Values.Select(s => s.Sender).Distinct().Count();
        }
    }

    /// <summary>Whether a packet from the bot with this <see cref="LoadTag"/> index has arrived.</summary>
    public bool HasHeard(uint sender)
    {
        lock (_streams) return _streams.Values.Any(s => s.Sender == sender);
    }

    /// <summary>Packets missing from the sequence spans seen so far.</summary>
    public long Lost
    {
        get
        {
            lock (_streams) return _endedLost + _streams.Values.Sum(s => Math.Max(0, s.HighestExtended - s.First + 1 - s.Received));
        }
    }

    /// <summary>
    /// The stream <paramref name="ssrc"/> has ended (its sender left): its record goes, its losses stay
    /// counted in <see cref="Lost"/>. <see cref="HasHeard"/> and <see cref="SendersHeard"/> then speak of
    /// the streams still coming. On the receive thread, once no more of the stream's packets can arrive.
    /// </summary>
    public void EndStream(uint ssrc)
    {
        lock (_streams)
        {
            if (!_streams.Remove(ssrc, out Stream? stream)) return;
            _endedLost += Math.Max(0, stream.HighestExtended - stream.First + 1 - stream.Received);
        }
    }

    /// <summary>
    /// Counts one plain RTP packet; the parsed header's SSRC and sequence number name the stream.
    /// <paramref name="receivedAt"/> is when it arrived (<see cref="BatchReceiver.UnixTicks"/> units).
    /// </summary>
    public void OnRtp(ReadOnlySpan<byte> packet, long receivedAt)
    {
        if (!RtpHeader.TryParse(packet, out RtpHeader header)) return;
        _packets++;
        _bytes += packet.Length;
        if (FirstPacketAt == 0) FirstPacketAt = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!LoadTag.TryRead(header.Payload, out uint sender, out long sentAt))
        {
            _foreign++;
            return;
        }
        _latency.Record(Math.Max(0, (receivedAt - sentAt) / 10));
        if (!_streams.TryGetValue(header.Ssrc, out Stream? stream))
        {
            stream = new Stream { Sender = sender, First = header.SequenceNumber, HighestExtended = header.SequenceNumber };
            lock (_streams) _streams.Add(header.Ssrc, stream);
        }
        long highest = stream.HighestExtended;
        long extended = highest + (short)(header.SequenceNumber - (ushort)highest);
        if (extended > highest) stream.HighestExtended = extended;
        stream.Received++;
    }

    private sealed class Stream
    {
        public uint Sender;
        public long First;
        public long HighestExtended;
        public long Received;
    }
}
