using System.Security.Cryptography.X509Certificates;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

public sealed class HttpsTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("huddle-https-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task Https_switch_serves_tls_with_a_generated_certificate_that_is_reused()
    {
        string first = await FetchCertificateThumbprintAsync();
        string path = Path.Combine(_dataDirectory, "huddle-selfsigned.pfx");
        Assert.True(File.Exists(path), "the self-signed certificate is stored in the data directory");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        string second = await FetchCertificateThumbprintAsync();
        Assert.Equal(first, second);
    }

    private async Task<string> FetchCertificateThumbprintAsync()
    {
        await using var server = HuddleServer.With("--https", "--urls", "https://127.0.0.1:0", $"--Huddle:DataDirectory={_dataDirectory}");
        await server.InitializeAsync();
        Assert.Equal("https", server.BaseUri.Scheme);
        X509Certificate2? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
                return true;
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseUri };
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        Assert.NotNull(seen);
        string names = seen!.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().Format(false);
        Assert.Contains("localhost", names);
        Assert.Contains("127.0.0.1", names);
        return seen.Thumbprint;
    }
}
