namespace Huddle.Media.Srtp;

/// <summary>SRTP contexts from DTLS-SRTP keying material (RFC 5764 §4.2).</summary>
public static class DtlsSrtpKeys
{
    /// <summary>Bytes to export: two keys and two salts.</summary>
    public static int ExportLength(SrtpProfile profile) => 2 * (SrtpProfiles.KeyLength(profile) + SrtpProfiles.SaltLength(profile));

    /// <summary>
    /// Splits client_write_key | server_write_key | client_write_salt | server_write_salt into the context
    /// we protect with (our write keys) and the one we unprotect with (the peer's).
    /// </summary>
    public static (SrtpContext Local, SrtpContext Remote) CreateContexts(SrtpProfile profile, ReadOnlySpan<byte> exported, bool weAreDtlsClient)
    {
        int keyLength = SrtpProfiles.KeyLength(profile), saltLength = SrtpProfiles.SaltLength(profile);
        if (exported.Length != ExportLength(profile)) throw new ArgumentException("wrong keying material length", nameof(exported));
        ReadOnlySpan<byte> clientKey = exported[..keyLength];
        ReadOnlySpan<byte> serverKey = exported.Slice(keyLength, keyLength);
        ReadOnlySpan<byte> clientSalt = exported.Slice(2 * keyLength, saltLength);
        ReadOnlySpan<byte> serverSalt = exported.Slice(2 * keyLength + saltLength, saltLength);
        var client = new SrtpContext(profile, clientKey, clientSalt);
        var server = new SrtpContext(profile, serverKey, serverSalt);
        return weAreDtlsClient ? (client, server) : (server, client);
    }
}
