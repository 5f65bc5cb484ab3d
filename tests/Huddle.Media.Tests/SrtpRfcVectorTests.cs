using Huddle.Media.Srtp;

namespace Huddle.Media.Tests;

/// <summary>RFC 3711 Appendix B and RFC 7714 §16–17 vectors, reproduced byte for byte.</summary>
public sealed class SrtpRfcVectorTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(Uri.IsHexDigit)));

    [Fact]
    public void Aes_cm_keystream_matches_RFC_3711_B2()
    {
        // Session key, SSRC 0, ROC 0, SEQ 0, session salt F0F1…FD: the IV is the salt followed by a 16-bit block counter.
        byte[] key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
        byte[] salt = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
        var iv = new byte[16];
        SrtpContext.CounterIv(iv, salt, ssrc: 0, index: 0);
        Assert.Equal(Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), iv);

        var keystream = new byte[0xFF02 * 16];
        using (SrtpCipher cipher = SrtpCipher.Ctr(key)) Assert.True(cipher.Ctr(iv, keystream));

        Assert.Equal(Hex("E03EAD0935C95E80E166B16DD92B4EB4"), keystream[..16]);
        Assert.Equal(Hex("D23513162B02D0F72A43A2FE4A5F97AB"), keystream[16..32]);
        Assert.Equal(Hex("41E95B3BB0A2E8DD477901E4FCA894C0"), keystream[32..48]);
        Assert.Equal(Hex("6A2CC3787889374FBEB4C81B17BA6C44"), keystream[(0xFF01 * 16)..(0xFF02 * 16)]);
    }

    [Fact]
    public void Key_derivation_matches_RFC_3711_B3()
    {
        byte[] masterKey = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
        byte[] masterSalt = Hex("0EC675AD498AFEEBB6960B3AABE6");
        var encryption = new byte[16];
        var salt = new byte[14];
        var authentication = new byte[20];
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, encryption);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, salt);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpAuthentication, authentication);
        Assert.Equal(Hex("C61E7A93744F39EE10734AFE3FF7A087"), encryption);
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE1"), salt);
        Assert.Equal(Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"), authentication);
    }

    private static readonly byte[] GcmKey = Hex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
    private static readonly byte[] GcmSalt = Hex("51 75 69 64 20 70 72 6f 20 71 75 6f");

    // RFC 7714 §16.1: v=2 PT=64 seq=f17b ts=8041f8d3 SSRC=5501a0b2, payload "Gallia est omnis divisa in partes tres".
    private static readonly byte[] GcmRtpPlain = Hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c
        69612065 7374206f 6d6e6973 20646976
        69736120 696e2070 61727465 73207472
        6573
        """);

    // Header unchanged, payload encrypted, 16-byte tag appended.
    private static readonly byte[] GcmRtpProtected = Hex("""
        8040f17b 8041f8d3 5501a0b2 f24de3a3
        fb34de6c acba861c 9d7e4bca be633bd5
        0d294e6f 42a5f47a 51c7d19b 36de3adf
        8833899d 7f27beb1 6a9152cf 765ee439
        0cce
        """);

    // RFC 7714 §17.1: SR from SSRC 4d617273 with a payload of names and deadbeef words.
    private static readonly byte[] GcmRtcpPlain = Hex("""
        81c8000d 4d617273 4e545031 4e545032
        52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef
        deadbeef
        """);

    // Header, ciphertext, 16-byte tag, then E=1 and SRTCP index 0x5d4.
    private static readonly byte[] GcmRtcpProtected = Hex("""
        81c8000d 4d617273 63e94885 dcdab67c
        a727d766 2f6b7e99 7ff5c0f7 6c06f32d
        c676a5f1 730d6fda 4ce09b46 86303ded
        0bb9275b c84aa458 96cf4d2f c5abf872
        45d9eade 800005d4
        """);

    [Fact]
    public void Gcm_rtp_matches_RFC_7714_section_16()
    {
        using SrtpContext sender = SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, default);
        var buffer = new byte[GcmRtpPlain.Length + 16];
        GcmRtpPlain.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtp(buffer, GcmRtpPlain.Length, out int protectedLength));
        Assert.Equal(Convert.ToHexString(GcmRtpProtected), Convert.ToHexString(buffer, 0, protectedLength));

        using SrtpContext receiver = SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, default);
        byte[] packet = (byte[])GcmRtpProtected.Clone();
        Assert.True(receiver.TryUnprotectRtp(packet, packet.Length, out int plainLength));
        Assert.Equal(GcmRtpPlain, packet[..plainLength]);
    }

    [Fact]
    public void Gcm_rtcp_matches_RFC_7714_section_17()
    {
        using SrtpContext sender = SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, default);
        sender.SetNextSrtcpIndex(0x4d617273, 0x5d4);
        var buffer = new byte[GcmRtcpPlain.Length + 20];
        GcmRtcpPlain.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtcp(buffer, GcmRtcpPlain.Length, out int protectedLength));
        Assert.Equal(Convert.ToHexString(GcmRtcpProtected), Convert.ToHexString(buffer, 0, protectedLength));

        using SrtpContext receiver = SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, default);
        byte[] packet = (byte[])GcmRtcpProtected.Clone();
        Assert.True(receiver.TryUnprotectRtcp(packet, packet.Length, out int plainLength));
        Assert.Equal(GcmRtcpPlain, packet[..plainLength]);
    }

    // libsrtp's test/srtp_driver.c reference packets (srtp_validate, srtp_validate_gcm): whole packets from a
    // master key, so key derivation, IV, encryption and tag are checked together. libsrtp numbers its first
    // SRTCP packet 1; we start at 0 (RFC 3711 §3.4), so the index is set.
    private static readonly byte[] LibsrtpRtpPlain = Hex("800f1234decafbadcafebabe abababababababababababababababab");
    private static readonly byte[] LibsrtpRtcpPlain = Hex("81c8000bcafebabe abababababababababababababababab");

    [Theory]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80, "e1f97a0d3e018be0d64fa32c06de4139", "0ec675ad498afeebb6960b3aabe6",
        // header | ciphertext | 80-bit tag
        "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb",
        // header | ciphertext | E=1, index 1 | 80-bit tag
        "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798")]
    [InlineData(SrtpProfile.AeadAes128Gcm, "000102030405060708090a0b0c0d0e0f", "a0a1a2a3a4a5a6a7a8a9aaab",
        // header | ciphertext | 128-bit tag
        "800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e d2976826f796b201df3131a127e8a392",
        // header | ciphertext | 128-bit tag | E=1, index 1
        "81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 c52c6fbea2b3b446ea31123ba88ce61e 80000001")]
    public void Whole_packets_match_libsrtp_reference_vectors(SrtpProfile profile, string key, string salt, string srtp, string srtcp)
    {
        using var sender = new SrtpContext(profile, Hex(key), Hex(salt));
        using var receiver = new SrtpContext(profile, Hex(key), Hex(salt));

        var rtp = new byte[LibsrtpRtpPlain.Length + 16];
        LibsrtpRtpPlain.CopyTo(rtp, 0);
        Assert.True(sender.TryProtectRtp(rtp, LibsrtpRtpPlain.Length, out int length));
        Assert.Equal(Convert.ToHexString(Hex(srtp)), Convert.ToHexString(rtp, 0, length));
        Assert.True(receiver.TryUnprotectRtp(rtp, length, out length));
        Assert.Equal(LibsrtpRtpPlain, rtp[..length]);

        sender.SetNextSrtcpIndex(0xcafebabe, 1);
        var rtcp = new byte[LibsrtpRtcpPlain.Length + 20];
        LibsrtpRtcpPlain.CopyTo(rtcp, 0);
        Assert.True(sender.TryProtectRtcp(rtcp, LibsrtpRtcpPlain.Length, out length));
        Assert.Equal(Convert.ToHexString(Hex(srtcp)), Convert.ToHexString(rtcp, 0, length));
        Assert.True(receiver.TryUnprotectRtcp(rtcp, length, out length));
        Assert.Equal(LibsrtpRtcpPlain, rtcp[..length]);
    }
}
