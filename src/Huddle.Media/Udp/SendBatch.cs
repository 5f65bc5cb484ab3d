using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Huddle.Media.Interop;

namespace Huddle.Media.Udp;

/// <summary>
/// Datagrams queued by the media port's receive thread while it handles what it received (one packet
/// forwarded to every subscriber), then sent together with one sendmmsg call (man 2 sendmmsg) instead
/// of one sendto each. Linux only; native memory, no allocation per datagram. Not thread-safe: only the
/// receive thread that owns it adds and flushes.
/// <para>
/// With segmentation on, copies for the same address go out as one message with UDP_SEGMENT (UDP GSO,
/// man 7 udp): a video frame's packets forwarded to one subscriber cross the kernel's UDP and IP layers
/// once instead of once each. A message takes consecutive copies (in the order they were added) while
/// they have the first one's size; a shorter one ends it, as the kernel requires. Datagrams to each
/// address keep their order. A refused segmented message is sent again one datagram at a time; when
/// those all go out, segmentation was what was refused (an old kernel, a route through IPsec, a socket
/// without checksums) and the batch stops segmenting.
/// </para>
/// </summary>
internal sealed unsafe class SendBatch : IDisposable
{
    // Copies, not messages. Big enough for most of a round in a large room (32 datagrams × 49 copies at
    // 50×50), so a subscriber's copies of consecutive packets join into longer segmented sends: 256 → 1024
    // took 50×50 from 1.71–2.14 to 1.37–1.57 server CPU-s per million packets (docs/benchmarks.md).
    public const int Capacity = 1024;
    private const int SlotBytes = 2048;
    // A segmented message is one UDP datagram to the kernel until it splits it: it must fit an IP packet.
    private const int MaxSegmentedBytes = 65_000;
    private const int TableSize = 2 * Capacity;

    private readonly Socket _socket;
    private readonly MessageSlots _slots = new(Capacity, SlotBytes, names: true, timestamps: false);
    private int _count;

    // The messages of one flush when segmenting: one per run of copies to the same address.
    private readonly LinuxUdp.MMsgHdr* _messages;
    private readonly LinuxUdp.IoVec* _messageIovs;
    private readonly LinuxUdp.SegmentControl* _controls;
    private readonly Run[] _runs = new Run[Capacity];
    private readonly int[] _runOfSlot = new int[Capacity];
    private readonly int[] _slotOfIov = new int[Capacity];
    // Open-addressed: address hash → 1 + the run still open for that address (0: empty).
    private readonly short[] _openRun = new short[TableSize];

    private struct Run
    {
        public int FirstSlot;
        public int Segments;
        public int Bytes;
        public int SegmentSize;
        public bool Closed;
        public int IovStart;
        public int Filled;
    }

    public SendBatch(Socket socket, bool segment = true)
    {
        _socket = socket;
        Segmenting = segment;
        _messages = (LinuxUdp.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(LinuxUdp.MMsgHdr)));
        _messageIovs = (LinuxUdp.IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(LinuxUdp.IoVec)));
        _controls = (LinuxUdp.SegmentControl*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(LinuxUdp.SegmentControl)));
    }

    public static bool IsSupported => OperatingSystem.IsLinux();

    public int Count => _count;

    /// <summary>True while copies to one address are joined into segmented messages (UDP GSO).</summary>
    public bool Segmenting { get; private set; }

    /// <summary>Queues a copy of <paramref name="datagram"/> for <paramref name="to"/>; false when it cannot be batched (too large).</summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (datagram.Length > SlotBytes || to.Size > MessageSlots.NameBytes) return false;
        int i = _count++;
        datagram.CopyTo(new Span<byte>(_slots.Data + i * SlotBytes, SlotBytes));
        to.Buffer.Span[..to.Size].CopyTo(new Span<byte>(_slots.Names + i * MessageSlots.NameBytes, MessageSlots.NameBytes));
        _slots.Iovs[i].Length = (nuint)datagram.Length;
        _slots.Messages[i].Header.NameLength = (uint)to.Size;
        return true;
    }

    /// <summary>
    /// Sends everything queued; returns how many datagrams went out, how many the socket refused and in
    /// how many of those messages the kernel split several datagrams (segmented sends).
    /// </summary>
    public FlushResult Flush()
    {
        var result = new FlushResult();
        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            int fd = (int)_socket.SafeHandle.DangerousGetHandle();
            if (Segmenting && _count > 1) SendRuns(fd, GroupRuns(), ref result);
            else SendSlots(fd, 0, _count, ref result);
        }
        catch (ObjectDisposedException)
        {
            result.Failed = _count - result.Sent;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
            _count = 0;
        }
        return result;
    }

    /// <summary>Sends slots [from, to) as they are, one datagram per message.</summary>
    private void SendSlots(int fd, int from, int to, ref FlushResult result)
    {
        int next = from;
        while (next < to)
        {
            int n = LinuxUdp.sendmmsg(fd, _slots.Messages + next, (uint)(to - next), 0);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == LinuxUdp.EIntr) continue;
                // The first datagram failed (an unreachable address, say): count it and go on with the rest.
                result.Failed++;
                next++;
                continue;
            }
            for (int i = next; i < next + n; i++) result.Bytes += (long)_slots.Iovs[i].Length;
            result.Sent += n;
            next += n;
        }
    }

    /// <summary>
    /// Splits the queued slots into runs: consecutive copies to one address, each the size of the run's
    /// first but the last, which may be shorter (the kernel's rule for a segmented message), at most
    /// UDP_MAX_SEGMENTS of them. Then lays each run's buffers out as one message. Returns the run count.
    /// </summary>
    private int GroupRuns()
    {
        Array.Clear(_openRun);
        int runs = 0;
        for (int i = 0; i < _count; i++)
        {
            int length = (int)_slots.Iovs[i].Length;
            byte* name = _slots.Names + i * MessageSlots.NameBytes;
            uint nameLength = _slots.Messages[i].Header.NameLength;
            int probe = (int)(Hash(name, nameLength) & (TableSize - 1));
            int open = -1;
            while (_openRun[probe] != 0)
            {
                int candidate = _openRun[probe] - 1;
                if (SameAddress(_runs[candidate].FirstSlot, name, nameLength)) { open = candidate; break; }
                probe = (probe + 1) & (TableSize - 1);
            }
            if (open >= 0 && CanJoin(in _runs[open], length))
            {
                ref Run run = ref _runs[open];
                run.Segments++;
                run.Bytes += length;
                if (length < run.SegmentSize) run.Closed = true;
                _runOfSlot[i] = open;
                continue;
            }
            _runs[runs] = new Run { FirstSlot = i, Segments = 1, Bytes = length, SegmentSize = length };
            _runOfSlot[i] = runs;
            // The newer run takes the older one's place in the table: only the latest run can grow.
            _openRun[probe] = (short)(runs + 1);
            runs++;
        }

        int iov = 0;
        for (int r = 0; r < runs; r++)
        {
            _runs[r].IovStart = iov;
            _runs[r].Filled = 0;
            iov += _runs[r].Segments;
        }
        for (int i = 0; i < _count; i++)
        {
            ref Run run = ref _runs[_runOfSlot[i]];
            int at = run.IovStart + run.Filled++;
            _messageIovs[at] = _slots.Iovs[i];
            _slotOfIov[at] = i;
        }
        for (int r = 0; r < runs; r++)
        {
            ref Run run = ref _runs[r];
            ref LinuxUdp.MsgHdr header = ref _messages[r].Header;
            header.Name = _slots.Names + run.FirstSlot * MessageSlots.NameBytes;
            header.NameLength = _slots.Messages[run.FirstSlot].Header.NameLength;
            header.Iov = _messageIovs + run.IovStart;
            header.IovLength = (nuint)run.Segments;
            header.Flags = 0;
            if (run.Segments > 1)
            {
                _controls[r].Length = LinuxUdp.SegmentControl.DataLength;
                _controls[r].Level = LinuxUdp.SolUdp;
                _controls[r].Type = LinuxUdp.UdpSegment;
                _controls[r].SegmentSize = (ushort)run.SegmentSize;
                header.Control = _controls + r;
                header.ControlLength = (nuint)sizeof(LinuxUdp.SegmentControl);
            }
            else
            {
                header.Control = null;
                header.ControlLength = 0;
            }
        }
        return runs;
    }

    private static bool CanJoin(in Run run, int length) =>
        !run.Closed && run.Segments < LinuxUdp.UdpMaxSegments && length <= run.SegmentSize && run.Bytes + length <= MaxSegmentedBytes;

    private void SendRuns(int fd, int runs, ref FlushResult result)
    {
        int next = 0;
        while (next < runs)
        {
            if (!Segmenting)
            {
                // Refused earlier in this flush: the rest go one datagram per message, each address's in order.
                for (; next < runs; next++) SendRunSlots(fd, next, ref result);
                return;
            }
            int n = LinuxUdp.sendmmsg(fd, _messages + next, (uint)(runs - next), 0);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == LinuxUdp.EIntr) continue;
                if (_runs[next].Segments > 1)
                {
                    // Send these one by one. If they all go, the address was fine and segmentation was what
                    // this kernel, route or socket refused: stop asking for it.
                    int sentBefore = result.Sent;
                    SendRunSlots(fd, next, ref result);
                    if (result.Sent - sentBefore == _runs[next].Segments) Segmenting = false;
                }
                else
                {
                    result.Failed++;
                }
                next++;
                continue;
            }
            for (int r = next; r < next + n; r++)
            {
                result.Sent += _runs[r].Segments;
                result.Bytes += _runs[r].Bytes;
                if (_runs[r].Segments > 1) result.Segmented++;
            }
            next += n;
        }
    }

    private void SendRunSlots(int fd, int run, ref FlushResult result)
    {
        for (int k = 0; k < _runs[run].Segments; k++)
        {
            int slot = _slotOfIov[_runs[run].IovStart + k];
            SendSlots(fd, slot, slot + 1, ref result);
        }
    }

    private static uint Hash(byte* name, uint length)
    {
        // FNV-1a over the address bytes (port and address sit in the first 8 of sockaddr_in, 24 of sockaddr_in6).
        uint hash = 2166136261;
        for (uint i = 0; i < length; i++) hash = (hash ^ name[i]) * 16777619;
        return hash;
    }

    private bool SameAddress(int slot, byte* name, uint length) =>
        _slots.Messages[slot].Header.NameLength == length
        && new ReadOnlySpan<byte>(_slots.Names + slot * MessageSlots.NameBytes, (int)length).SequenceEqual(new ReadOnlySpan<byte>(name, (int)length));

    public void Dispose()
    {
        _slots.Dispose();
        NativeMemory.Free(_messages);
        NativeMemory.Free(_messageIovs);
        NativeMemory.Free(_controls);
    }
}

/// <summary>What one <see cref="SendBatch.Flush"/> did: datagrams sent and their bytes, datagrams refused, segmented messages.</summary>
internal struct FlushResult
{
    public int Sent;
    public long Bytes;
    public int Failed;
    public int Segmented;
}
