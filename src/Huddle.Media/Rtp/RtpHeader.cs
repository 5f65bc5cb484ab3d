using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>
/// A read-only view of one RTP packet: the fixed header, the CSRC list, the header extension block
/// and where the payload lies once padding is removed. Nothing is copied; the view borrows the span.
/// </summary>
/// <remarks>
/// RFC 3550 §5.1 (fixed header) and §5.3.1 (header extension):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           synchronization source (SSRC) identifier            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |            contributing source (CSRC) identifiers             |
/// |                             ....                              |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |      defined by profile       |           length              |  (only when X=1)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        header extension                       |
/// |                             ....                              |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                            payload                            |
/// |                             ....                              |
/// |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |    padding    | padding count |  (only when P=1)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly ref partial struct RtpHeader
{
    /// <summary>The only RTP version in use (RFC 3550 §5.1).</summary>
    public const byte Version2 = 2;
    public const int FixedHeaderLength = 12;
    public const int CsrcSize = 4;
    /// <summary>CC is four bits wide.</summary>
    public const int MaxCsrcCount = 15;
    /// <summary>"defined by profile" and "length" in front of the extension (RFC 3550 §5.3.1).</summary>
    public const int ExtensionHeaderLength = 4;

    internal const int VersionShift = 6;
    internal const byte PaddingBit = 0x20;
    internal const byte ExtensionBit = 0x10;
    internal const byte CsrcCountMask = 0x0F;
    internal const byte MarkerBit = 0x80;
    internal const byte PayloadTypeMask = 0x7F;

    internal const int FirstByteOffset = 0;
    internal const int MarkerPayloadTypeOffset = 1;
    internal const int SequenceNumberOffset = 2;
    internal const int TimestampOffset = 4;
    internal const int SsrcOffset = 8;
    internal const int CsrcOffset = 12;

    private readonly ReadOnlySpan<byte> _packet;
    private readonly int _csrcEnd;       // where CSRCs end: the extension block or the payload starts here
    private readonly int _payloadOffset; // after the extension block, if any
    private readonly int _payloadEnd;    // before the padding, if any

    private RtpHeader(ReadOnlySpan<byte> packet, int csrcEnd, int payloadOffset, int payloadEnd)
    {
        _packet = packet;
        _csrcEnd = csrcEnd;
        _payloadOffset = payloadOffset;
        _payloadEnd = payloadEnd;
    }

    /// <summary>
    /// Reads an RTP packet. Returns false, never throws, when the version is not 2 or when CC, the
    /// extension length or the padding count point past the end of the datagram.
    /// </summary>
    /// <remarks>
    /// The elements inside the header extension are not checked here: like libwebrtc, a packet with a
    /// damaged extension is still forwarded, and <see cref="RtpHeaderExtensions"/> enumerates only the
    /// well-formed prefix.
    /// </remarks>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtpHeader header)
    {
        header = default;
        if (packet.Length < FixedHeaderLength) return false;
        byte first = packet[FirstByteOffset];
        if (first >> VersionShift != Version2) return false;

        int offset = CsrcOffset + (first & CsrcCountMask) * CsrcSize;
        if (offset > packet.Length) return false;
        int csrcEnd = offset;

        if ((first & ExtensionBit) != 0)
        {
            if (offset + ExtensionHeaderLength > packet.Length) return false;
            // RFC 3550 §5.3.1: the length counts 32-bit words after the four-byte extension header.
            int words = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(offset + 2));
            offset += ExtensionHeaderLength + words * 4;
            if (offset > packet.Length) return false;
        }

        int end = packet.Length;
        if ((first & PaddingBit) != 0)
        {
            // RFC 3550 §5.1: the last octet counts the padding including itself, so it is at least 1,
            // and the padding may not reach back into the header.
            if (end == offset) return false;
            int padding = packet[end - 1];
            if (padding == 0 || padding > end - offset) return false;
            end -= padding;
        }

        header = new RtpHeader(packet, csrcEnd, offset, end);
        return true;
    }

    /// <summary>The whole packet this view was parsed from.</summary>
    public ReadOnlySpan<byte> Packet => _packet;
    /// <summary>Bytes of the whole packet, as <see cref="TryWrite"/> copies them.</summary>
    public int Length => _packet.Length;

    public byte Version => (byte)(_packet[FirstByteOffset] >> VersionShift);
    public bool HasPadding => (_packet[FirstByteOffset] & PaddingBit) != 0;
    public bool HasExtension => (_packet[FirstByteOffset] & ExtensionBit) != 0;
    public int CsrcCount => _packet[FirstByteOffset] & CsrcCountMask;
    public bool Marker => (_packet[MarkerPayloadTypeOffset] & MarkerBit) != 0;
    public byte PayloadType => (byte)(_packet[MarkerPayloadTypeOffset] & PayloadTypeMask);
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(SequenceNumberOffset));
    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(_packet.Slice(TimestampOffset));
    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_packet.Slice(SsrcOffset));

    /// <summary>The CSRC list as raw bytes, four per identifier.</summary>
    public ReadOnlySpan<byte> CsrcBytes => _packet[CsrcOffset.._csrcEnd];

    /// <summary>The CSRC at <paramref name="index"/> (0 ≤ index &lt; <see cref="CsrcCount"/>).</summary>
    public uint GetCsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, CsrcCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_packet.Slice(CsrcOffset + index * CsrcSize));
    }

    /// <summary>The 16-bit "defined by profile" field: 0xBEDE, 0x100X, or anything else. 0 without X.</summary>
    public ushort ExtensionProfile =>
        HasExtension ? BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(_csrcEnd)) : (ushort)0;

    /// <summary>The extension block: four-byte header and body. Empty without X.</summary>
    public ReadOnlySpan<byte> ExtensionBlock => _packet[_csrcEnd.._payloadOffset];

    /// <summary>The extension body after its four-byte header. Empty without X.</summary>
    public ReadOnlySpan<byte> ExtensionData =>
        HasExtension ? _packet[(_csrcEnd + ExtensionHeaderLength).._payloadOffset] : default;

    /// <summary>The RFC 8285 elements of the header extension (empty without X).</summary>
    public RtpHeaderExtensions Extensions =>
        HasExtension ? new RtpHeaderExtensions(ExtensionProfile, ExtensionData) : default;

    /// <summary>Fixed header, CSRCs and extension block: where the payload starts.</summary>
    public int HeaderLength => _payloadOffset;
    public int PayloadOffset => _payloadOffset;
    /// <summary>Payload bytes without the padding.</summary>
    public int PayloadLength => _payloadEnd - _payloadOffset;
    public ReadOnlySpan<byte> Payload => _packet[_payloadOffset.._payloadEnd];
    /// <summary>Padding bytes at the end including the count octet; 0 when P is clear.</summary>
    public int PaddingLength => _packet.Length - _payloadEnd;

    /// <summary>Copies the packet as received, byte for byte.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (!_packet.TryCopyTo(destination))
        {
            written = 0;
            return false;
        }
        written = _packet.Length;
        return true;
    }
}
