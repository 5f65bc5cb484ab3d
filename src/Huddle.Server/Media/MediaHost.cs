using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Huddle.Media.Dtls;
using Huddle.Media.Udp;
using Huddle.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Huddle.Server.Media;

/// <summary>
/// The server's media endpoint: one UDP socket for every WebRTC transport, one DTLS certificate, and the
/// host candidates browsers are told to reach. Started with the host, so a port clash shows at once.
/// </summary>
public sealed class MediaHost : IHostedService, IDisposable
{
    private static readonly Dictionary<string, ushort> ProfileIds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AEAD_AES_128_GCM"] = 0x0007,
        ["AES_CM_128_HMAC_SHA1_80"] = 0x0001,
    };

    private readonly MediaOptions _options;
    private readonly ILogger<MediaHost> _logger;
    private UdpMediaSocket? _socket;
    private DtlsContext? _dtls;

    public MediaHost(IOptions<HuddleOptions> options, ILogger<MediaHost> logger)
    {
        _options = options.Value.Media;
        _logger = logger;
    }

    public UdpMediaSocket Socket => _socket ?? throw new InvalidOperationException("the media host is not started");

    public DtlsContext Dtls => _dtls ?? throw new InvalidOperationException("the media host is not started");

    /// <summary>Host candidates for SDP: announced addresses with the socket's port.</summary>
    public IReadOnlyList<IPEndPoint> Candidates { get; private set; } = [];

    public static bool IsKnownProfile(string name) => ProfileIds.ContainsKey(name);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var bind = new IPEndPoint(IPAddress.Parse(_options.BindAddress), _options.Port);
        _dtls = new DtlsContext(srtpProfiles: [.. _options.EffectiveSrtpProfiles.Select(p => ProfileIds[p])]);
        _socket = new UdpMediaSocket(bind, segmentSends: _options.UdpSegmentation);
        _socket.Start();
        Candidates = [.. AnnouncedAddresses(bind.Address).Select(a => new IPEndPoint(a, _socket.LocalEndPoint.Port))];
        _logger.LogInformation("Media on UDP {Endpoint}, announced as {Candidates}; SRTP {Profiles}",
            _socket.LocalEndPoint, string.Join(", ", Candidates), string.Join(", ", _options.EffectiveSrtpProfiles));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _dtls?.Dispose();
    }

    private IEnumerable<IPAddress> AnnouncedAddresses(IPAddress bound)
    {
        if (_options.AnnouncedAddresses.Count > 0) return _options.AnnouncedAddresses.Select(IPAddress.Parse);
        if (!bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any)) return [bound];
        // Every IPv4 address of an interface that is up, loopback last: browsers on this machine and on the LAN both find one.
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up || n.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork)
            .Distinct()
            .OrderBy(a => IPAddress.IsLoopback(a) ? 1 : 0)
            .ToList();
        return addresses.Count > 0 ? addresses : [IPAddress.Loopback];
    }
}
