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
/// </summary>
internal sealed unsafe class SendBatch : IDisposable
{
    public const int Capacity = 64;
    private const int SlotBytes = 2048;

    private readonly Socket _socket;
    private readonly MessageSlots _slots = new(Capacity, SlotBytes, names: true, timestamps: false);
    private int _count;

    public SendBatch(Socket socket) => _socket = socket;

    public static bool IsSupported => OperatingSystem.IsLinux();

    public int Count => _count;

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

    /// <summary>Sends everything queued; returns how many went out and how many the socket refused.</summary>
    public (int Sent, long Bytes, int Failed) Flush()
    {
        int sent = 0, failed = 0;
        long bytes = 0;
        int next = 0;
        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            int fd = (int)_socket.SafeHandle.DangerousGetHandle();
            while (next < _count)
            {
                int n = LinuxUdp.sendmmsg(fd, _slots.Messages + next, (uint)(_count - next), 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxUdp.EIntr) continue;
                    // The first datagram failed (an unreachable address, say): count it and go on with the rest.
                    failed++;
                    next++;
                    continue;
                }
                for (int i = next; i < next + n; i++) bytes += (long)_slots.Iovs[i].Length;
                sent += n;
                next += n;
            }
        }
        catch (ObjectDisposedException)
        {
            failed += _count - next;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
            _count = 0;
        }
        return (sent, bytes, failed);
    }

    public void Dispose() => _slots.Dispose();
}
