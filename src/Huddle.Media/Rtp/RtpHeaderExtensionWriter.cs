using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>An element to write: local id and data (the data is only read, never kept).</summary>
public readonly struct RtpHeaderExtensionEntry
{
    public RtpHeaderExtensionEntry(int id, ReadOnlyMemory<byte> data)
    {
        Id = id;
        Data = data;
    }

    public int Id { get; }
    public ReadOnlyMemory<byte> Data { get; }
}

/// <summary>
/// Writes an RTP header extension block (profile, length, elements, zero padding to a 32-bit
/// boundary) into a span, element by element, in the form given up front.
/// </summary>
/// <remarks>
/// The layouts are drawn on <see cref="RtpHeaderExtensions"/>. Padding is zero bytes at the end,
/// which RFC 8285 §4.1 requires receivers to skip.
/// </remarks>
public ref struct RtpHeaderExtensionWriter
{
    private readonly Span<byte> _destination;
    private readonly RtpExtensionForm _form;
    private int _position;
    private bool _failed;

    /// <summary>Starts a block in <paramref name="form"/> (one-byte or two-byte) at the start of <paramref name="destination"/>.</summary>
    public RtpHeaderExtensionWriter(Span<byte> destination, RtpExtensionForm form)
    {
        _destination = destination;
        _form = form;
        if (form == RtpExtensionForm.Unknown || destination.Length < RtpHeader.ExtensionHeaderLength)
        {
            _failed = true;
            return;
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination,
            form == RtpExtensionForm.OneByte ? RtpHeaderExtensions.OneByteProfile : RtpHeaderExtensions.TwoByteProfile);
        _position = RtpHeader.ExtensionHeaderLength;
    }

    /// <summary>
    /// Appends one element. False (and the writer is spent) when the id or length does not fit the
    /// form — one-byte: ids 1..14 and 1..16 bytes; two-byte: ids 1..255 and 0..255 bytes — or when the
    /// destination is full.
    /// </summary>
    public bool TryAdd(int id, ReadOnlySpan<byte> data)
    {
        if (_failed) return false;
        int headerSize;
        if (_form == RtpExtensionForm.OneByte)
        {
            if (!FitsOneByte(id, data.Length)) return Fail();
            headerSize = 1;
        }
        else
        {
            if (id < 1 || id > RtpHeaderExtensions.TwoByteMaxId || data.Length > RtpHeaderExtensions.TwoByteMaxDataLength) return Fail();
            headerSize = 2;
        }
        if (_destination.Length - _position < headerSize + data.Length) return Fail();

        if (_form == RtpExtensionForm.OneByte)
        {
            _destination[_position] = (byte)((id << RtpHeaderExtensions.OneByteIdShift) | (data.Length - 1));
        }
        else
        {
            _destination[_position] = (byte)id;
            _destination[_position + 1] = (byte)data.Length;
        }
        data.CopyTo(_destination.Slice(_position + headerSize));
        _position += headerSize + data.Length;
        return true;
    }

    /// <summary>Pads with zeros to a 32-bit boundary and fills in the length field.</summary>
    public bool TryFinish(out int written)
    {
        written = 0;
        if (_failed) return false;
        int padded = (_position + 3) & ~3;
        int words = (padded - RtpHeader.ExtensionHeaderLength) / 4;
        if (padded > _destination.Length || words > ushort.MaxValue) return Fail();
        _destination[_position..padded].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(_destination.Slice(2), (ushort)words);
        written = padded;
        _failed = true; // finished: further adds would corrupt the length
        return true;
    }

    private bool Fail()
    {
        _failed = true;
        return false;
    }

    private static bool FitsOneByte(int id, int length) =>
        id >= 1 && id <= RtpHeaderExtensions.OneByteMaxId && length >= 1 && length <= RtpHeaderExtensions.OneByteMaxDataLength;

    /// <summary>
    /// One-byte form when every id is 1..14 and every length 1..16 (it is smaller and is what every
    /// browser understands without a=extmap-allow-mixed), two-byte form otherwise (RFC 8285 §4.1.1).
    /// </summary>
    public static RtpExtensionForm ChooseForm(ReadOnlySpan<RtpHeaderExtensionEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (!FitsOneByte(entry.Id, entry.Data.Length)) return RtpExtensionForm.TwoByte;
        }
        return RtpExtensionForm.OneByte;
    }

    /// <summary>Bytes the block for <paramref name="entries"/> takes, header and padding included.</summary>
    public static int GetLength(ReadOnlySpan<RtpHeaderExtensionEntry> entries)
    {
        int headerSize = ChooseForm(entries) == RtpExtensionForm.OneByte ? 1 : 2;
        int length = RtpHeader.ExtensionHeaderLength;
        foreach (var entry in entries) length += headerSize + entry.Data.Length;
        return (length + 3) & ~3;
    }

    /// <summary>Writes a whole block for <paramref name="entries"/>, choosing the form with <see cref="ChooseForm"/>.</summary>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<RtpHeaderExtensionEntry> entries, out int written)
    {
        var writer = new RtpHeaderExtensionWriter(destination, ChooseForm(entries));
        foreach (var entry in entries)
        {
            if (!writer.TryAdd(entry.Id, entry.Data.Span))
            {
                written = 0;
                return false;
            }
        }
        return writer.TryFinish(out written);
    }
}
