using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Huddle.Server.Hosting;

/// <summary>
/// The certificate for <c>--https</c>: a configured file, or a self-signed one that Huddle generates
/// once and keeps, so phones on the LAN can reach a secure context (needed for camera access).
/// </summary>
internal static class SelfSignedCertificate
{
    private const string FileName = "huddle-selfsigned.pfx";

    public static X509Certificate2 LoadOrCreate(string directory, ILogger logger)
    {
        string path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            X509Certificate2 existing = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            if (existing.NotAfter > DateTime.Now.AddDays(7)) return existing;
            existing.Dispose();
        }

        Directory.CreateDirectory(directory);
        X509Certificate2 created = Create();
        byte[] pfx = created.Export(X509ContentType.Pfx);
        File.WriteAllBytes(path, pfx);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        logger.LogInformation("Generated a self-signed certificate at {Path}", path);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    public static X509Certificate2 LoadFile(string certificatePath, string? keyPath, string? password)
    {
        if (!string.IsNullOrEmpty(keyPath)) return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        return X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
    }

    private static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Huddle (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Dns.GetHostName());
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        foreach (IPAddress address in LanAddresses()) names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(397));
    }

    /// <summary>IPv4 addresses of the machine's up, non-loopback interfaces: what a phone on the LAN would use.</summary>
    public static IEnumerable<IPAddress> LanAddresses()
    {
        NetworkInterface[] interfaces;
        try { interfaces = NetworkInterface.GetAllNetworkInterfaces(); }
        catch (NetworkInformationException) { yield break; }
        foreach (NetworkInterface nic in interfaces)
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily == AddressFamily.InterNetwork) yield return unicast.Address;
            }
        }
    }
}
