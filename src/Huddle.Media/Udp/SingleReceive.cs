using System.Net;
using System.Net.Sockets;

namespace Huddle.Media.Udp;

/// <summary>Where the media port's receive loop takes each round of datagrams from.</summary>
internal interface IReceiveRound
{
    /// <summary>Waits for datagrams; returns how many came (0: none this time, −1: the socket is closed).</summary>
    int Receive();

    /// <summary>Datagram <paramref name="i"/> of the last <see cref="Receive"/>.</summary>
    Span<byte> Datagram(int i);

    /// <summary>True when datagram <paramref name="i"/> was cut to fit its buffer.</summary>
    bool Truncated(int i);

    /// <summary>Copies the source address of datagram <paramref name="i"/> into <paramref name="address"/>.</summary>
    bool TryGetSource(int i, SocketAddress address);

    /// <summary>The kernel's arrival time of datagram <paramref name="i"/>, 100-ns ticks since the Unix epoch; 0 when it gave none.</summary>
    long ArrivalUnixTicks(int i);
}

/// <summary>
/// One recvfrom a round into a pinned buffer, timed when it returns: where recvmmsg is missing (not
/// Linux) or batching is off. A datagram larger than <c>maxDatagram</c> is reported truncated (Linux
/// cuts it to the buffer silently, so the buffer has one byte more to tell).
/// </summary>
internal sealed class SingleReceive(Socket socket, int maxDatagram) : IReceiveRound
{
    private readonly byte[] _buffer = GC.AllocateArray<byte>(maxDatagram + 1, pinned: true);
    private readonly SocketAddress _from = new(socket.AddressFamily);
    private int _length;

    public int Receive()
    {
        try
        {
            _length = socket.ReceiveFrom(_buffer, SocketFlags.None, _from);
            return 1;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
        {
            // ICMP port unreachable from an earlier send, or a datagram larger than any we accept.
            return 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return -1;
        }
    }

    public Span<byte> Datagram(int i) => _buffer.AsSpan(0, _length);

    public bool Truncated(int i) => _length > maxDatagram;

    public bool TryGetSource(int i, SocketAddress address)
    {
        if (_from.Size > address.Buffer.Length) return false;
        _from.Buffer.Span[.._from.Size].CopyTo(address.Buffer.Span);
        address.Size = _from.Size;
        return true;
    }

    public long ArrivalUnixTicks(int i) => 0;
}

/// <summary>
/// Turns the kernel's arrival stamps of one receive round (wall clock, <see cref="IReceiveRound.ArrivalUnixTicks"/>)
/// into <see cref="System.Diagnostics.Stopwatch"/> timestamps, the unit of <see cref="LatencyHistogram"/>: both
/// clocks are read once when the round is taken, so a datagram's time in the socket is kept.
/// </summary>
internal readonly struct RoundClock
{
    private readonly long _nowStopwatch;
    private readonly long _nowUnix;

    private RoundClock(long nowStopwatch, long nowUnix)
    {
        _nowStopwatch = nowStopwatch;
        _nowUnix = nowUnix;
    }

    public static RoundClock Now() => new(System.Diagnostics.Stopwatch.GetTimestamp(), BatchReceiver.UnixTicks());

    /// <summary>When datagram <paramref name="i"/> of the round arrived; the round's start when the kernel gave no stamp.</summary>
    public long ArrivedAt(IReceiveRound round, int i)
    {
        long arrival = round.ArrivalUnixTicks(i);
        return arrival == 0 ? _nowStopwatch
            : _nowStopwatch - Math.Max(0, _nowUnix - arrival) * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond;
    }
}
