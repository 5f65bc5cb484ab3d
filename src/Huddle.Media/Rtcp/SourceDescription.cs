using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>SDES item types (RFC 3550 §6.5).</summary>
public enum SdesItemType : byte
{
    /// <summary>Ends the item list of a chunk.</summary>
    End = 0,
    /// <summary>Canonical name: ties the SSRCs of one participant together (RFC 3550 §6.5.1).</summary>
    Cname = 1,
    Name = 2,
    Email = 3,
    Phone = 4,
    Location = 5,
    Tool = 6,
    Note = 7,
    Private = 8,
}

/// <summary>A Source Description packet (PT=202): a list of chunks, each an SSRC and its items.</summary>
/// <remarks>
/// RFC 3550 §6.5:
/// <code>
///         0                   1                   2                   3
///         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// header |V=2|P|    SC   |  PT=SDES=202  |             length            |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// chunk  |                          SSRC/CSRC_1                          |
///   1    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                           SDES items                          |
///        |                              ...                              |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// chunk  |                          SSRC/CSRC_2                          |
///   2    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                           SDES items                          |
///        |                              ...                              |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///
/// an item (RFC 3550 §6.5.1, CNAME):
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |    CNAME=1    |     length    | user and domain name        ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Each chunk's items end with one or more zero octets (an item type of 0, no length) that also pad
/// the chunk to the next 32-bit boundary.
/// </remarks>
public readonly ref struct SourceDescription
{
    internal const int ChunkSsrcSize = 4;
    internal const int ItemHeaderSize = 2;
    public const int MaxItemLength = 255;

    private readonly RtcpPacket _packet;

    private SourceDescription(RtcpPacket packet) => _packet = packet;

    /// <summary>
    /// Reads the SDES at the start of <paramref name="data"/>. False unless all SC chunks lie inside
    /// the packet, each with its items and a terminating zero octet. Bytes after the last chunk are ignored.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out SourceDescription description)
    {
        description = default;
        if (!RtcpPacket.TryParse(data, out var packet) || packet.PacketType != RtcpPacketType.SourceDescription) return false;
        var body = packet.Body;
        int offset = 0;
        for (int i = 0; i < packet.Count; i++)
        {
            if (!TryReadChunk(body, offset, out _, out _, out offset)) return false;
        }
        description = new SourceDescription(packet);
        return true;
    }

    /// <summary>Finds the chunk at <paramref name="offset"/>: its items, and where the next chunk starts.</summary>
    internal static bool TryReadChunk(ReadOnlySpan<byte> body, int offset, out int itemsStart, out int itemsEnd, out int next)
    {
        itemsStart = itemsEnd = next = 0;
        if (offset > body.Length - ChunkSsrcSize) return false;
        int i = itemsStart = offset + ChunkSsrcSize;
        while (true)
        {
            if (i >= body.Length) return false; // no terminator
            if (body[i] == (byte)SdesItemType.End)
            {
                itemsEnd = i;
                // The terminator and its padding run to the next 32-bit boundary; the body starts on one.
                next = (i + 1 + 3) & ~3;
                return next <= body.Length;
            }
            if (i + ItemHeaderSize > body.Length) return false;
            int length = body[i + 1];
            if (length > body.Length - i - ItemHeaderSize) return false;
            i += ItemHeaderSize + length;
        }
    }

    public RtcpPacket Packet => _packet;
    public int Length => _packet.Length;
    /// <summary>SC: the number of chunks.</summary>
    public int ChunkCount => _packet.Count;

    public ChunkEnumerator GetEnumerator() => new(_packet.Body, _packet.Count);

    /// <summary>The first CNAME in the packet and the SSRC it belongs to.</summary>
    public bool TryGetCname(out uint ssrc, out ReadOnlySpan<byte> cname)
    {
        foreach (var chunk in this)
        {
            if (chunk.TryGetItem(SdesItemType.Cname, out cname))
            {
                ssrc = chunk.Ssrc;
                return true;
            }
        }
        ssrc = 0;
        cname = default;
        return false;
    }

    public bool TryWrite(Span<byte> destination, out int written) => _packet.TryWrite(destination, out written);

    /// <summary>Bytes an SDES with one chunk holding one CNAME of <paramref name="cnameLength"/> bytes takes.</summary>
    public static int GetCnameLength(int cnameLength) =>
        RtcpHeader.Size + ((ChunkSsrcSize + ItemHeaderSize + cnameLength + 1 + 3) & ~3);

    /// <summary>Writes an SDES packet with a single chunk carrying a CNAME, as every RTCP compound packet needs (RFC 3550 §6.1).</summary>
    public static bool TryWriteCname(Span<byte> destination, uint ssrc, ReadOnlySpan<byte> cname, out int written)
    {
        var writer = new SourceDescriptionWriter(destination);
        written = 0;
        return writer.TryAddChunk(ssrc) && writer.TryAddItem(SdesItemType.Cname, cname) && writer.TryFinish(out written);
    }

    public ref struct ChunkEnumerator
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly int _count;
        private int _index;
        private int _offset;
        private SdesChunk _current;

        internal ChunkEnumerator(ReadOnlySpan<byte> body, int count)
        {
            _body = body;
            _count = count;
        }

        public readonly SdesChunk Current => _current;

        public bool MoveNext()
        {
            if (_index >= _count) return false;
            if (!TryReadChunk(_body, _offset, out int itemsStart, out int itemsEnd, out int next)) return false;
            _current = new SdesChunk(BinaryPrimitives.ReadUInt32BigEndian(_body.Slice(_offset)), _body[itemsStart..itemsEnd]);
            _offset = next;
            _index++;
            return true;
        }
    }
}

/// <summary>One SDES chunk: the SSRC or CSRC it describes and its items (without the terminator).</summary>
public readonly ref struct SdesChunk
{
    private readonly ReadOnlySpan<byte> _items;

    internal SdesChunk(uint ssrc, ReadOnlySpan<byte> items)
    {
        Ssrc = ssrc;
        _items = items;
    }

    public uint Ssrc { get; }

    /// <summary>The raw item list: type, length, text, repeated.</summary>
    public ReadOnlySpan<byte> ItemBytes => _items;

    public bool TryGetItem(SdesItemType type, out ReadOnlySpan<byte> text)
    {
        foreach (var item in this)
        {
            if (item.Type == type)
            {
                text = item.Text;
                return true;
            }
        }
        text = default;
        return false;
    }

    public ItemEnumerator GetEnumerator() => new(_items);

    public ref struct ItemEnumerator
    {
        private readonly ReadOnlySpan<byte> _items;
        private int _offset;
        private SdesItem _current;

        internal ItemEnumerator(ReadOnlySpan<byte> items) => _items = items;

        public readonly SdesItem Current => _current;

        public bool MoveNext()
        {
            // The chunk was checked when parsed; the bounds tests only keep a misuse from throwing.
            if (_offset > _items.Length - SourceDescription.ItemHeaderSize) return false;
            int length = _items[_offset + 1];
            if (length > _items.Length - _offset - SourceDescription.ItemHeaderSize) return false;
            _current = new SdesItem((SdesItemType)_items[_offset], _items.Slice(_offset + SourceDescription.ItemHeaderSize, length));
            _offset += SourceDescription.ItemHeaderSize + length;
            return true;
        }
    }
}

/// <summary>One SDES item: type and text (UTF-8 per RFC 3550 §6.5; CNAME is ASCII in practice).</summary>
public readonly ref struct SdesItem
{
    internal SdesItem(SdesItemType type, ReadOnlySpan<byte> text)
    {
        Type = type;
        Text = text;
    }

    public SdesItemType Type { get; }
    public ReadOnlySpan<byte> Text { get; }
}
