using System.Security.Cryptography;

namespace Huddle.Media.Srtp;

/// <summary>
/// The AES-CM key derivation of RFC 3711 §4.3.1 (key derivation rate 0), which RFC 7714 §11 keeps for GCM
/// with its 96-bit salt zero-padded to 112 bits.
/// </summary>
/// <remarks>
/// <code>
/// key_id = label || r          (r = index DIV kdr = 0 here; 56 bits in all)
/// x      = key_id XOR master_salt   (key_id right-aligned in 112 bits)
/// out    = AES-CM(master_key, IV = x * 2^16), first n bytes
/// </code>
/// </remarks>
public static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0x00;
    public const byte RtpAuthentication = 0x01;
    public const byte RtpSalt = 0x02;
    public const byte RtcpEncryption = 0x03;
    public const byte RtcpAuthentication = 0x04;
    public const byte RtcpSalt = 0x05;

    public static void Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        if (masterSalt.Length > 14) throw new ArgumentException("the master salt is at most 112 bits", nameof(masterSalt));
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        masterSalt.CopyTo(iv);
        // The label is the top byte of the 56-bit key_id, which ends at bit 112: byte 7.
        iv[7] ^= label;
        using Aes aes = Aes.Create();
        aes.Key = masterKey.ToArray();
        int blocks = (output.Length + 15) / 16;
        Span<byte> counters = stackalloc byte[blocks * 16];
        for (int i = 0; i < blocks; i++)
        {
            Span<byte> block = counters.Slice(i * 16, 16);
            iv.CopyTo(block);
            block[14] = (byte)(i >> 8);
            block[15] = (byte)i;
        }
        Span<byte> keystream = stackalloc byte[blocks * 16];
        aes.EncryptEcb(counters, keystream, PaddingMode.None);
        keystream[..output.Length].CopyTo(output);
    }
}
