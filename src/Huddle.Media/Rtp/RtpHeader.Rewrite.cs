using System.Buffers.Binary;

namespace Huddle.Media.Rtp;

/// <summary>
/// In-place rewrites an SFU makes on every forwarded packet: each receiver gets its own SSRC,
/// a gap-free sequence number space, a continuous timestamp and its negotiated payload type, without
/// copying the packet (RFC 7667 §3.7, "Selective Forwarding Middlebox").
/// </summary>
public readonly ref partial struct RtpHeader
{
    /// <summary>Overwrites the SSRC. False, and nothing written, when the span is shorter than the fixed header.</summary>
    public static bool SetSsrc(Span<byte> packet, uint ssrc)
    {
        if (packet.Length < FixedHeaderLength) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet.Slice(SsrcOffset), ssrc);
        return true;
    }

    public static bool SetSequenceNumber(Span<byte> packet, ushort sequenceNumber)
    {
        if (packet.Length < FixedHeaderLength) return false;
        BinaryPrimitives.WriteUInt16BigEndian(packet.Slice(SequenceNumberOffset), sequenceNumber);
        return true;
    }

    public static bool SetTimestamp(Span<byte> packet, uint timestamp)
    {
        if (packet.Length < FixedHeaderLength) return false;
        BinaryPrimitives.WriteUInt32BigEndian(packet.Slice(TimestampOffset), timestamp);
        return true;
    }

    /// <summary>Overwrites the 7-bit payload type and keeps the marker bit. False for values above 127.</summary>
    public static bool SetPayloadType(Span<byte> packet, byte payloadType)
    {
        if (packet.Length < FixedHeaderLength || payloadType > PayloadTypeMask) return false;
        ref byte b = ref packet[MarkerPayloadTypeOffset];
        b = (byte)((b & MarkerBit) | payloadType);
        return true;
    }

    /// <summary>Sets or clears the marker bit and keeps the payload type.</summary>
    public static bool SetMarker(Span<byte> packet, bool marker)
    {
        if (packet.Length < FixedHeaderLength) return false;
        ref byte b = ref packet[MarkerPayloadTypeOffset];
        b = marker ? (byte)(b | MarkerBit) : (byte)(b & PayloadTypeMask);
        return true;
    }

    /// <summary>
    /// Finds extension element <paramref name="id"/> in a packet that may be written to, so that a
    /// forwarder can restamp abs-send-time or transport-wide-cc in place. False when the packet does
    /// not parse or has no such element.
    /// </summary>
    public static bool TryGetExtensionElement(Span<byte> packet, int id, out Span<byte> data)
    {
        data = default;
        if (!TryParse(packet, out RtpHeader header)) return false;
        if (!header.Extensions.TryGet(id, out ReadOnlySpan<byte> found)) return false;
        // The element is a slice of the packet by construction; recover its offset to hand out a
        // writable span over the same bytes.
        if (!((ReadOnlySpan<byte>)packet).Overlaps(found, out int offset)) return found.IsEmpty;
        data = packet.Slice(offset, found.Length);
        return true;
    }
}
