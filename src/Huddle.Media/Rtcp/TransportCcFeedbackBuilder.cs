using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>
/// Builds transport-wide CC feedback (layout on <see cref="TransportCcFeedback"/>) from the
/// transport-wide sequence numbers and arrival times of received packets. Packets between the
/// lowest and highest sequence number that were not added are reported lost.
/// </summary>
/// <remarks>
/// Follows libwebrtc's choices: the reference time is the first packet's arrival rounded down to
/// 64 ms; deltas are taken between consecutive received packets in sequence order, on a 250 µs
/// grid kept in absolute terms so rounding does not accumulate; a delta that does not fit 16 signed
/// bits cannot be expressed, and the write fails (send two feedback packets instead). The packet is
/// padded to 32 bits with RTCP padding (P bit and count). This class allocates; it runs once per
/// feedback interval, not per packet.
/// </remarks>
public sealed class TransportCcFeedbackBuilder
{
    private readonly List<(long Sequence, long ArrivalMicroseconds)> _packets = [];
    private long _lastUnwrapped;

    /// <summary>Packets added since the last <see cref="Clear"/>.</summary>
    public int Count => _packets.Count;

    public void Clear() => _packets.Clear();

    /// <summary>
    /// Records a received packet. Sequence numbers are unwrapped against the previous one, so they
    /// may arrive out of order and across the 16-bit wrap. A repeated sequence number keeps its
    /// first arrival.
    /// </summary>
    public void AddReceivedPacket(ushort sequenceNumber, long arrivalTimeMicroseconds)
    {
        long unwrapped = _packets.Count == 0
            ? sequenceNumber
            : _lastUnwrapped + (short)(ushort)(sequenceNumber - (ushort)_lastUnwrapped);
        _lastUnwrapped = unwrapped;
        _packets.Add((unwrapped, arrivalTimeMicroseconds));
    }

    /// <summary>Builds feedback from a list of (sequence number, arrival time in µs) in one call.</summary>
    public static bool TryWrite(Span<byte> destination, uint senderSsrc, uint mediaSsrc, byte feedbackPacketCount,
        ReadOnlySpan<(ushort SequenceNumber, long ArrivalTimeMicroseconds)> packets, out int written)
    {
        var builder = new TransportCcFeedbackBuilder();
        foreach (var (seq, arrival) in packets) builder.AddReceivedPacket(seq, arrival);
        return builder.TryWrite(destination, senderSsrc, mediaSsrc, feedbackPacketCount, out written);
    }

    /// <summary>Bytes <see cref="TryWrite(Span{byte}, uint, uint, byte, out int)"/> will write, or -1 when the packets cannot be encoded.</summary>
    public int GetLength() => TryEncode(out var encoded) ? encoded.Length : -1;

    /// <summary>
    /// Writes the feedback. False with no packets, a range over 65535 sequence numbers, a delta
    /// outside ±8.19 s, or too little room.
    /// </summary>
    public bool TryWrite(Span<byte> destination, uint senderSsrc, uint mediaSsrc, byte feedbackPacketCount, out int written)
    {
        written = 0;
        if (!TryEncode(out var e) || destination.Length < e.Length) return false;

        if (!RtcpFeedback.TryWriteHeader(destination, RtcpPacketType.TransportFeedback, RtcpFeedbackFormat.TransportCc, e.Length,
                senderSsrc, mediaSsrc, out var fci))
            return false;
        if (e.Padding > 0) destination[0] |= RtcpHeader.PaddingBit;

        BinaryPrimitives.WriteUInt16BigEndian(fci, e.BaseSequence);
        BinaryPrimitives.WriteUInt16BigEndian(fci.Slice(2), (ushort)e.Statuses.Length);
        fci[4] = (byte)(e.ReferenceTime >> 16);
        fci[5] = (byte)(e.ReferenceTime >> 8);
        fci[6] = (byte)e.ReferenceTime;
        fci[7] = feedbackPacketCount;
        int offset = 8;
        foreach (ushort chunk in e.Chunks)
        {
            BinaryPrimitives.WriteUInt16BigEndian(fci.Slice(offset), chunk);
            offset += TransportCcFeedback.ChunkSize;
        }
        for (int i = 0; i < e.Statuses.Length; i++)
        {
            if (e.Statuses[i] == TransportCcStatus.ReceivedSmallDelta)
            {
                fci[offset++] = (byte)e.Deltas[i];
            }
            else if (e.Statuses[i] == TransportCcStatus.ReceivedLargeDelta)
            {
                BinaryPrimitives.WriteInt16BigEndian(fci.Slice(offset), e.Deltas[i]);
                offset += 2;
            }
        }
        if (e.Padding > 0)
        {
            // RFC 3550 §6.4.1 padding: zeros, then the count in the last octet.
            fci.Slice(offset, e.Padding - 1).Clear();
            fci[offset + e.Padding - 1] = (byte)e.Padding;
        }
        written = e.Length;
        return true;
    }

    private sealed class Encoded
    {
        public ushort BaseSequence;
        public int ReferenceTime;
        public TransportCcStatus[] Statuses = [];
        public short[] Deltas = [];
        public List<ushort> Chunks = [];
        public int Padding;
        public int Length;
    }

    private bool TryEncode(out Encoded encoded)
    {
        encoded = new Encoded();
        if (_packets.Count == 0) return false;

        // Sequence order, first arrival of a repeated sequence number.
        var sorted = _packets.Select((p, i) => (p.Sequence, p.ArrivalMicroseconds, Order: i))
            .OrderBy(p => p.Sequence).ThenBy(p => p.Order).ToList();
        long first = sorted[0].Sequence;
        long span = sorted[^1].Sequence - first + 1;
        if (span > ushort.MaxValue) return false;

        var statuses = new TransportCcStatus[span];
        var deltas = new short[span];
        long referenceTime = FloorDiv(sorted[0].ArrivalMicroseconds, TransportCcFeedback.ReferenceTimeTickMicroseconds);
        long previousTick = referenceTime * (TransportCcFeedback.ReferenceTimeTickMicroseconds / TransportCcFeedback.DeltaTickMicroseconds);
        int deltaBytes = 0;
        long lastSequence = long.MinValue;
        foreach (var (sequence, arrival, _) in sorted)
        {
            if (sequence == lastSequence) continue;
            lastSequence = sequence;
            long tick = FloorDiv(arrival, TransportCcFeedback.DeltaTickMicroseconds);
            long delta = tick - previousTick;
            if (delta < short.MinValue || delta > short.MaxValue) return false;
            previousTick = tick;
            int index = (int)(sequence - first);
            deltas[index] = (short)delta;
            statuses[index] = delta is >= 0 and <= byte.MaxValue ? TransportCcStatus.ReceivedSmallDelta : TransportCcStatus.ReceivedLargeDelta;
            deltaBytes += (int)statuses[index];
        }

        encoded.BaseSequence = (ushort)first;
        encoded.ReferenceTime = (int)(referenceTime & 0xFF_FFFF);
        encoded.Statuses = statuses;
        encoded.Deltas = deltas;
        encoded.Chunks = EncodeChunks(statuses);
        int unpadded = RtcpFeedback.HeaderLength + 8 + encoded.Chunks.Count * TransportCcFeedback.ChunkSize + deltaBytes;
        encoded.Length = (unpadded + 3) & ~3;
        encoded.Padding = encoded.Length - unpadded;
        return encoded.Length <= RtcpHeader.MaxPacketLength;
    }

    /// <summary>
    /// Run-length chunks for runs of 14 or more (and for a run that ends the list), otherwise a
    /// one-bit vector of the next 14 symbols if none is a large delta, otherwise a two-bit vector of
    /// the next 7.
    /// </summary>
    private static List<ushort> EncodeChunks(TransportCcStatus[] statuses)
    {
        var chunks = new List<ushort>();
        int i = 0;
        while (i < statuses.Length)
        {
            int run = 1;
            while (i + run < statuses.Length && statuses[i + run] == statuses[i] && run < TransportCcFeedback.MaxRunLength) run++;
            if (run >= TransportCcFeedback.OneBitCapacity || i + run == statuses.Length)
            {
                chunks.Add((ushort)((int)statuses[i] << TransportCcFeedback.RunSymbolShift | run));
                i += run;
                continue;
            }

            int window = Math.Min(TransportCcFeedback.OneBitCapacity, statuses.Length - i);
            bool hasLarge = false;
            for (int k = 0; k < window; k++) hasLarge |= statuses[i + k] == TransportCcStatus.ReceivedLargeDelta;
            int chunk = TransportCcFeedback.ChunkTypeBit;
            if (!hasLarge)
            {
                for (int k = 0; k < window; k++)
                    chunk |= (int)statuses[i + k] << (TransportCcFeedback.OneBitCapacity - 1 - k);
                i += window;
            }
            else
            {
                chunk |= TransportCcFeedback.VectorSymbolSizeBit;
                window = Math.Min(TransportCcFeedback.TwoBitCapacity, statuses.Length - i);
                for (int k = 0; k < window; k++)
                    chunk |= (int)statuses[i + k] << (2 * (TransportCcFeedback.TwoBitCapacity - 1 - k));
                i += window;
            }
            chunks.Add((ushort)chunk);
        }
        return chunks;
    }

    private static long FloorDiv(long value, long divisor)
    {
        long q = Math.DivRem(value, divisor, out long r);
        return r < 0 ? q - 1 : q;
    }
}
