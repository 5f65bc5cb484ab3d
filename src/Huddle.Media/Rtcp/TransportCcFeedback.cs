using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>A packet status symbol of transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.1).</summary>
public enum TransportCcStatus : byte
{
    NotReceived = 0,
    /// <summary>Received; its delta is one unsigned byte (0..63.75 ms).</summary>
    ReceivedSmallDelta = 1,
    /// <summary>Received; its delta is two signed bytes (negative, or above 63.75 ms).</summary>
    ReceivedLargeDelta = 2,
    // 3 is reserved: a packet using it does not parse.
}

/// <summary>What the feedback says about one transport-wide sequence number.</summary>
public readonly record struct TransportCcPacketStatus(ushort SequenceNumber, TransportCcStatus Status, short Delta)
{
    public bool IsReceived => Status != TransportCcStatus.NotReceived;

    /// <summary>The receive delta in microseconds: arrival minus the previous received packet's (or the reference time for the first).</summary>
    public long DeltaMicroseconds => Delta * (long)TransportCcFeedback.DeltaTickMicroseconds;
}

/// <summary>
/// Transport-wide congestion control feedback (RTPFB PT=205, FMT=15): for a range of transport-wide
/// sequence numbers, which packets arrived and when, so the sender can estimate bandwidth.
/// </summary>
/// <remarks>
/// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  FMT=15 |    PT=205     |           length              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     SSRC of packet sender                     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      SSRC of media source                     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      base sequence number     |      packet status count      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 reference time                | fb pkt. count |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          packet chunk         |         packet chunk          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// .                                                               .
/// .                                                               .
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         packet chunk          |  recv delta   |  recv delta   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// .                                                               .
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           recv delta          |  recv delta   | zero padding  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// run length chunk (§3.1.3):         status vector chunk (§3.1.4):
///  0                   1              0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |T| S |       Run Length        |  |T|S|       symbol list         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///  T=0, S = the symbol of the run     T=1; S=0: 14 one-bit symbols (0 not received,
///                                     1 small delta); S=1: 7 two-bit symbols
/// </code>
/// The reference time is a signed 24-bit count of 64 ms; receive deltas count 250 µs. Padding to
/// 32 bits is either zero bytes inside the length (pion) or RTCP padding with the P bit (libwebrtc);
/// both are read.
/// </remarks>
public readonly ref struct TransportCcFeedback
{
    public const int DeltaTickMicroseconds = 250;
    public const int ReferenceTimeTickMicroseconds = 64_000;

    // Offsets in the body.
    private const int BaseSequenceOffset = 8;
    private const int StatusCountOffset = 10;
    private const int ReferenceTimeOffset = 12;
    private const int FeedbackCountOffset = 15;
    internal const int ChunksOffset = 16;

    internal const int ChunkSize = 2;
    internal const ushort ChunkTypeBit = 0x8000;       // T: 0 run length, 1 status vector
    internal const ushort VectorSymbolSizeBit = 0x4000; // S in a vector: 0 one-bit, 1 two-bit symbols
    internal const int RunSymbolShift = 13;
    internal const ushort RunLengthMask = 0x1FFF;
    internal const int OneBitCapacity = 14;
    internal const int TwoBitCapacity = 7;
    internal const int ReservedSymbol = 3;
    public const int MaxRunLength = RunLengthMask;

    private readonly RtcpPacket _packet;
    private readonly int _deltasOffset;
    private readonly int _receivedCount;

    private TransportCcFeedback(RtcpPacket packet, int deltasOffset, int receivedCount)
    {
        _packet = packet;
        _deltasOffset = deltasOffset;
        _receivedCount = receivedCount;
    }

    /// <summary>
    /// Reads the feedback at the start of <paramref name="data"/>. False when the chunks do not cover
    /// the packet status count inside the packet, a symbol is the reserved value 3, or the receive
    /// deltas the symbols call for run past the end.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out TransportCcFeedback feedback)
    {
        feedback = default;
        if (!RtcpFeedback.TryParse(data, RtcpPacketType.TransportFeedback, RtcpFeedbackFormat.TransportCc, out var packet)) return false;
        var body = packet.Body;
        if (body.Length < ChunksOffset) return false;

        int count = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(StatusCountOffset));
        int offset = ChunksOffset;
        int covered = 0, deltaBytes = 0, received = 0;
        while (covered < count)
        {
            if (offset > body.Length - ChunkSize) return false;
            ushort chunk = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(offset));
            offset += ChunkSize;
            var kind = KindOf(chunk, out int capacity);
            // Symbols past the status count (the tail of the last chunk) are ignored, whatever they are.
            int used = Math.Min(capacity, count - covered);
            if (kind == ChunkKind.RunLength)
            {
                int symbol = SymbolAt(chunk, kind, 0);
                if (symbol == ReservedSymbol) return false;
                // A delta's size in bytes equals its symbol: 0, 1 or 2.
                deltaBytes += used * symbol;
                if (symbol != 0) received += used;
            }
            else
            {
                for (int i = 0; i < used; i++)
                {
                    int symbol = SymbolAt(chunk, kind, i);
                    if (symbol == ReservedSymbol) return false;
                    deltaBytes += symbol;
                    if (symbol != 0) received++;
                }
            }
            covered += used;
        }
        if (deltaBytes > body.Length - offset) return false;
        feedback = new TransportCcFeedback(packet, offset, received);
        return true;
    }

    internal enum ChunkKind : byte { RunLength, OneBitVector, TwoBitVector }

    internal static ChunkKind KindOf(ushort chunk, out int capacity)
    {
        if ((chunk & ChunkTypeBit) == 0)
        {
            capacity = chunk & RunLengthMask;
            return ChunkKind.RunLength;
        }
        if ((chunk & VectorSymbolSizeBit) == 0)
        {
            capacity = OneBitCapacity;
            return ChunkKind.OneBitVector;
        }
        capacity = TwoBitCapacity;
        return ChunkKind.TwoBitVector;
    }

    /// <summary>The symbol at <paramref name="index"/> of a chunk, most significant first.</summary>
    internal static int SymbolAt(ushort chunk, ChunkKind kind, int index) => kind switch
    {
        ChunkKind.RunLength => (chunk >> RunSymbolShift) & 0x3,
        ChunkKind.OneBitVector => (chunk >> (OneBitCapacity - 1 - index)) & 0x1,
        _ => (chunk >> (2 * (TwoBitCapacity - 1 - index))) & 0x3,
    };

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    public uint SenderSsrc => RtcpFeedback.SenderSsrc(_packet);
    public uint MediaSsrc => RtcpFeedback.MediaSsrc(_packet);
    public ushort BaseSequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_packet.Body.Slice(BaseSequenceOffset));
    public int PacketStatusCount => BinaryPrimitives.ReadUInt16BigEndian(_packet.Body.Slice(StatusCountOffset));

    /// <summary>Signed 24-bit, in 64 ms units.</summary>
    public int ReferenceTime
    {
        get
        {
            var b = _packet.Body.Slice(ReferenceTimeOffset);
            return (b[0] << 24 | b[1] << 16 | b[2] << 8) >> 8; // sign-extend
        }
    }

    public long ReferenceTimeMicroseconds => ReferenceTime * (long)ReferenceTimeTickMicroseconds;
    /// <summary>Counts feedback packets, so the sender notices lost ones.</summary>
    public byte FeedbackPacketCount => _packet.Body[FeedbackCountOffset];
    /// <summary>How many of the covered packets arrived (and so have a delta).</summary>
    public int ReceivedCount => _receivedCount;
    /// <summary>The packet chunks, as raw bytes.</summary>
    public ReadOnlySpan<byte> ChunkBytes => _packet.Body[ChunksOffset.._deltasOffset];
    /// <summary>The receive deltas and whatever zero padding follows them inside the length.</summary>
    public ReadOnlySpan<byte> DeltaBytes => _packet.Body[_deltasOffset..];

    /// <summary>Every covered sequence number with its status and delta, in order, without allocation.</summary>
    public Enumerator GetEnumerator() => new(_packet.Body, BaseSequenceNumber, PacketStatusCount, _deltasOffset);

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly ushort _base;
        private readonly int _count;
        private readonly int _chunksEnd;
        private int _index;
        private int _chunkOffset;
        private ushort _chunk;
        private ChunkKind _kind;
        private int _chunkUsed;
        private int _chunkCapacity;
        private int _deltaOffset;
        private TransportCcPacketStatus _current;

        internal Enumerator(ReadOnlySpan<byte> body, ushort baseSequence, int count, int deltasOffset)
        {
            _body = body;
            _base = baseSequence;
            _count = count;
            _chunksEnd = deltasOffset;
            _chunkOffset = ChunksOffset;
            _deltaOffset = deltasOffset;
        }

        public readonly TransportCcPacketStatus Current => _current;

        public bool MoveNext()
        {
            if (_index >= _count) return false;
            while (_chunkUsed >= _chunkCapacity)
            {
                // TryParse proved the chunks cover the count; the bound only guards against misuse.
                if (_chunkOffset > _chunksEnd - ChunkSize) return false;
                _chunk = BinaryPrimitives.ReadUInt16BigEndian(_body.Slice(_chunkOffset));
                _chunkOffset += ChunkSize;
                _kind = KindOf(_chunk, out _chunkCapacity);
                _chunkUsed = 0;
            }
            int symbol = SymbolAt(_chunk, _kind, _kind == ChunkKind.RunLength ? 0 : _chunkUsed);
            _chunkUsed++;

            short delta = 0;
            if (symbol == (int)TransportCcStatus.ReceivedSmallDelta)
            {
                if (_deltaOffset >= _body.Length) return false;
                delta = _body[_deltaOffset];
                _deltaOffset += 1;
            }
            else if (symbol == (int)TransportCcStatus.ReceivedLargeDelta)
            {
                if (_deltaOffset > _body.Length - 2) return false;
                delta = BinaryPrimitives.ReadInt16BigEndian(_body.Slice(_deltaOffset));
                _deltaOffset += 2;
            }
            else if (symbol != (int)TransportCcStatus.NotReceived)
            {
                return false;
            }
            _current = new TransportCcPacketStatus((ushort)(_base + _index), (TransportCcStatus)symbol, delta);
            _index++;
            return true;
        }
    }
}
