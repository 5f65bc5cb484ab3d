using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>One report block of an SR or RR: what a receiver saw of one source.</summary>
/// <remarks>
/// RFC 3550 §6.4.1:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                 SSRC_1 (SSRC of first source)                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fraction lost |       cumulative number of packets lost       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           extended highest sequence number received           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      interarrival jitter                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         last SR (LSR)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   delay since last SR (DLSR)                  |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// </code>
/// </remarks>
/// <param name="FractionLost">Lost fraction since the last report, in 1/256 units.</param>
/// <param name="CumulativeLost">Signed 24-bit (duplicates can make it negative).</param>
/// <param name="LastSenderReport">The middle 32 bits of the NTP timestamp of the last SR received.</param>
/// <param name="DelaySinceLastSenderReport">In 1/65536 seconds.</param>
public readonly record struct ReceptionReport(
    uint Ssrc,
    byte FractionLost,
    int CumulativeLost,
    uint ExtendedHighestSequenceNumber,
    uint Jitter,
    uint LastSenderReport,
    uint DelaySinceLastSenderReport)
{
    public const int Size = 24;
    public const int MaxCumulativeLost = 0x7F_FFFF;
    public const int MinCumulativeLost = -0x80_0000;

    private const int SsrcOffset = 0;
    private const int FractionLostOffset = 4;
    private const int CumulativeLostOffset = 5;
    private const int HighestSequenceOffset = 8;
    private const int JitterOffset = 12;
    private const int LastSenderReportOffset = 16;
    private const int DelayOffset = 20;

    public static bool TryParse(ReadOnlySpan<byte> data, out ReceptionReport report)
    {
        report = default;
        if (data.Length < Size) return false;
        // Sign-extend the 24-bit count by shifting it into the top of an int and back.
        int lost = (data[CumulativeLostOffset] << 24 | data[CumulativeLostOffset + 1] << 16 | data[CumulativeLostOffset + 2] << 8) >> 8;
        report = new ReceptionReport(
            BinaryPrimitives.ReadUInt32BigEndian(data.Slice(SsrcOffset)),
            data[FractionLostOffset],
            lost,
            BinaryPrimitives.ReadUInt32BigEndian(data.Slice(HighestSequenceOffset)),
            BinaryPrimitives.ReadUInt32BigEndian(data.Slice(JitterOffset)),
            BinaryPrimitives.ReadUInt32BigEndian(data.Slice(LastSenderReportOffset)),
            BinaryPrimitives.ReadUInt32BigEndian(data.Slice(DelayOffset)));
        return true;
    }

    /// <summary>
    /// Writes the block. A cumulative loss outside 24 bits is clamped, as RFC 3550 Appendix A.3 says.
    /// </summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < Size) return false;
        int lost = Math.Clamp(CumulativeLost, MinCumulativeLost, MaxCumulativeLost);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(SsrcOffset), Ssrc);
        destination[FractionLostOffset] = FractionLost;
        destination[CumulativeLostOffset] = (byte)(lost >> 16);
        destination[CumulativeLostOffset + 1] = (byte)(lost >> 8);
        destination[CumulativeLostOffset + 2] = (byte)lost;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(HighestSequenceOffset), ExtendedHighestSequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(JitterOffset), Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(LastSenderReportOffset), LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(DelayOffset), DelaySinceLastSenderReport);
        written = Size;
        return true;
    }

    /// <summary>Writes <paramref name="reports"/> back to back (the caller has checked the room).</summary>
    internal static int WriteAll(Span<byte> destination, ReadOnlySpan<ReceptionReport> reports)
    {
        int offset = 0;
        foreach (var report in reports)
        {
            report.TryWrite(destination.Slice(offset), out int n);
            offset += n;
        }
        return offset;
    }
}

/// <summary>The report blocks of an SR or RR, read on demand from the packet.</summary>
public readonly ref struct ReceptionReportList
{
    private readonly ReadOnlySpan<byte> _blocks;

    internal ReceptionReportList(ReadOnlySpan<byte> blocks) => _blocks = blocks;

    public int Count => _blocks.Length / ReceptionReport.Size;

    public ReceptionReport this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            ReceptionReport.TryParse(_blocks.Slice(index * ReceptionReport.Size), out var report);
            return report;
        }
    }

    public Enumerator GetEnumerator() => new(this);

    public ref struct Enumerator
    {
        private readonly ReceptionReportList _list;
        private int _index;

        internal Enumerator(ReceptionReportList list)
        {
            _list = list;
            _index = -1;
        }

        public readonly ReceptionReport Current => _list[_index];

        public bool MoveNext() => ++_index < _list.Count;
    }
}
