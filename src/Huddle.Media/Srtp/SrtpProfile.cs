namespace Huddle.Media.Srtp;

/// <summary>SRTP protection profiles by their DTLS-SRTP ids (RFC 5764 §4.1.2, RFC 7714 §14.2).</summary>
public enum SrtpProfile : ushort
{
    /// <summary>AES-128 counter mode with a 80-bit HMAC-SHA1 tag (RFC 3711).</summary>
    AesCm128HmacSha1_80 = 0x0001,
    /// <summary>AES-128 GCM with a 128-bit tag (RFC 7714).</summary>
    AeadAes128Gcm = 0x0007,
}

public static class SrtpProfiles
{
    public static bool IsSupported(ushort id) => id is (ushort)SrtpProfile.AesCm128HmacSha1_80 or (ushort)SrtpProfile.AeadAes128Gcm;

    public static int KeyLength(SrtpProfile profile) => 16;

    /// <summary>Master salt: 112 bits for AES-CM (RFC 3711 §8.2), 96 bits for GCM (RFC 7714 §12).</summary>
    public static int SaltLength(SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 12 : 14;

    /// <summary>Bytes SRTP adds to an RTP packet: the tag.</summary>
    public static int RtpOverhead(SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 16 : 10;

    /// <summary>Bytes SRTCP adds: the tag and the E flag with the 31-bit index.</summary>
    public static int RtcpOverhead(SrtpProfile profile) => RtpOverhead(profile) + 4;

    /// <summary>The name browsers report in getStats (<c>srtpCipher</c>).</summary>
    public static string Name(SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}
