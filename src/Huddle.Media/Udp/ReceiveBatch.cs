using System.Net.Sockets;
using System.Runtime.InteropServices;
using Huddle.Media.Interop;

namespace Huddle.Media.Udp;

/// <summary>
/// The media port's receive side on Linux: takes everything queued, up to <see cref="Capacity"/>
/// datagrams, with one recvmmsg that waits for the first, each with its source address and the
/// kernel's arrival time (SO_TIMESTAMPNS). Under load one wake-up brings many datagrams, so their
/// forwarded copies leave in larger sendmmsg batches, and the forwarding latency starts when a datagram
/// reached the socket rather than when the thread got round to it. Native memory, nothing allocated per
/// datagram; only the receive thread uses it.
/// </summary>
internal sealed unsafe class ReceiveBatch : IReceiveRound, IDisposable
{
    public const int Capacity = 32;
    private const int SlotBytes = 2048;

    private readonly Socket _socket;
    private readonly MessageSlots _slots = new(Capacity, SlotBytes, names: true, timestamps: true);

    public ReceiveBatch(Socket socket)
    {
        _socket = socket;
        int on = 1;
        LinuxUdp.setsockopt((int)socket.Handle, LinuxUdp.SolSocket, LinuxUdp.SoTimestampNs, &on, sizeof(int));
        // A blocking recvmmsg ends its wait after this, so the loop can notice it should stop.
        var timeout = new LinuxUdp.TimeVal { Seconds = 0, Microseconds = WaitMs * 1000 };
        LinuxUdp.setsockopt((int)socket.Handle, LinuxUdp.SolSocket, LinuxUdp.SoRcvTimeo, &timeout, (uint)sizeof(LinuxUdp.TimeVal));
    }

    /// <summary>The longest a <see cref="Receive"/> waits for a datagram.</summary>
    public const int WaitMs = 200;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Waits up to <see cref="WaitMs"/> for datagrams and takes what is queued, usually with one system
    /// call (a blocking recvmmsg that returns once one datagram is there, with all that are). Returns how
    /// many (0 on timeout or a transient error), or −1 once the socket is closed.
    /// </summary>
    public int Receive()
    {
        bool added = false;
        try
        {
            // Held across the calls: the descriptor cannot be closed (and its number reused) under them.
            _socket.SafeHandle.DangerousAddRef(ref added);
            int fd = (int)_socket.SafeHandle.DangerousGetHandle();
            _slots.PrepareReceive();
            int n = LinuxUdp.recvmmsg(fd, _slots.Messages, Capacity, LinuxUdp.MsgWaitForOne, null);
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LinuxUdp.EAgain) return Transient(errno) ? 0 : -1;
            // The wait timed out, or .NET made the descriptor non-blocking: wait with poll instead.
            var wait = new LinuxUdp.PollFd { Fd = fd, Events = LinuxUdp.PollIn };
            int ready = LinuxUdp.poll(&wait, 1, WaitMs);
            if (ready <= 0) return ready < 0 && !Transient(Marshal.GetLastPInvokeError()) ? -1 : 0;
            _slots.PrepareReceive();
            n = LinuxUdp.recvmmsg(fd, _slots.Messages, Capacity, LinuxUdp.MsgDontWait, null);
            if (n >= 0) return n;
            errno = Marshal.GetLastPInvokeError();
            return Transient(errno) || errno == LinuxUdp.EAgain ? 0 : -1;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
    }

    // An ICMP port unreachable from an earlier send, or a signal: not the socket's end.
    private static bool Transient(int errno) => errno is LinuxUdp.EConnRefused or LinuxUdp.EIntr;

    /// <summary>Datagram <paramref name="i"/> of the last <see cref="Receive"/>.</summary>
    public Span<byte> Datagram(int i) => _slots.Received(i);

    /// <summary>True when datagram <paramref name="i"/> was cut to fit its slot.</summary>
    public bool Truncated(int i) => (_slots.Messages[i].Header.Flags & MsgTrunc) != 0;

    /// <summary>Copies the source address of datagram <paramref name="i"/> into <paramref name="address"/>.</summary>
    public bool TryGetSource(int i, System.Net.SocketAddress address)
    {
        int length = (int)_slots.Messages[i].Header.NameLength;
        if (length <= 0 || length > address.Buffer.Length) return false;
        new ReadOnlySpan<byte>(_slots.Names + i * MessageSlots.NameBytes, length).CopyTo(address.Buffer.Span);
        address.Size = length;
        return true;
    }

    /// <summary>The kernel's arrival time of datagram <paramref name="i"/> in 100-ns ticks since the Unix epoch; 0 when absent.</summary>
    public long ArrivalUnixTicks(int i) => _slots.ArrivalUnixTicks(i);

    private const int MsgTrunc = 0x20;

    public void Dispose() => _slots.Dispose();
}
