using System.Runtime.InteropServices;

namespace Huddle.Media.Interop;

/// <summary>
/// The parts of OpenSSL 3 (libssl.so.3 / libcrypto.so.3, present wherever .NET runs on Linux) that DTLS-SRTP
/// needs. Macros of the C API (DTLSv1_get_timeout, SSL_set_mtu …) are expressed through their
/// SSL_ctrl / BIO_ctrl calls with the constants from the 3.0 headers.
/// </summary>
internal static unsafe partial class OpenSsl
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    // ssl.h / dtls1.h / bio.h (OpenSSL 3.0).
    public const int SSL_CTRL_SET_MTU = 17;
    public const int DTLS_CTRL_GET_TIMEOUT = 73;
    public const int DTLS_CTRL_HANDLE_TIMEOUT = 74;
    public const int SSL_CTRL_SET_GROUPS_LIST = 92;
    public const int DTLS_CTRL_SET_LINK_MTU = 120;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const int BIO_C_SET_BUF_MEM_EOF_RETURN = 130;
    public const ulong SSL_OP_NO_QUERY_MTU = 0x1000;
    public const int DTLS1_2_VERSION = 0xFEFD;
    public const int SSL_VERIFY_PEER = 1;
    public const int SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2;
    public const int SSL_ERROR_SSL = 1;
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_WANT_WRITE = 3;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SrtpProtectionProfile
    {
        public nint Name;
        public nuint Id;
    }

    [LibraryImport(Ssl)] public static partial nint DTLS_method();
    [LibraryImport(Ssl)] public static partial SslCtxHandle SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_use_certificate(SslCtxHandle ctx, X509Handle x509);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_use_PrivateKey(SslCtxHandle ctx, EvpPKeyHandle pkey);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_check_private_key(SslCtxHandle ctx);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_set_verify(SslCtxHandle ctx, int mode, delegate* unmanaged<int, nint, int> callback);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_set_tlsext_use_srtp(SslCtxHandle ctx, string profiles);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_set_cipher_list(SslCtxHandle ctx, string list);
    [LibraryImport(Ssl)] public static partial nint SSL_CTX_ctrl(SslCtxHandle ctx, int cmd, nint larg, nint parg);

    [LibraryImport(Ssl)] public static partial SslHandle SSL_new(SslCtxHandle ctx);
    [LibraryImport(Ssl)] public static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] public static partial void SSL_set_bio(SslHandle ssl, nint rbio, nint wbio);
    [LibraryImport(Ssl)] public static partial void SSL_set_accept_state(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial void SSL_set_connect_state(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial int SSL_do_handshake(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial int SSL_is_init_finished(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial int SSL_read(SslHandle ssl, byte* buffer, int length);
    [LibraryImport(Ssl)] public static partial int SSL_shutdown(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial int SSL_get_error(SslHandle ssl, int ret);
    [LibraryImport(Ssl)] public static partial nint SSL_ctrl(SslHandle ssl, int cmd, nint larg, nint parg);
    [LibraryImport(Ssl)] public static partial ulong SSL_set_options(SslHandle ssl, ulong options);
    [LibraryImport(Ssl)] public static partial SrtpProtectionProfile* SSL_get_selected_srtp_profile(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial X509Handle SSL_get1_peer_certificate(SslHandle ssl);
    [LibraryImport(Ssl)] public static partial int SSL_export_keying_material(SslHandle ssl, byte* output, nuint length, byte* label, nuint labelLength, byte* context, nuint contextLength, int useContext);

    [LibraryImport(Crypto)] public static partial nint BIO_s_mem();
    [LibraryImport(Crypto)] public static partial nint BIO_new(nint type);
    [LibraryImport(Crypto)] public static partial int BIO_free(nint bio);
    [LibraryImport(Crypto)] public static partial int BIO_write(nint bio, byte* data, int length);
    [LibraryImport(Crypto)] public static partial int BIO_read(nint bio, byte* data, int length);
    [LibraryImport(Crypto)] public static partial nint BIO_ctrl(nint bio, int cmd, nint larg, nint parg);
    [LibraryImport(Crypto)] public static partial nuint BIO_ctrl_pending(nint bio);

    [LibraryImport(Crypto)] public static partial X509Handle d2i_X509(nint reuse, byte** data, nint length);
    [LibraryImport(Crypto)] public static partial int i2d_X509(X509Handle x509, byte** output);
    [LibraryImport(Crypto)] public static partial void X509_free(nint x509);
    [LibraryImport(Crypto)] public static partial EvpPKeyHandle d2i_AutoPrivateKey(nint reuse, byte** data, nint length);
    [LibraryImport(Crypto)] public static partial void EVP_PKEY_free(nint pkey);

    [LibraryImport(Crypto)] public static partial ulong ERR_get_error();
    [LibraryImport(Crypto)] public static partial void ERR_error_string_n(ulong error, byte* buffer, nuint length);
    [LibraryImport(Crypto)] public static partial void ERR_clear_error();

    /// <summary>
    /// Drains OpenSSL's thread-local error queue into one exception for the control path. Every call that
    /// can fail is followed by this or by <see cref="ERR_clear_error"/>, so a stale error never leaks into
    /// the next operation on this thread.
    /// </summary>
    public static OpenSslException ErrorQueueException(string operation)
    {
        var messages = new List<string>();
        Span<byte> text = stackalloc byte[256];
        ulong code;
        while ((code = ERR_get_error()) != 0)
        {
            fixed (byte* p = text) ERR_error_string_n(code, p, (nuint)text.Length);
            int end = text.IndexOf((byte)0);
            messages.Add(System.Text.Encoding.ASCII.GetString(end < 0 ? text : text[..end]));
        }
        return new OpenSslException(messages.Count == 0 ? $"{operation} failed" : $"{operation} failed: {string.Join("; ", messages)}");
    }
}

public sealed class OpenSslException(string message) : Exception(message);

internal sealed class SslCtxHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSsl.SSL_CTX_free(handle);
        return true;
    }
}

internal sealed class SslHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    /// <summary>SSL_free also frees the BIOs given to SSL_set_bio.</summary>
    protected override bool ReleaseHandle()
    {
        OpenSsl.SSL_free(handle);
        return true;
    }
}

internal sealed class X509Handle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSsl.X509_free(handle);
        return true;
    }
}

internal sealed class EvpPKeyHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSsl.EVP_PKEY_free(handle);
        return true;
    }
}

/// <summary>AES-CTR from libcrypto: SRTP's AES-CM keystream, in place and without allocation.</summary>
internal static unsafe partial class OpenSslCipher
{
    private const string Crypto = "libcrypto.so.3";

    [LibraryImport(Crypto)] public static partial nint EVP_CIPHER_CTX_new();
    [LibraryImport(Crypto)] public static partial void EVP_CIPHER_CTX_free(nint ctx);
    [LibraryImport(Crypto)] public static partial nint EVP_aes_128_ctr();
    [LibraryImport(Crypto)] public static partial int EVP_EncryptInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv);
    [LibraryImport(Crypto)] public static partial int EVP_EncryptUpdate(nint ctx, byte* output, int* outputLength, byte* input, int inputLength);
    [LibraryImport(Crypto)] public static partial int EVP_EncryptFinal_ex(nint ctx, byte* output, int* outputLength);
    [LibraryImport(Crypto)] public static partial nint EVP_aes_128_gcm();
    [LibraryImport(Crypto)] public static partial int EVP_DecryptInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv);
    [LibraryImport(Crypto)] public static partial int EVP_DecryptUpdate(nint ctx, byte* output, int* outputLength, byte* input, int inputLength);
    [LibraryImport(Crypto)] public static partial int EVP_DecryptFinal_ex(nint ctx, byte* output, int* outputLength);
    [LibraryImport(Crypto)] public static partial int EVP_CIPHER_CTX_ctrl(nint ctx, int type, int arg, byte* ptr);

    public const int EVP_CTRL_GCM_GET_TAG = 0x10;
    public const int EVP_CTRL_GCM_SET_TAG = 0x11;
}

internal sealed class EvpCipherCtxHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    public static EvpCipherCtxHandle Create()
    {
        var h = new EvpCipherCtxHandle();
        h.SetHandle(OpenSslCipher.EVP_CIPHER_CTX_new());
        if (h.IsInvalid) throw OpenSsl.ErrorQueueException("EVP_CIPHER_CTX_new");
        return h;
    }

    protected override bool ReleaseHandle()
    {
        OpenSslCipher.EVP_CIPHER_CTX_free(handle);
        return true;
    }
}
