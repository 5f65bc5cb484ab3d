namespace Huddle.Media.Stun;

/// <summary>Numbers from RFC 8489 (STUN) and RFC 8445 (ICE) that the parser and writer share.</summary>
public static class StunConstants
{
    public const uint MagicCookie = 0x2112A442;
    public const int HeaderLength = 20;
    public const int TransactionIdLength = 12;
    /// <summary>HMAC-SHA1 output (RFC 8489 §14.5).</summary>
    public const int MessageIntegrityLength = 20;
    /// <summary>
    /// Largest message we read or write. RFC 8489 §6.1 bounds STUN over UDP by the path MTU; ICE checks are
    /// about 100 bytes, so anything near this is junk.
    /// </summary>
    public const int MaxMessageLength = 1280;
    /// <summary>XOR-ed into the CRC-32 of FINGERPRINT (RFC 8489 §14.7): "STUN".</summary>
    public const uint FingerprintXor = 0x5354554E;
}

/// <summary>The two bits of a message's class (RFC 8489 §5).</summary>
public enum StunClass : byte
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

public static class StunMethod
{
    public const ushort Binding = 0x001;
}

/// <summary>Attribute types (RFC 8489 §18.3, RFC 8445 §16.1).</summary>
public static class StunAttributeType
{
    public const ushort MappedAddress = 0x0001;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Priority = 0x0024;
    public const ushort UseCandidate = 0x0025;
    public const ushort Software = 0x8022;
    public const ushort Fingerprint = 0x8028;
    public const ushort IceControlled = 0x8029;
    public const ushort IceControlling = 0x802A;
}

/// <summary>ERROR-CODE values ICE uses (RFC 8489 §14.8, RFC 8445 §7.3.1.1).</summary>
public static class StunErrorCode
{
    public const int BadRequest = 400;
    public const int Unauthorized = 401;
    public const int RoleConflict = 487;
}
