using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Huddle.Media.Stun;

/// <summary>
/// A STUN message read in place (RFC 8489 §5, §14). Parsing checks the header and that every attribute
/// lies inside the message; integrity and fingerprint are checked on request.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0|     STUN Message Type     |         Message Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Magic Cookie                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Transaction ID (96 bits)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// Message type: M11..M7 C1 M6..M4 C0 M3..M0 (class bits interleaved with the method).
/// Each attribute: Type (16) | Length (16) | Value, padded to 4 bytes.
/// </code>
/// </remarks>
public readonly ref struct StunMessage
{
    private const int TypeOffset = 0;
    private const int LengthOffset = 2;
    private const int CookieOffset = 4;
    private const int TransactionIdOffset = 8;

    public StunMessage(ReadOnlySpan<byte> raw, int integrityOffset, int fingerprintOffset)
    {
        Raw = raw;
        IntegrityOffset = integrityOffset;
        FingerprintOffset = fingerprintOffset;
    }

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>Offset of the MESSAGE-INTEGRITY attribute header, or -1.</summary>
    public int IntegrityOffset { get; }

    /// <summary>Offset of the FINGERPRINT attribute header, or -1.</summary>
    public int FingerprintOffset { get; }

    public ushort MessageType => BinaryPrimitives.ReadUInt16BigEndian(Raw);

    public StunClass Class => ClassOf(MessageType);

    public ushort Method => MethodOf(MessageType);

    public ReadOnlySpan<byte> TransactionId => Raw.Slice(TransactionIdOffset, StunConstants.TransactionIdLength);

    public bool HasIntegrity => IntegrityOffset >= 0;

    public bool HasFingerprint => FingerprintOffset >= 0;

    public static StunClass ClassOf(ushort type) => (StunClass)(((type >> 7) & 0x2) | ((type >> 4) & 0x1));

    public static ushort MethodOf(ushort type) => (ushort)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));

    public static ushort TypeOf(ushort method, StunClass cls)
    {
        int c = (int)cls;
        return (ushort)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7));
    }

    /// <summary>
    /// Reads a STUN message occupying the whole datagram. False for anything malformed: wrong top bits or
    /// cookie, a length that is not the datagram's, an attribute running past the end, or attributes after
    /// FINGERPRINT or (other than FINGERPRINT) after MESSAGE-INTEGRITY (RFC 8489 §14.5, §14.7).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out StunMessage message)
    {
        message = default;
        if (datagram.Length < StunConstants.HeaderLength || datagram.Length > StunConstants.MaxMessageLength) return false;
        if ((datagram[0] & 0xC0) != 0) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[CookieOffset..]) != StunConstants.MagicCookie) return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[LengthOffset..]);
        if ((length & 3) != 0 || length != datagram.Length - StunConstants.HeaderLength) return false;

        int integrity = -1, fingerprint = -1;
        int offset = StunConstants.HeaderLength;
        while (offset < datagram.Length)
        {
            if (fingerprint >= 0) return false;
            if (datagram.Length - offset < 4) return false;
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            int padded = (valueLength + 3) & ~3;
            if (padded > datagram.Length - offset - 4) return false;
            if (integrity >= 0 && type != StunAttributeType.Fingerprint) return false;
            if (type == StunAttributeType.MessageIntegrity)
            {
                if (valueLength != StunConstants.MessageIntegrityLength) return false;
                integrity = offset;
            }
            else if (type == StunAttributeType.Fingerprint)
            {
                if (valueLength != 4) return false;
                fingerprint = offset;
            }
            offset += 4 + padded;
        }
        message = new StunMessage(datagram, integrity, fingerprint);
        return true;
    }

    /// <summary>The value of the first attribute of <paramref name="type"/>, without padding.</summary>
    public bool TryGetAttribute(ushort type, out ReadOnlySpan<byte> value)
    {
        foreach (StunAttribute attribute in Attributes)
        {
            if (attribute.Type == type)
            {
                value = attribute.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    public bool HasAttribute(ushort type) => TryGetAttribute(type, out _);

    public AttributeEnumerable Attributes => new(Raw);

    public bool TryGetUInt32(ushort type, out uint value)
    {
        value = 0;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> v) || v.Length != 4) return false;
        value = BinaryPrimitives.ReadUInt32BigEndian(v);
        return true;
    }

    public bool TryGetUInt64(ushort type, out ulong value)
    {
        value = 0;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> v) || v.Length != 8) return false;
        value = BinaryPrimitives.ReadUInt64BigEndian(v);
        return true;
    }

    /// <summary>ERROR-CODE (RFC 8489 §14.8): class * 100 + number, and the reason phrase bytes.</summary>
    public bool TryGetErrorCode(out int code, out ReadOnlySpan<byte> reason)
    {
        code = 0;
        reason = default;
        if (!TryGetAttribute(StunAttributeType.ErrorCode, out ReadOnlySpan<byte> v) || v.Length < 4) return false;
        int cls = v[2] & 0x07, number = v[3];
        if (cls < 3 || cls > 6 || number > 99) return false;
        code = cls * 100 + number;
        reason = v[4..];
        return true;
    }

    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 §14.2), or MAPPED-ADDRESS when <paramref name="xor"/> is false.</summary>
    public bool TryGetAddress(out IPEndPoint? endPoint, bool xor = true)
    {
        endPoint = null;
        if (!TryGetAttribute(xor ? StunAttributeType.XorMappedAddress : StunAttributeType.MappedAddress, out ReadOnlySpan<byte> v)) return false;
        if (v.Length < 4 || v[0] != 0) return false;
        byte family = v[1];
        int port = BinaryPrimitives.ReadUInt16BigEndian(v[2..]);
        if (xor) port ^= (int)(StunConstants.MagicCookie >> 16);
        int addressLength = family switch { 0x01 => 4, 0x02 => 16, _ => 0 };
        if (addressLength == 0 || v.Length != 4 + addressLength) return false;
        Span<byte> address = stackalloc byte[addressLength];
        v.Slice(4, addressLength).CopyTo(address);
        if (xor)
        {
            // The address is XOR-ed with the cookie, then (IPv6) with the transaction ID.
            Span<byte> mask = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(mask, StunConstants.MagicCookie);
            TransactionId.CopyTo(mask[4..]);
            for (int i = 0; i < addressLength; i++) address[i] ^= mask[i];
        }
        endPoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the message up to the attribute, with the
    /// header's length field as if the message ended right after it. For ICE the key is the password.
    /// </summary>
    public bool VerifyIntegrity(ReadOnlySpan<byte> key)
    {
        if (IntegrityOffset < 0) return false;
        Span<byte> mac = stackalloc byte[StunConstants.MessageIntegrityLength];
        ComputeIntegrity(Raw[..IntegrityOffset], key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, Raw.Slice(IntegrityOffset + 4, StunConstants.MessageIntegrityLength));
    }

    /// <summary>Checks FINGERPRINT (RFC 8489 §14.7); false when it is absent.</summary>
    public bool VerifyFingerprint()
    {
        if (FingerprintOffset < 0) return false;
        uint expected = BinaryPrimitives.ReadUInt32BigEndian(Raw[(FingerprintOffset + 4)..]);
        return ComputeFingerprint(Raw[..FingerprintOffset]) == expected;
    }

    /// <summary>HMAC-SHA1 of <paramref name="prefix"/> (header and attributes before MESSAGE-INTEGRITY).</summary>
    internal static void ComputeIntegrity(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        Span<byte> copy = stackalloc byte[StunConstants.MaxMessageLength];
        prefix.CopyTo(copy);
        // The length covers everything up to and including MESSAGE-INTEGRITY.
        BinaryPrimitives.WriteUInt16BigEndian(copy[LengthOffset..], (ushort)(prefix.Length - StunConstants.HeaderLength + 4 + StunConstants.MessageIntegrityLength));
        HMACSHA1.HashData(key, copy[..prefix.Length], mac);
    }

    /// <summary>CRC-32 of <paramref name="prefix"/> with the length covering FINGERPRINT, XOR "STUN".</summary>
    internal static uint ComputeFingerprint(ReadOnlySpan<byte> prefix)
    {
        Span<byte> header = stackalloc byte[StunConstants.HeaderLength];
        prefix[..StunConstants.HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[LengthOffset..], (ushort)(prefix.Length - StunConstants.HeaderLength + 8));
        // CRC-32 is linear in its input stream, so hash the patched header and then the rest.
        uint crc = Crc32.Continue(0xFFFFFFFFu, header);
        crc = Crc32.Continue(crc, prefix[StunConstants.HeaderLength..]);
        return (crc ^ 0xFFFFFFFFu) ^ StunConstants.FingerprintXor;
    }

    /// <summary>Attributes in order, without allocation.</summary>
    public readonly ref struct AttributeEnumerable(ReadOnlySpan<byte> raw)
    {
        private readonly ReadOnlySpan<byte> _raw = raw;

        public AttributeEnumerator GetEnumerator() => new(_raw);
    }

    public ref struct AttributeEnumerator(ReadOnlySpan<byte> raw)
    {
        private readonly ReadOnlySpan<byte> _raw = raw;
        private int _next = StunConstants.HeaderLength;

        public StunAttribute Current { get; private set; }

        public bool MoveNext()
        {
            // TryParse has checked the bounds; stay safe for a default-constructed message too.
            if (_raw.Length - _next < 4) return false;
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(_raw[_next..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(_raw[(_next + 2)..]);
            if (length > _raw.Length - _next - 4) return false;
            Current = new StunAttribute(type, _raw.Slice(_next + 4, length));
            _next += 4 + ((length + 3) & ~3);
            return true;
        }
    }
}

/// <summary>One attribute: its type and value (without padding).</summary>
public readonly ref struct StunAttribute(ushort type, ReadOnlySpan<byte> value)
{
    public ushort Type { get; } = type;

    public ReadOnlySpan<byte> Value { get; } = value;

    /// <summary>Types 0x0000-0x7FFF must be understood (RFC 8489 §14).</summary>
    public bool IsComprehensionRequired => Type < 0x8000;
}
