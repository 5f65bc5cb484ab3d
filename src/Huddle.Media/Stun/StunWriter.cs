using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Huddle.Media.Stun;

/// <summary>
/// Writes a STUN message into a caller's buffer (RFC 8489 §5, §14). Attributes are appended in call
/// order; MESSAGE-INTEGRITY and FINGERPRINT go last, in that order. When the buffer is too small the
/// writer stops and <see cref="TryComplete"/> returns false: nothing throws.
/// </summary>
public ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private int _length;
    private bool _overflow;

    public StunWriter(Span<byte> buffer, ushort method, StunClass cls, ReadOnlySpan<byte> transactionId)
    {
        _buffer = buffer;
        if (buffer.Length < StunConstants.HeaderLength || transactionId.Length != StunConstants.TransactionIdLength)
        {
            _overflow = true;
            return;
        }
        BinaryPrimitives.WriteUInt16BigEndian(buffer, StunMessage.TypeOf(method, cls));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunConstants.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = StunConstants.HeaderLength;
    }

    /// <summary>
    /// What attribute padding is filled with. RFC 8489 §14 says receivers ignore it; zero unless a test
    /// must reproduce a vector that pads with spaces (RFC 5769 does).
    /// </summary>
    public byte PaddingByte { get; set; }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    public void AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        Span<byte> slot = Reserve(type, value.Length);
        if (!slot.IsEmpty || value.IsEmpty) value.CopyTo(slot);
    }

    public void AddUInt32(ushort type, uint value)
    {
        Span<byte> slot = Reserve(type, 4);
        if (!slot.IsEmpty) BinaryPrimitives.WriteUInt32BigEndian(slot, value);
    }

    public void AddUInt64(ushort type, ulong value)
    {
        Span<byte> slot = Reserve(type, 8);
        if (!slot.IsEmpty) BinaryPrimitives.WriteUInt64BigEndian(slot, value);
    }

    /// <summary>A flag attribute with no value, like USE-CANDIDATE.</summary>
    public void AddFlag(ushort type) => Reserve(type, 0);

    /// <summary>ERROR-CODE (RFC 8489 §14.8) with an ASCII reason phrase.</summary>
    public void AddErrorCode(int code, string reason)
    {
        Span<byte> slot = Reserve(StunAttributeType.ErrorCode, 4 + reason.Length);
        if (slot.IsEmpty) return;
        slot[0] = 0;
        slot[1] = 0;
        slot[2] = (byte)(code / 100);
        slot[3] = (byte)(code % 100);
        for (int i = 0; i < reason.Length; i++) slot[4 + i] = reason[i] < 0x80 ? (byte)reason[i] : (byte)'?';
    }

    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 §14.2).</summary>
    public void AddXorAddress(IPAddress address, int port, ushort type = StunAttributeType.XorMappedAddress)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
            v6 = false;
        }
        int addressLength = v6 ? 16 : 4;
        Span<byte> slot = Reserve(type, 4 + addressLength);
        if (slot.IsEmpty) return;
        slot[0] = 0;
        slot[1] = v6 ? (byte)0x02 : (byte)0x01;
        BinaryPrimitives.WriteUInt16BigEndian(slot[2..], (ushort)(port ^ (int)(StunConstants.MagicCookie >> 16)));
        address.TryWriteBytes(slot[4..], out _);
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunConstants.MagicCookie);
        _buffer.Slice(8, StunConstants.TransactionIdLength).CopyTo(mask[4..]);
        for (int i = 0; i < addressLength; i++) slot[4 + i] ^= mask[i];
    }

    /// <summary>MESSAGE-INTEGRITY over everything written so far (RFC 8489 §14.5).</summary>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        int start = _length;
        Span<byte> slot = Reserve(StunAttributeType.MessageIntegrity, StunConstants.MessageIntegrityLength);
        if (slot.IsEmpty) return;
        StunMessage.ComputeIntegrity(_buffer[..start], key, slot);
    }

    /// <summary>FINGERPRINT over everything written so far (RFC 8489 §14.7).</summary>
    public void AddFingerprint()
    {
        int start = _length;
        Span<byte> slot = Reserve(StunAttributeType.Fingerprint, 4);
        if (slot.IsEmpty) return;
        BinaryPrimitives.WriteUInt32BigEndian(slot, StunMessage.ComputeFingerprint(_buffer[..start]));
    }

    /// <summary>The message length, or false when the buffer was too small for what was added.</summary>
    public readonly bool TryComplete(out int length)
    {
        length = _overflow ? 0 : _length;
        return !_overflow;
    }

    private Span<byte> Reserve(ushort type, int valueLength)
    {
        int padded = (valueLength + 3) & ~3;
        if (_overflow || valueLength > ushort.MaxValue || _length + 4 + padded > Math.Min(_buffer.Length, StunConstants.MaxMessageLength))
        {
            _overflow = true;
            return default;
        }
        Span<byte> header = _buffer[_length..];
        BinaryPrimitives.WriteUInt16BigEndian(header, type);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)valueLength);
        header.Slice(4 + valueLength, padded - valueLength).Fill(PaddingByte);
        _length += 4 + padded;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunConstants.HeaderLength));
        return _buffer.Slice(_length - padded, valueLength);
    }
}
