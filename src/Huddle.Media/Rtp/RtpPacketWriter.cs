using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>The fixed-header fields a sender chooses (RFC 3550 §5.1); V is always 2.</summary>
public struct RtpHeaderFields
{
    public bool Marker { get; set; }
    /// <summary>0..127.</summary>
    public byte PayloadType { get; set; }
    public ushort SequenceNumber { get; set; }
    public uint Timestamp { get; set; }
    public uint Ssrc { get; set; }
}

/// <summary>
/// Serializes an RTP packet: fixed header, CSRCs, optional header extension, payload and optional
/// padding. The layout is drawn on <see cref="RtpHeader"/>.
/// </summary>
public static class RtpPacketWriter
{
    /// <summary>Padding is counted by one octet, including itself (RFC 3550 §5.1).</summary>
    public const int MaxPaddingLength = 255;

    /// <summary>Bytes a packet takes; <paramref name="extensionBlockLength"/> includes the four-byte extension header.</summary>
    public static int GetLength(int csrcCount, int extensionBlockLength, int payloadLength, int paddingLength) =>
        RtpHeader.FixedHeaderLength + csrcCount * RtpHeader.CsrcSize + extensionBlockLength + payloadLength + paddingLength;

    /// <summary>Writes a packet without a header extension.</summary>
    public static bool TryWrite(Span<byte> destination, in RtpHeaderFields header, ReadOnlySpan<uint> csrcs,
        ReadOnlySpan<byte> payload, int paddingLength, out int written) =>
        TryWrite(destination, header, csrcs, ReadOnlySpan<byte>.Empty, payload, paddingLength, out written);

    /// <summary>
    /// Writes a packet whose extension block is given whole (four-byte profile/length header and body,
    /// as <see cref="RtpHeaderExtensionWriter"/> produces or <see cref="RtpHeader.ExtensionBlock"/>
    /// returns). An empty block means no extension (X=0). False when the block's length field does
    /// not match its size, when there are more than 15 CSRCs, a payload type above 127, more than 255
    /// bytes of padding, or too little room.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, in RtpHeaderFields header, ReadOnlySpan<uint> csrcs,
        ReadOnlySpan<byte> extensionBlock, ReadOnlySpan<byte> payload, int paddingLength, out int written)
    {
        written = 0;
        if (!extensionBlock.IsEmpty)
        {
            if (extensionBlock.Length < RtpHeader.ExtensionHeaderLength) return false;
            int words = BinaryPrimitives.ReadUInt16BigEndian(extensionBlock.Slice(2));
            if (RtpHeader.ExtensionHeaderLength + words * 4 != extensionBlock.Length) return false;
        }
        if (!TryWriteHeader(destination, header, csrcs, !extensionBlock.IsEmpty, extensionBlock.Length + payload.Length, paddingLength, out int offset, out int total))
            return false;
        extensionBlock.CopyTo(destination.Slice(offset));
        offset += extensionBlock.Length;
        return FinishPayload(destination, offset, payload, paddingLength, total, out written);
    }

    /// <summary>
    /// Writes a packet with header extension elements, choosing the one-byte form when every id is
    /// 1..14 and every length 1..16, the two-byte form otherwise. No entries means no extension.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, in RtpHeaderFields header, ReadOnlySpan<uint> csrcs,
        ReadOnlySpan<RtpHeaderExtensionEntry> extensions, ReadOnlySpan<byte> payload, int paddingLength, out int written)
    {
        written = 0;
        bool hasExtension = !extensions.IsEmpty;
        int extensionLength = hasExtension ? RtpHeaderExtensionWriter.GetLength(extensions) : 0;
        if (!TryWriteHeader(destination, header, csrcs, hasExtension, extensionLength + payload.Length, paddingLength, out int offset, out int total))
            return false;
        if (hasExtension)
        {
            if (!RtpHeaderExtensionWriter.TryWrite(destination.Slice(offset, extensionLength), extensions, out int extensionWritten))
                return false;
            offset += extensionWritten;
        }
        return FinishPayload(destination, offset, payload, paddingLength, total, out written);
    }

    private static bool TryWriteHeader(Span<byte> destination, in RtpHeaderFields header, ReadOnlySpan<uint> csrcs,
        bool hasExtension, int bytesAfterCsrcs, int paddingLength, out int offset, out int total)
    {
        offset = 0;
        total = 0;
        if (csrcs.Length > RtpHeader.MaxCsrcCount || header.PayloadType > RtpHeader.PayloadTypeMask) return false;
        if (paddingLength < 0 || paddingLength > MaxPaddingLength) return false;
        total = RtpHeader.FixedHeaderLength + csrcs.Length * RtpHeader.CsrcSize + bytesAfterCsrcs + paddingLength;
        if (destination.Length < total) return false;

        destination[RtpHeader.FirstByteOffset] = (byte)((RtpHeader.Version2 << RtpHeader.VersionShift)
            | (paddingLength > 0 ? RtpHeader.PaddingBit : 0)
            | (hasExtension ? RtpHeader.ExtensionBit : 0)
            | csrcs.Length);
        destination[RtpHeader.MarkerPayloadTypeOffset] = (byte)((header.Marker ? RtpHeader.MarkerBit : 0) | header.PayloadType);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(RtpHeader.SequenceNumberOffset), header.SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(RtpHeader.TimestampOffset), header.Timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(RtpHeader.SsrcOffset), header.Ssrc);
        offset = RtpHeader.CsrcOffset;
        foreach (uint csrc in csrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(offset), csrc);
            offset += RtpHeader.CsrcSize;
        }
        return true;
    }

    private static bool FinishPayload(Span<byte> destination, int offset, ReadOnlySpan<byte> payload, int paddingLength, int total, out int written)
    {
        payload.CopyTo(destination.Slice(offset));
        offset += payload.Length;
        if (paddingLength > 0)
        {
            // RFC 3550 §5.1: zero octets, the last one holding the count.
            destination.Slice(offset, paddingLength - 1).Clear();
            destination[offset + paddingLength - 1] = (byte)paddingLength;
            offset += paddingLength;
        }
        written = offset;
        return offset == total;
    }
}
