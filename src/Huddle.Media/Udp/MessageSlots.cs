using System.Runtime.InteropServices;
using Huddle.Media.Interop;

namespace Huddle.Media.Udp;

/// <summary>
/// Native memory for a batch of datagrams as recvmmsg and sendmmsg take them (man 2 recvmmsg): per slot
/// a data buffer with its iovec and mmsghdr, optionally room for a socket address and for the kernel's
/// arrival timestamp (SO_TIMESTAMPNS) and the segment size of coalesced datagrams (UDP_GRO).
/// Allocated once, freed on Dispose; one thread uses it.
/// </summary>
internal sealed unsafe class MessageSlots : IDisposable
{
    public const int NameBytes = 128; // sockaddr_storage
    // Room for SO_TIMESTAMPNS's control message (CMSG_SPACE(16) = 32) and UDP_GRO's (CMSG_SPACE(4) = 24).
    private const int ControlBytes = 64;
    private const int ControlHeaderBytes = 16; // struct cmsghdr on 64-bit Linux: size_t, int, int

    public MessageSlots(int count, int slotBytes, bool names, bool timestamps)
    {
        Count = count;
        SlotBytes = slotBytes;
        Data = (byte*)NativeMemory.Alloc((nuint)(count * slotBytes));
        Iovs = (LinuxUdp.IoVec*)NativeMemory.AllocZeroed((nuint)(count * sizeof(LinuxUdp.IoVec)));
        Messages = (LinuxUdp.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(count * sizeof(LinuxUdp.MMsgHdr)));
        if (names) Names = (byte*)NativeMemory.AllocZeroed((nuint)(count * NameBytes));
        if (timestamps) Controls = (byte*)NativeMemory.AllocZeroed((nuint)(count * ControlBytes));
        for (int i = 0; i < count; i++)
        {
            Iovs[i].Base = Data + i * slotBytes;
            Iovs[i].Length = (nuint)slotBytes;
            Messages[i].Header.Iov = &Iovs[i];
            Messages[i].Header.IovLength = 1;
            if (names) Messages[i].Header.Name = Names + i * NameBytes;
            if (timestamps) Messages[i].Header.Control = Controls + i * ControlBytes;
        }
    }

    public int Count { get; }

    public int SlotBytes { get; }

    public byte* Data { get; }

    public byte* Names { get; }

    public LinuxUdp.IoVec* Iovs { get; }

    public LinuxUdp.MMsgHdr* Messages { get; }

    /// <summary>Per slot <see cref="ControlBytes"/> of control messages (with timestamps only).</summary>
    public byte* Controls { get; }

    /// <summary>Makes every slot ready to receive: full buffers, room for an address and a timestamp.</summary>
    public void PrepareReceive()
    {
        for (int i = 0; i < Count; i++)
        {
            Messages[i].Header.NameLength = Names is null ? 0u : NameBytes;
            Messages[i].Header.ControlLength = Controls is null ? 0u : ControlBytes;
            Messages[i].Header.Flags = 0;
        }
    }

    /// <summary>The datagram received in slot <paramref name="i"/>.</summary>
    public Span<byte> Received(int i) => new(Data + i * SlotBytes, (int)Math.Min(Messages[i].Length, (uint)SlotBytes));

    /// <summary>The kernel's arrival time of slot <paramref name="i"/>'s datagram, in 100-ns ticks since the Unix epoch; 0 when absent.</summary>
    public long ArrivalUnixTicks(int i)
    {
        byte* data = FindControl(i, LinuxUdp.SolSocket, LinuxUdp.SoTimestampNs, 2 * sizeof(long));
        if (data is null) return 0;
        return ((long*)data)[0] * TimeSpan.TicksPerSecond + ((long*)data)[1] / 100;
    }

    /// <summary>
    /// For a socket with UDP_GRO on: the size of each datagram coalesced into slot <paramref name="i"/>
    /// (the last may be shorter), or 0 when the slot holds one datagram.
    /// </summary>
    public int SegmentSize(int i)
    {
        byte* data = FindControl(i, LinuxUdp.SolUdp, LinuxUdp.UdpGro, sizeof(int));
        return data is null ? 0 : *(int*)data;
    }

    /// <summary>Walks slot <paramref name="i"/>'s control messages (CMSG_FIRSTHDR / CMSG_NXTHDR) for one of the given kind.</summary>
    private byte* FindControl(int i, int level, int type, int dataBytes)
    {
        if (Controls is null) return null;
        byte* start = Controls + i * ControlBytes;
        nuint length = Math.Min(Messages[i].Header.ControlLength, (nuint)ControlBytes);
        nuint offset = 0;
        while (offset + ControlHeaderBytes <= length)
        {
            byte* header = start + offset;
            nuint messageLength = *(nuint*)header;
            if (messageLength < ControlHeaderBytes || offset + messageLength > length) return null;
            if (*(int*)(header + 8) == level && *(int*)(header + 12) == type)
                return messageLength >= (nuint)(ControlHeaderBytes + dataBytes) ? header + ControlHeaderBytes : null;
            offset += (messageLength + 7) & ~(nuint)7;
        }
        return null;
    }

    public void Dispose()
    {
        NativeMemory.Free(Data);
        NativeMemory.Free(Iovs);
        NativeMemory.Free(Messages);
        if (Names is not null) NativeMemory.Free(Names);
        if (Controls is not null) NativeMemory.Free(Controls);
    }
}
