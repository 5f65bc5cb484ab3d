using System.Runtime.InteropServices;

namespace Huddle.Media.Interop;

/// <summary>
/// The Linux calls a batched UDP loop needs and .NET does not expose: epoll (one thread waits on many
/// sockets), recvmmsg/sendmmsg (many datagrams per system call, man 2 recvmmsg) and the kernel's
/// receive timestamps (SO_TIMESTAMPNS, man 7 socket), and a receive thread's scheduling policy
/// (sched_setscheduler). Layouts are those of 64-bit Linux.
/// </summary>
internal static unsafe partial class LinuxUdp
{
    private const string Libc = "libc";

    public const int EpollIn = 0x001;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int MsgDontWait = 0x40;
    public const int SolSocket = 1;
    public const int SoTimestampNs = 35; // SO_TIMESTAMPNS_OLD; SCM_TIMESTAMPNS has the same value
    public const int EAgain = 11;
    public const int EIntr = 4;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    /// <summary>struct epoll_event as x86-64 packs it (12 bytes); other 64-bit ABIs pad it to 16.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEventPacked
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct EpollEventPadded
    {
        public uint Events;
        public ulong Data;
    }

    public static bool PackedEpollEvent => RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, void* ev);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_wait(int epfd, void* events, int maxEvents, int timeout);
    [LibraryImport(Libc, SetLastError = true)] public static partial int recvmmsg(int fd, MMsgHdr* msgs, uint vlen, int flags, void* timeout);
    [LibraryImport(Libc, SetLastError = true)] public static partial int sendmmsg(int fd, MMsgHdr* msgs, uint vlen, int flags);

    /// <summary>SCHED_BATCH (man 7 sched): a thread the scheduler never lets preempt another on wake-up.</summary>
    public const int SchedBatch = 3;

    /// <summary>pid 0: the calling thread. <paramref name="priority"/> points at a struct sched_param (one int, 0 for SCHED_BATCH).</summary>
    [LibraryImport(Libc, SetLastError = true)] public static partial int sched_setscheduler(int pid, int policy, int* priority);

    [LibraryImport(Libc, SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, void* value, uint length);
    [LibraryImport(Libc)] public static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] public static partial int poll(PollFd* fds, nuint count, int timeout);

    public const short PollIn = 0x001;
    public const int MsgWaitForOne = 0x10000;
    public const int SoRcvTimeo = 20; // SO_RCVTIMEO_OLD: a struct timeval

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }
    public const int EConnRefused = 111;

    // UDP generic segmentation offload (Linux 4.18+, man 7 udp): one send of several equal-sized
    // datagrams (the last may be shorter) to one address, split by the kernel or the NIC.
    public const int SolUdp = 17;
    public const int UdpSegment = 103;
    public const int UdpMaxSegments = 64;
    // UDP generic receive offload (Linux 5.0+): a socket that asks for it may be handed several
    // datagrams of one sender in one buffer, with a UDP_GRO control message giving the segment size.
    public const int UdpGro = 104;

    /// <summary>A struct cmsghdr carrying UDP_SEGMENT's 16-bit segment size, padded to CMSG_SPACE(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SegmentControl
    {
        public nuint Length;
        public int Level;
        public int Type;
        public ushort SegmentSize;
        private ushort _pad0;
        private uint _pad1;

        /// <summary>CMSG_LEN(2): the header and the value, without the trailing padding.</summary>
        public static nuint DataLength => (nuint)(sizeof(nuint) + 2 * sizeof(int) + sizeof(ushort));
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}
