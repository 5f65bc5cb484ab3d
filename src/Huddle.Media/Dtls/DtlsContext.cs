using System.Runtime.InteropServices;
using Huddle.Media.Interop;

namespace Huddle.Media.Dtls;

/// <summary>
/// One OpenSSL SSL_CTX: our certificate and key, DTLS 1.2 only, the SRTP profiles we offer, and peer
/// certificates requested but checked against the SDP fingerprint instead of a CA. Shared by every
/// <see cref="DtlsTransport"/> of a server.
/// </summary>
public sealed unsafe class DtlsContext : IDisposable
{
    /// <summary>OpenSSL's names of the SRTP protection profiles, keyed by RFC 5764 / RFC 7714 id.</summary>
    private static readonly Dictionary<ushort, string> ProfileNames = new()
    {
        [0x0007] = "SRTP_AEAD_AES_128_GCM",
        [0x0001] = "SRTP_AES128_CM_SHA1_80",
    };

    internal SslCtxHandle Handle { get; }

    public DtlsCertificate Certificate { get; }

    /// <summary>The SRTP profile ids offered or accepted, in order of preference.</summary>
    public IReadOnlyList<ushort> SrtpProfiles { get; }

    /// <param name="certificate">Ours; generated when null.</param>
    /// <param name="srtpProfiles">RFC 5764 profile ids in preference order; default GCM, then AES-CM-HMAC-SHA1-80.</param>
    public DtlsContext(DtlsCertificate? certificate = null, IReadOnlyList<ushort>? srtpProfiles = null)
    {
        Certificate = certificate ?? DtlsCertificate.Generate();
        SrtpProfiles = srtpProfiles is { Count: > 0 } ? srtpProfiles : [0x0007, 0x0001];
        foreach (ushort id in SrtpProfiles)
        {
            if (!ProfileNames.ContainsKey(id)) throw new ArgumentException($"unsupported SRTP profile 0x{id:x4}", nameof(srtpProfiles));
        }

        OpenSsl.ERR_clear_error();
        Handle = OpenSsl.SSL_CTX_new(OpenSsl.DTLS_method());
        if (Handle.IsInvalid) throw OpenSsl.ErrorQueueException("SSL_CTX_new");
        try
        {
            using X509Handle x509 = LoadCertificate(Certificate.Der);
            using EvpPKeyHandle key = LoadPrivateKey(Certificate.Pkcs8PrivateKey);
            if (OpenSsl.SSL_CTX_use_certificate(Handle, x509) != 1) throw OpenSsl.ErrorQueueException("SSL_CTX_use_certificate");
            if (OpenSsl.SSL_CTX_use_PrivateKey(Handle, key) != 1) throw OpenSsl.ErrorQueueException("SSL_CTX_use_PrivateKey");
            if (OpenSsl.SSL_CTX_check_private_key(Handle) != 1) throw OpenSsl.ErrorQueueException("SSL_CTX_check_private_key");
            if (OpenSsl.SSL_CTX_ctrl(Handle, OpenSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, OpenSsl.DTLS1_2_VERSION, 0) != 1)
                throw OpenSsl.ErrorQueueException("SSL_CTX_set_min_proto_version");
            // Browsers sign with ECDSA P-256; forward secrecy only.
            if (OpenSsl.SSL_CTX_set_cipher_list(Handle, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384") != 1)
                throw OpenSsl.ErrorQueueException("SSL_CTX_set_cipher_list");
            // Request the peer's certificate; any certificate passes here, the fingerprint decides later.
            OpenSsl.SSL_CTX_set_verify(Handle, OpenSsl.SSL_VERIFY_PEER | OpenSsl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &AcceptAnyCertificate);
            string profiles = string.Join(':', SrtpProfiles.Select(id => ProfileNames[id]));
            // Returns 0 on success, unlike most of OpenSSL.
            if (OpenSsl.SSL_CTX_set_tlsext_use_srtp(Handle, profiles) != 0) throw OpenSsl.ErrorQueueException("SSL_CTX_set_tlsext_use_srtp");
        }
        catch
        {
            Handle.Dispose();
            throw;
        }
    }

    public void Dispose() => Handle.Dispose();

    [UnmanagedCallersOnly]
    private static int AcceptAnyCertificate(int preverifyOk, nint storeContext) => 1;

    private static X509Handle LoadCertificate(byte[] der)
    {
        fixed (byte* start = der)
        {
            byte* p = start;
            X509Handle handle = OpenSsl.d2i_X509(0, &p, der.Length);
            if (handle.IsInvalid) throw OpenSsl.ErrorQueueException("d2i_X509");
            return handle;
        }
    }

    private static EvpPKeyHandle LoadPrivateKey(byte[] pkcs8)
    {
        fixed (byte* start = pkcs8)
        {
            byte* p = start;
            EvpPKeyHandle handle = OpenSsl.d2i_AutoPrivateKey(0, &p, pkcs8.Length);
            if (handle.IsInvalid) throw OpenSsl.ErrorQueueException("d2i_AutoPrivateKey");
            return handle;
        }
    }
}
