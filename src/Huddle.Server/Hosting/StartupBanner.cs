using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Huddle.Server.Hosting;

/// <summary>Tells the person who started the server which address to open.</summary>
internal static class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string address in addresses)
        {
            foreach (string url in Humanize(address))
            {
                Console.WriteLine($"Huddle is running: open {url}/ in your browser");
            }
        }
    }

    private static IEnumerable<string> Humanize(string address)
    {
        if (!Uri.TryCreate(address.Replace("://+:", "://0.0.0.0:").Replace("://*:", "://0.0.0.0:"), UriKind.Absolute, out Uri? uri))
        {
            yield return address;
            yield break;
        }
        if (uri.Host is "0.0.0.0" or "[::]")
        {
            yield return $"{uri.Scheme}://localhost:{uri.Port}";
            foreach (var lan in SelfSignedCertificate.LanAddresses()) yield return $"{uri.Scheme}://{lan}:{uri.Port}";
        }
        else
        {
            yield return address.TrimEnd('/');
        }
    }
}
