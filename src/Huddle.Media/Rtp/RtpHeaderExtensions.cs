using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>Which RFC 8285 layout a header extension block uses, told by its profile field.</summary>
public enum RtpExtensionForm : byte
{
    /// <summary>Some other profile (RFC 3550 §5.3.1): the body is opaque.</summary>
    Unknown = 0,
    /// <summary>0xBEDE: one-byte element headers, ids 1..14, 1..16 data bytes (RFC 8285 §4.2).</summary>
    OneByte,
    /// <summary>0x100X: two-byte element headers, ids 1..255, 0..255 data bytes (RFC 8285 §4.3).</summary>
    TwoByte,
}

/// <summary>One element of a header extension: its local id (negotiated by a=extmap) and its data.</summary>
public readonly ref struct RtpHeaderExtensionElement
{
    public RtpHeaderExtensionElement(int id, ReadOnlySpan<byte> data)
    {
        Id = id;
        Data = data;
    }

    public int Id { get; }
    public ReadOnlySpan<byte> Data { get; }
}

/// <summary>
/// A view of the RFC 8285 elements inside an RTP header extension, one-byte or two-byte form,
/// enumerated without allocation.
/// </summary>
/// <remarks>
/// One-byte form, RFC 8285 §4.2:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       0xBE    |    0xDE       |           length=3            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ID   | L=0   |     data      |  ID   |  L=1  |   data...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///       ...data   |    0 (pad)    |    0 (pad)    |  ID   | L=3   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          data                                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Two-byte form, RFC 8285 §4.3:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       0x10    |    0x00       |           length=3            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      ID       |     L=0       |     ID        |     L=1       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       data    |    0 (pad)    |       ID      |      L=4      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          data                                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly ref struct RtpHeaderExtensions
{
    public const ushort OneByteProfile = 0xBEDE;
    /// <summary>0x100 followed by four "appbits" (RFC 8285 §4.3); written with appbits 0.</summary>
    public const ushort TwoByteProfile = 0x1000;
    internal const ushort TwoByteProfileMask = 0xFFF0;

    internal const int OneByteIdShift = 4;
    internal const byte OneByteLengthMask = 0x0F;
    /// <summary>RFC 8285 §4.2: id 15 is reserved; when seen, processing of the whole block stops.</summary>
    public const int OneByteStopId = 15;
    public const int OneByteMaxId = 14;
    public const int OneByteMaxDataLength = 16;
    public const int TwoByteMaxId = 255;
    public const int TwoByteMaxDataLength = 255;
    /// <summary>RFC 8285 §4.1: a zero byte between elements is padding, in either form.</summary>
    internal const byte PaddingByte = 0;

    private readonly ReadOnlySpan<byte> _body;

    internal RtpHeaderExtensions(ushort profile, ReadOnlySpan<byte> body)
    {
        Profile = profile;
        _body = body;
    }

    /// <summary>
    /// Reads a whole extension block (the four-byte profile/length header and the body it announces).
    /// False when the block is shorter than its length field says, or when an element runs past the end.
    /// Bytes after the announced body are ignored.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> block, out RtpHeaderExtensions extensions)
    {
        extensions = default;
        if (block.Length < RtpHeader.ExtensionHeaderLength) return false;
        ushort profile = BinaryPrimitives.ReadUInt16BigEndian(block);
        int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(block.Slice(2)) * 4;
        if (block.Length - RtpHeader.ExtensionHeaderLength < bodyLength) return false;
        var parsed = new RtpHeaderExtensions(profile, block.Slice(RtpHeader.ExtensionHeaderLength, bodyLength));
        if (!parsed.IsWellFormed) return false;
        extensions = parsed;
        return true;
    }

    public ushort Profile { get; }
    /// <summary>The body after the four-byte header: elements and padding.</summary>
    public ReadOnlySpan<byte> Data => _body;

    public RtpExtensionForm Form => FormOf(Profile);

    public static RtpExtensionForm FormOf(ushort profile) =>
        profile == OneByteProfile ? RtpExtensionForm.OneByte
        : (profile & TwoByteProfileMask) == TwoByteProfile ? RtpExtensionForm.TwoByte
        : RtpExtensionForm.Unknown;

    /// <summary>
    /// True when every element lies inside the body (an id-15 stop in the one-byte form ends the walk
    /// early and is well-formed). An unknown profile is opaque and counts as well-formed.
    /// </summary>
    public bool IsWellFormed
    {
        get
        {
            var e = GetEnumerator();
            while (e.MoveNext()) { }
            return !e.IsMalformed;
        }
    }

    /// <summary>Finds the first element with local id <paramref name="id"/>.</summary>
    public bool TryGet(int id, out ReadOnlySpan<byte> data)
    {
        foreach (var element in this)
        {
            if (element.Id == id)
            {
                data = element.Data;
                return true;
            }
        }
        data = default;
        return false;
    }

    /// <summary>Counts the elements (walking the body).</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var _ in this) n++;
            return n;
        }
    }

    public Enumerator GetEnumerator() => new(_body, Form);

    /// <summary>Walks the elements; stops at the end, at an id-15 stop, or at the first malformed element.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly RtpExtensionForm _form;
        private int _offset;
        private int _id;
        private int _dataOffset;
        private int _dataLength;

        internal Enumerator(ReadOnlySpan<byte> body, RtpExtensionForm form)
        {
            _body = body;
            _form = form;
            // An unknown profile has no elements we can read.
            _offset = form == RtpExtensionForm.Unknown ? body.Length : 0;
        }

        /// <summary>Set when the walk stopped because an element ran past the end of the body.</summary>
        public bool IsMalformed { get; private set; }

        public readonly RtpHeaderExtensionElement Current => new(_id, _body.Slice(_dataOffset, _dataLength));

        public bool MoveNext()
        {
            while (_offset < _body.Length)
            {
                byte b = _body[_offset];
                if (b == PaddingByte)
                {
                    _offset++;
                    continue;
                }

                int id, length, headerSize;
                if (_form == RtpExtensionForm.OneByte)
                {
                    id = b >> OneByteIdShift;
                    if (id == OneByteStopId)
                    {
                        _offset = _body.Length;
                        return false;
                    }
                    // id 0 with a non-zero length: libwebrtc and pion skip it byte by byte as padding.
                    if (id == 0)
                    {
                        _offset++;
                        continue;
                    }
                    length = (b & OneByteLengthMask) + 1; // L is "length minus one" (§4.2)
                    headerSize = 1;
                }
                else
                {
                    if (_offset + 2 > _body.Length) return Fail();
                    id = b;
                    length = _body[_offset + 1];
                    headerSize = 2;
                }

                int dataOffset = _offset + headerSize;
                if (length > _body.Length - dataOffset) return Fail();
                _id = id;
                _dataOffset = dataOffset;
                _dataLength = length;
                _offset = dataOffset + length;
                return true;
            }
            return false;
        }

        private bool Fail()
        {
            IsMalformed = true;
            _offset = _body.Length;
            return false;
        }
    }
}
