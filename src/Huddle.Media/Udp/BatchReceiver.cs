using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Huddle.Media.Interop;

namespace Huddle.Media.Udp;

/// <summary>Takes datagrams from a <see cref="BatchReceiver"/>.</summary>
public interface IDatagramHandler
{
    /// <summary>
    /// One datagram, on the receiver's thread; <paramref name="receivedAt"/> is when the kernel queued it
    /// (SO_TIMESTAMPNS), in 100-ns ticks since the Unix epoch.
    /// </summary>
    void OnDatagram(Span<byte> datagram, long receivedAt);
}

/// <summary>
/// One thread receiving for many UDP sockets (Linux): it waits on all of them with epoll and drains each
/// ready one with recvmmsg, 32 datagrams per call, with the kernel's receive timestamp of each. Load
/// bots use it so that a few hundred sockets cost one thread and a system call per batch instead of a
/// thread and a wake-up per packet, and so that latency is measured from the kernel's arrival time, not
/// from when a busy bot got round to it.
/// </summary>
public sealed unsafe class BatchReceiver : IDisposable
{
    private const int Batch = 32;
    private const int MaxDatagram = 2048;
    // With UDP_GRO one slot may hold up to 64 KiB of coalesced datagrams.
    private const int MaxCoalesced = 65_536;
    private const int MaxEvents = 64;
    private const int ReceiveBufferBytes = 2 * 1024 * 1024;

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, Entry> _entries = new();
    private readonly Thread _thread;
    private readonly MessageSlots _slots;
    private readonly byte* _events;
    private long _nextId;
    private volatile bool _disposed;

    private readonly int _settleMs;
    private readonly bool _coalesce;
    private readonly bool _yieldOnWake;

    /// <param name="settleMs">
    /// After a round of wake-up and draining that brought fewer than a batch of datagrams, wait this long
    /// before waiting again, so that more arrive per wake-up: a load generator's thread then wakes at most
    /// about a thousand times a second instead of once for every few packets (each wake-up is a context
    /// switch, the largest cost of bots in perf). The kernel's timestamps keep latency figures exact.
    /// </param>
    /// <param name="coalesce">
    /// Ask the kernel for UDP GRO on each socket: consecutive datagrams of one sender (such as a server's
    /// GSO send of a video frame's packets) arrive as one buffer, split here, with one arrival time. On
    /// loopback the sender's system call delivers into our socket, so this also spares the sender from
    /// splitting its GSO sends again, which a network card would have done on a real link.
    /// </param>
    /// <param name="yieldOnWake">
    /// Run the thread under SCHED_BATCH, so that its wake-ups never preempt a running thread: a load
    /// generator on the machine it measures then does not take the core from the server whose send just
    /// woke it (on loopback that is most of the server's involuntary context switches). Receivers on other
    /// machines, as in a real deployment, never do. Latency figures are unaffected: they come from the
    /// kernel's arrival times, not from when this thread runs.
    /// </param>
    public BatchReceiver(string name = "huddle-batch-receive", int settleMs = 0, bool coalesce = false, bool yieldOnWake = false)
    {
        _settleMs = settleMs;
        _coalesce = coalesce;
        _yieldOnWake = yieldOnWake;
        _slots = new MessageSlots(Batch, coalesce ? MaxCoalesced : MaxDatagram, names: false, timestamps: true);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("BatchReceiver needs Linux (epoll, recvmmsg)");
        _epoll = LinuxUdp.epoll_create1(0);
        if (_epoll < 0) throw new SocketException(Marshal.GetLastPInvokeError());
        _events = (byte*)NativeMemory.AllocZeroed(MaxEvents * 16);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Datagrams handed out so far.</summary>
    public long Datagrams => Interlocked.Read(ref _datagrams);

    /// <summary>recvmmsg calls that returned datagrams (Datagrams / Calls is the batch size achieved).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Buffers that held several datagrams coalesced by the kernel (UDP GRO).</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    private long _datagrams;
    private long _calls;
    private long _coalesced;

    /// <summary>Starts delivering <paramref name="socket"/>'s datagrams to <paramref name="handler"/>; nothing else may receive on it.</summary>
    public void Add(Socket socket, IDatagramHandler handler)
    {
        // Room for the bursts a busy receiver cannot take at once (the kernel caps it at net.core.rmem_max).
        if (socket.ReceiveBufferSize < ReceiveBufferBytes) socket.ReceiveBufferSize = ReceiveBufferBytes;
        int fd = (int)socket.Handle;
        int on = 1;
        LinuxUdp.setsockopt(fd, LinuxUdp.SolSocket, LinuxUdp.SoTimestampNs, &on, sizeof(int));
        // A kernel without UDP GRO (before 5.0) refuses it and hands out datagrams one by one: nothing to do.
        if (_coalesce) LinuxUdp.setsockopt(fd, LinuxUdp.SolUdp, LinuxUdp.UdpGro, &on, sizeof(int));
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        var entry = new Entry(socket, fd, handler);
        _entries[id] = entry;
        int result = LinuxUdp.PackedEpollEvent ? AddPacked(fd, id) : AddPadded(fd, id);
        if (result != 0)
        {
            _entries.TryRemove(id, out _);
            throw new SocketException(Marshal.GetLastPInvokeError());
        }
    }

    private int AddPacked(int fd, ulong id)
    {
        var ev = new LinuxUdp.EpollEventPacked { Events = LinuxUdp.EpollIn, Data = id };
        return LinuxUdp.epoll_ctl(_epoll, LinuxUdp.EpollCtlAdd, fd, &ev);
    }

    private int AddPadded(int fd, ulong id)
    {
        var ev = new LinuxUdp.EpollEventPadded { Events = LinuxUdp.EpollIn, Data = id };
        return LinuxUdp.epoll_ctl(_epoll, LinuxUdp.EpollCtlAdd, fd, &ev);
    }

    /// <summary>
    /// Stops delivering for <paramref name="socket"/>. When this returns the receive thread is not using it,
    /// so the socket may be closed (its descriptor number may then be reused by another).
    /// </summary>
    public void Remove(Socket socket)
    {
        foreach ((ulong id, Entry entry) in _entries)
        {
            if (entry.Socket != socket) continue;
            lock (entry)
            {
                entry.Removed = true;
                LinuxUdp.epoll_ctl(_epoll, LinuxUdp.EpollCtlDel, entry.Fd, null);
            }
            _entries.TryRemove(id, out _);
        }
    }

    /// <summary>False until the thread runs; then whether it runs under SCHED_BATCH (see the constructor).</summary>
    public bool YieldsOnWake { get; private set; }

    private void Run()
    {
        if (_yieldOnWake)
        {
            int priority = 0;
            // Unprivileged threads may switch from SCHED_OTHER to SCHED_BATCH; where they may not, run as before.
            YieldsOnWake = LinuxUdp.sched_setscheduler(0, LinuxUdp.SchedBatch, &priority) == 0;
        }
        while (!_disposed)
        {
            int ready = LinuxUdp.epoll_wait(_epoll, _events, MaxEvents, 200);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == LinuxUdp.EIntr) continue;
                return;
            }
            int size = LinuxUdp.PackedEpollEvent ? sizeof(LinuxUdp.EpollEventPacked) : sizeof(LinuxUdp.EpollEventPadded);
            int drained = 0;
            for (int i = 0; i < ready; i++)
            {
                ulong id = LinuxUdp.PackedEpollEvent ? ((LinuxUdp.EpollEventPacked*)(_events + i * size))->Data : ((LinuxUdp.EpollEventPadded*)(_events + i * size))->Data;
                if (!_entries.TryGetValue(id, out Entry? entry)) continue;
                lock (entry)
                {
                    if (!entry.Removed) drained += Drain(entry);
                }
            }
            if (_settleMs > 0 && ready > 0 && drained < Batch) Thread.Sleep(_settleMs);
        }
    }

    /// <summary>Hands out everything queued on the entry's socket; returns how many datagrams that was.</summary>
    private int Drain(Entry entry)
    {
        int total = 0, before = 0;
        while (true)
        {
            _slots.PrepareReceive();
            int n = LinuxUdp.recvmmsg(entry.Fd, _slots.Messages, Batch, LinuxUdp.MsgDontWait, null);
            if (n <= 0)
            {
                // An ICMP error from an earlier send is reported once; the datagrams behind it are still there.
                if (n < 0 && Marshal.GetLastPInvokeError() == LinuxUdp.EConnRefused) continue;
                return total;
            }
            Interlocked.Increment(ref _calls);
            long fallback = 0;
            for (int i = 0; i < n; i++)
            {
                long receivedAt = _slots.ArrivalUnixTicks(i);
                if (receivedAt == 0)
                {
                    if (fallback == 0) fallback = UnixTicks();
                    receivedAt = fallback;
                }
                Span<byte> received = _slots.Received(i);
                int segment = _coalesce ? _slots.SegmentSize(i) : 0;
                if (segment <= 0 || segment >= received.Length)
                {
                    Deliver(entry, received, receivedAt);
                    total++;
                    continue;
                }
                Interlocked.Increment(ref _coalesced);
                for (int offset = 0; offset < received.Length; offset += segment)
                {
                    Deliver(entry, received.Slice(offset, Math.Min(segment, received.Length - offset)), receivedAt);
                    total++;
                }
            }
            Interlocked.Add(ref _datagrams, total - before);
            before = total;
            if (n < Batch) return total;
        }
    }

    private static void Deliver(Entry entry, Span<byte> datagram, long receivedAt)
    {
        try
        {
            entry.Handler.OnDatagram(datagram, receivedAt);
        }
        catch (Exception)
        {
            // One handler's failure must not stop the others' sockets.
        }
    }

    /// <summary>Now, in the units of <see cref="IDatagramHandler.OnDatagram"/>: 100-ns ticks since the Unix epoch.</summary>
    public static long UnixTicks() => DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        LinuxUdp.close(_epoll);
        if (!_thread.IsAlive)
        {
            _slots.Dispose();
            NativeMemory.Free(_events);
        }
    }

    private sealed class Entry(Socket socket, int fd, IDatagramHandler handler)
    {
        public Socket Socket { get; } = socket;

        public int Fd { get; } = fd;

        public IDatagramHandler Handler { get; } = handler;

        public bool Removed { get; set; }
    }
}
