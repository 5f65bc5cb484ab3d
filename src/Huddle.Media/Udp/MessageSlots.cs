using System.Runtime.InteropServices;
using Huddle.Media.Interop;

namespace Huddle.Media.Udp;

/// <summary>
/// Native memory for a batch of datagrams as recvmmsg and sendmmsg take them (man 2 recvmmsg): per slot
/// a data buffer with its iovec and mmsghdr, optionally room for a socket address and for the kernel's
/// arrival timestamp (SO_TIMESTAMPNS). Allocated once, freed on Dispose; one thread uses it.
/// </summary>
internal sealed unsafe class MessageSlots : IDisposable
{
    public const int NameBytes = 128; // sockaddr_storage

    public MessageSlots(int count, int slotBytes, bool names, bool timestamps)
    {
        Count = count;
        SlotBytes = slotBytes;
        Data = (byte*)NativeMemory.Alloc((nuint)(count * slotBytes));
        Iovs = (LinuxUdp.IoVec*)NativeMemory.AllocZeroed((nuint)(count * sizeof(LinuxUdp.IoVec)));
        Messages = (LinuxUdp.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(count * sizeof(LinuxUdp.MMsgHdr)));
        if (names) Names = (byte*)NativeMemory.AllocZeroed((nuint)(count * NameBytes));
        if (timestamps) Controls = (LinuxUdp.TimestampControl*)NativeMemory.AllocZeroed((nuint)(count * sizeof(LinuxUdp.TimestampControl)));
        for (int i = 0; i < count; i++)
        {
            Iovs[i].Base = Data + i * slotBytes;
            Iovs[i].Length = (nuint)slotBytes;
            Messages[i].Header.Iov = &Iovs[i];
            Messages[i].Header.IovLength = 1;
            if (names) Messages[i].Header.Name = Names + i * NameBytes;
            if (timestamps) Messages[i].Header.Control = &Controls[i];
        }
    }

    public int Count { get; }

    public int SlotBytes { get; }

    public byte* Data { get; }

    public byte* Names { get; }

    public LinuxUdp.IoVec* Iovs { get; }

    public LinuxUdp.MMsgHdr* Messages { get; }

    public LinuxUdp.TimestampControl* Controls { get; }

    /// <summary>Makes every slot ready to receive: full buffers, room for an address and a timestamp.</summary>
    public void PrepareReceive()
    {
        for (int i = 0; i < Count; i++)
        {
            Messages[i].Header.NameLength = Names is null ? 0u : NameBytes;
            Messages[i].Header.ControlLength = Controls is null ? 0 : (nuint)sizeof(LinuxUdp.TimestampControl);
            Messages[i].Header.Flags = 0;
        }
    }

    /// <summary>The datagram received in slot <paramref name="i"/>.</summary>
    public Span<byte> Received(int i) => new(Data + i * SlotBytes, (int)Math.Min(Messages[i].Length, (uint)SlotBytes));

    /// <summary>The kernel's arrival time of slot <paramref name="i"/>'s datagram, in 100-ns ticks since the Unix epoch; 0 when absent.</summary>
    public long ArrivalUnixTicks(int i)
    {
        if (Controls is null) return 0;
        LinuxUdp.TimestampControl* control = &Controls[i];
        if (Messages[i].Header.ControlLength < (nuint)sizeof(LinuxUdp.TimestampControl)
            || control->Level != LinuxUdp.SolSocket || control->Type != LinuxUdp.SoTimestampNs) return 0;
        return control->Seconds * TimeSpan.TicksPerSecond + control->Nanoseconds / 100;
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
