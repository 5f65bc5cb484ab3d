using System.Security.Cryptography;
using Huddle.Media.Sdp;
using System.Security.Cryptography.X509Certificates;

namespace Huddle.Media.Dtls;

/// <summary>
/// The self-signed ECDSA P-256 certificate a DTLS endpoint presents. WebRTC does not use the PKI: the
/// peer trusts whatever certificate matches the fingerprint in our SDP (RFC 8122 §5, RFC 8827 §6.5).
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(byte[] der, byte[] pkcs8PrivateKey)
    {
        Der = der;
        Pkcs8PrivateKey = pkcs8PrivateKey;
        Fingerprint = SdpFingerprint.Sha256Of(der);
    }

    /// <summary>The certificate in DER.</summary>
    public byte[] Der { get; }

    internal byte[] Pkcs8PrivateKey { get; }

    /// <summary>SHA-256 of <see cref="Der"/>, as SDP's <c>a=fingerprint</c> carries it.</summary>
    public SdpFingerprint Fingerprint { get; }

    /// <summary>A fresh key and certificate valid for 30 days (browsers ignore the dates).</summary>
    public static DtlsCertificate Generate(string commonName = "huddle")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return new DtlsCertificate(certificate.RawData, key.ExportPkcs8PrivateKey());
    }
}
