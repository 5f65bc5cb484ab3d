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
    private const int NameBytes = 128; // sockaddr_storage

    private readonly Socket _socket;
    private readonly byte* _data;
    private readonly byte* _names;
    private readonly LinuxUdp.IoVec* _iovs;
    private readonly LinuxUdp.MMsgHdr* _messages;
    private int _count;

    public SendBatch(Socket socket)
    {
        _socket = socket;
        _data = (byte*)NativeMemory.Alloc(Capacity * SlotBytes);
        _names = (byte*)NativeMemory.AllocZeroed(Capacity * NameBytes);
        _iovs = (LinuxUdp.IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(LinuxUdp.IoVec)));
        _messages = (LinuxUdp.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(LinuxUdp.MMsgHdr)));
        for (int i = 0; i < Capacity; i++)
        {
            _iovs[i].Base = _data + i * SlotBytes;
            _messages[i].Header.Iov = &_iovs[i];
            _messages[i].Header.IovLength = 1;
            _messages[i].Header.Name = _names + i * NameBytes;
        }
    }

    public static bool IsSupported => OperatingSystem.IsLinux();

    public int Count => _count;

    /// <summary>Queues a copy of <paramref name="datagram"/> for <paramref name="to"/>; false when it cannot be batched (too large).</summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (datagram.Length > SlotBytes || to.Size > NameBytes) return false;
        int i = _count++;
        datagram.CopyTo(new Span<byte>(_data + i * SlotBytes, SlotBytes));
        to.Buffer.Span[..to.Size].CopyTo(new Span<byte>(_names + i * NameBytes, NameBytes));
        _iovs[i].Length = (nuint)datagram.Length;
        _messages[i].Header.NameLength = (uint)to.Size;
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
                int n = LinuxUdp.sendmmsg(fd, _messages + next, (uint)(_count - next), 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxUdp.EIntr) continue;
                    // The first datagram failed (an unreachable address, say): count it and go on with the rest.
                    failed++;
                    next++;
                    continue;
                }
                for (int i = next; i < next + n; i++) bytes += (long)_iovs[i].Length;
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

    public void Dispose()
    {
        NativeMemory.Free(_data);
        NativeMemory.Free(_names);
        NativeMemory.Free(_iovs);
        NativeMemory.Free(_messages);
    }
}
