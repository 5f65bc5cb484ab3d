using System.Buffers.Binary;

namespace Huddle.Media.Rtcp;

/// <summary>
/// Writes an SDES packet chunk by chunk and item by item into a span; the layout is drawn on
/// <see cref="SourceDescription"/>.
/// </summary>
public ref struct SourceDescriptionWriter
{
    private readonly Span<byte> _destination;
    private int _position;
    private int _chunkCount;
    private bool _inChunk;
    private bool _failed;

    public SourceDescriptionWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = RtcpHeader.Size;
        _failed = destination.Length < RtcpHeader.Size;
    }

    /// <summary>Starts a chunk for <paramref name="ssrc"/>, ending the previous one. At most 31 chunks.</summary>
    public bool TryAddChunk(uint ssrc)
    {
        if (_failed) return false;
        if (_chunkCount == RtcpHeader.MaxCount) return Fail();
        if (_inChunk && !TryEndChunk()) return false;
        if (_destination.Length - _position < SourceDescription.ChunkSsrcSize) return Fail();
        BinaryPrimitives.WriteUInt32BigEndian(_destination.Slice(_position), ssrc);
        _position += SourceDescription.ChunkSsrcSize;
        _chunkCount++;
        _inChunk = true;
        return true;
    }

    /// <summary>Adds an item to the current chunk. Text is at most 255 bytes; type <see cref="SdesItemType.End"/> is not an item.</summary>
    public bool TryAddItem(SdesItemType type, ReadOnlySpan<byte> text)
    {
        if (_failed) return false;
        if (!_inChunk || type == SdesItemType.End || text.Length > SourceDescription.MaxItemLength) return Fail();
        if (_destination.Length - _position < SourceDescription.ItemHeaderSize + text.Length) return Fail();
        _destination[_position] = (byte)type;
        _destination[_position + 1] = (byte)text.Length;
        text.CopyTo(_destination.Slice(_position + SourceDescription.ItemHeaderSize));
        _position += SourceDescription.ItemHeaderSize + text.Length;
        return true;
    }

    /// <summary>Ends the last chunk and writes the header.</summary>
    public bool TryFinish(out int written)
    {
        written = 0;
        if (_failed) return false;
        if (_inChunk && !TryEndChunk()) return false;
        if (_position > RtcpHeader.MaxPacketLength) return Fail();
        RtcpHeader.Write(_destination, false, _chunkCount, RtcpPacketType.SourceDescription, _position);
        written = _position;
        _failed = true; // finished
        return true;
    }

    private bool TryEndChunk()
    {
        // RFC 3550 §6.5: a null octet ends the items, and more null octets pad to 32 bits.
        int end = (_position + 1 + 3) & ~3;
        if (end > _destination.Length) return Fail();
        _destination[_position..end].Clear();
        _position = end;
        _inChunk = false;
        return true;
    }

    private bool Fail()
    {
        _failed = true;
        return false;
    }
}
