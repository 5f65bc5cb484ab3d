using Huddle.Media.Interop;

namespace Huddle.Media.Srtp;

/// <summary>
/// AES-128 in counter mode or GCM through libcrypto, keyed once: per packet only the IV changes. libcrypto
/// uses AES-NI where the CPU has it, works in place, allocates nothing and reports a GCM tag mismatch as a
/// return value, never an exception (the per-packet path must not throw).
/// </summary>
internal sealed unsafe class SrtpCipher : IDisposable
{
    private readonly EvpCipherCtxHandle _ctx;

    private SrtpCipher(ReadOnlySpan<byte> key, bool gcm, bool decrypt)
    {
        _ctx = EvpCipherCtxHandle.Create();
        nint cipher = gcm ? OpenSslCipher.EVP_aes_128_gcm() : OpenSslCipher.EVP_aes_128_ctr();
        int ok;
        fixed (byte* k = key)
        {
            // GCM's default IV length is the 96 bits SRTP uses (RFC 7714 §8.1).
            ok = decrypt
                ? OpenSslCipher.EVP_DecryptInit_ex(_ctx.DangerousGetHandle(), cipher, 0, k, null)
                : OpenSslCipher.EVP_EncryptInit_ex(_ctx.DangerousGetHandle(), cipher, 0, k, null);
        }
        if (ok != 1) throw OpenSsl.ErrorQueueException("EVP cipher init");
    }

    public static SrtpCipher Ctr(ReadOnlySpan<byte> key) => new(key, gcm: false, decrypt: false);

    public static SrtpCipher Gcm(ReadOnlySpan<byte> key, bool decrypt) => new(key, gcm: true, decrypt);

    /// <summary>XORs the AES-CTR keystream for the 16-byte <paramref name="iv"/> into <paramref name="data"/>.</summary>
    public bool Ctr(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (data.IsEmpty) return true;
        nint ctx = _ctx.DangerousGetHandle();
        int written;
        fixed (byte* i = iv)
        fixed (byte* d = data)
        {
            if (OpenSslCipher.EVP_EncryptInit_ex(ctx, 0, 0, null, i) != 1) return false;
            return OpenSslCipher.EVP_EncryptUpdate(ctx, d, &written, d, data.Length) == 1;
        }
    }

    /// <summary>GCM-encrypts <paramref name="data"/> in place and writes the 16-byte tag.</summary>
    public bool Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag)
    {
        nint ctx = _ctx.DangerousGetHandle();
        int written;
        fixed (byte* i = iv)
        fixed (byte* a1 = aad1)
        fixed (byte* a2 = aad2)
        fixed (byte* d = data)
        fixed (byte* t = tag)
        {
            if (OpenSslCipher.EVP_EncryptInit_ex(ctx, 0, 0, null, i) != 1) return false;
            if (!aad1.IsEmpty && OpenSslCipher.EVP_EncryptUpdate(ctx, null, &written, a1, aad1.Length) != 1) return false;
            if (!aad2.IsEmpty && OpenSslCipher.EVP_EncryptUpdate(ctx, null, &written, a2, aad2.Length) != 1) return false;
            if (!data.IsEmpty && OpenSslCipher.EVP_EncryptUpdate(ctx, d, &written, d, data.Length) != 1) return false;
            if (OpenSslCipher.EVP_EncryptFinal_ex(ctx, d + data.Length, &written) != 1) return false;
            return OpenSslCipher.EVP_CIPHER_CTX_ctrl(ctx, OpenSslCipher.EVP_CTRL_GCM_GET_TAG, 16, t) == 1;
        }
    }

    /// <summary>GCM-decrypts <paramref name="data"/> in place; false when the tag does not verify.</summary>
    public bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        nint ctx = _ctx.DangerousGetHandle();
        int written;
        Span<byte> tagCopy = stackalloc byte[16];
        tag.CopyTo(tagCopy);
        fixed (byte* i = iv)
        fixed (byte* a1 = aad1)
        fixed (byte* a2 = aad2)
        fixed (byte* d = data)
        fixed (byte* t = tagCopy)
        {
            if (OpenSslCipher.EVP_DecryptInit_ex(ctx, 0, 0, null, i) != 1) return false;
            if (!aad1.IsEmpty && OpenSslCipher.EVP_DecryptUpdate(ctx, null, &written, a1, aad1.Length) != 1) return false;
            if (!aad2.IsEmpty && OpenSslCipher.EVP_DecryptUpdate(ctx, null, &written, a2, aad2.Length) != 1) return false;
            if (!data.IsEmpty && OpenSslCipher.EVP_DecryptUpdate(ctx, d, &written, d, data.Length) != 1) return false;
            if (OpenSslCipher.EVP_CIPHER_CTX_ctrl(ctx, OpenSslCipher.EVP_CTRL_GCM_SET_TAG, 16, t) != 1) return false;
            bool ok = OpenSslCipher.EVP_DecryptFinal_ex(ctx, d + data.Length, &written) > 0;
            if (!ok) OpenSsl.ERR_clear_error();
            return ok;
        }
    }

    public void Dispose() => _ctx.Dispose();
}
