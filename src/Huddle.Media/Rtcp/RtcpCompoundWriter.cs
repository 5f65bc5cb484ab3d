namespace Huddle.Media.Rtcp;

/// <summary>
/// Builds a compound RTCP packet (RFC 3550 §6.1) in a span: packets are appended back to back,
/// either copied in or written straight into <see cref="Remaining"/> by a typed writer and then
/// committed with <see cref="Advance"/>.
/// </summary>
/// <example>
/// <code>
/// var w = new RtcpCompoundWriter(buffer);
/// ReceiverReport.TryWrite(w.Remaining, ssrc, reports, out int n) &amp;&amp; w.Advance(n);
/// SourceDescription.TryWriteCname(w.Remaining, ssrc, cname, out n) &amp;&amp; w.Advance(n);
/// send(w.Written);
/// </code>
/// </example>
public ref struct RtcpCompoundWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    public RtcpCompoundWriter(Span<byte> destination) => _destination = destination;

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _position;
    public readonly ReadOnlySpan<byte> Written => _destination[.._position];
    /// <summary>Free space after the packets written so far.</summary>
    public readonly Span<byte> Remaining => _destination[_position..];

    /// <summary>
    /// Commits <paramref name="count"/> bytes written into <see cref="Remaining"/>. False, and nothing
    /// committed, unless they are whole well-formed RTCP packets.
    /// </summary>
    public bool Advance(int count)
    {
        if (count <= 0 || count > _destination.Length - _position) return false;
        if (!RtcpCompoundPacket.TryParse(_destination.Slice(_position, count), out _)) return false;
        _position += count;
        return true;
    }

    /// <summary>Copies one or more whole RTCP packets in. False when they are malformed or do not fit.</summary>
    public bool TryAppend(ReadOnlySpan<byte> packets)
    {
        if (!RtcpCompoundPacket.TryParse(packets, out _) || !packets.TryCopyTo(Remaining)) return false;
        _position += packets.Length;
        return true;
    }

    public bool TryAppend(RtcpPacket packet) => TryAppend(packet.Bytes);

    /// <summary>Concatenates <paramref name="packets"/> into <paramref name="destination"/>.</summary>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<ReadOnlyMemory<byte>> packets, out int written)
    {
        written = 0;
        var writer = new RtcpCompoundWriter(destination);
        foreach (var packet in packets)
        {
            if (!writer.TryAppend(packet.Span)) return false;
        }
        written = writer.Length;
        return true;
    }
}
