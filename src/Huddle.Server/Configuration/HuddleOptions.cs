using System.ComponentModel.DataAnnotations;

namespace Huddle.Server.Configuration;

/// <summary>Settings under the <c>Huddle</c> configuration section.</summary>
public sealed class HuddleOptions
{
    public const string Section = "Huddle";

    /// <summary>Participants a mesh room holds; the next joiner gets <c>room-full</c>.</summary>
    [Range(1, 16)]
    public int MeshCapacity { get; set; } = 4;

    /// <summary>
    /// How rooms carry media: <c>auto</c> (peer to peer while small, through the SFU beyond
    /// <see cref="SfuAbove"/>), <c>mesh</c> (always peer to peer, the server only relays signaling) or
    /// <c>sfu</c> (everyone sends once to the server, which forwards).
    /// </summary>
    [RegularExpression("^(mesh|sfu|auto)$")]
    public string RoomMode { get; set; } = "auto";

    /// <summary>auto: a room with more participants than this moves to the SFU.</summary>
    [Range(1, 16)]
    public int SfuAbove { get; set; } = 3;

    /// <summary>auto: an SFU room that shrinks to this many goes back to peer to peer (below <see cref="SfuAbove"/>, so it does not flap).</summary>
    [Range(1, 16)]
    public int MeshAtOrBelow { get; set; } = 2;

    /// <summary>Participants an SFU room holds.</summary>
    [Range(2, 1000)]
    public int SfuCapacity { get; set; } = 50;

    /// <summary>
    /// The most other people's tracks (audio and video count one each) a participant of an SFU room
    /// receives at once; later ones start when earlier ones end. The default, 128, fits 64 people
    /// publishing both within one signaling message's answer.
    /// </summary>
    [Range(1, Huddle.Sfu.Router.DefaultMaxSubscribedTracks)]
    public int SfuMaxTracksPerSubscriber { get; set; } = Huddle.Sfu.Router.DefaultMaxSubscribedTracks;

    /// <summary>
    /// People in SFU rooms on this server, all rooms together (0: no limit). The SFU's cost grows with
    /// the number of forwarded streams; past this limit a join is refused with <c>server-full</c>, and
    /// an auto room that would move to the SFU stays peer to peer while it fits a mesh.
    /// </summary>
    [Range(0, 100_000)]
    public int SfuServerCapacity { get; set; } = 500;

    /// <summary>Chat messages an SFU room keeps for late joiners.</summary>
    [Range(0, 1000)]
    public int ChatHistory { get; set; } = 50;

    /// <summary><c>/api/rooms</c> answers requests from other machines too (it lists names: off by default).</summary>
    public bool RoomsApiFromAnywhere { get; set; }

    /// <summary>Largest signaling message accepted, in bytes.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Sustained signaling messages per second per socket.</summary>
    [Range(1, 10_000)]
    public int MessagesPerSecond { get; set; } = 50;

    /// <summary>Burst of signaling messages a socket may send at once.</summary>
    [Range(1, 100_000)]
    public int MessageBurst { get; set; } = 200;

    /// <summary>Open signaling sockets the server accepts at once.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// Interval of WebSocket pings sent by the server. A vanished browser is noticed at the latest after
    /// interval + timeout (20 s). 10 s rather than 5 s with the same 20 s: half the pings, which were a
    /// fifth of an otherwise idle server's CPU with 10,000 sockets (docs/benchmarks.md).
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a ping the server waits for a pong before closing the socket. Generous: the
    /// browser's network stack answers pings without waiting for the page, but a busy phone on a bad
    /// link can take seconds, and closing its socket makes it rejoin as someone new; media that really
    /// vanished is also caught by ICE consent (30 s).
    /// </summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>STUN and TURN servers handed to browsers in <c>joined</c>.</summary>
    public List<IceServerOptions> IceServers { get; set; } = [];

    public HttpsOptions Https { get; set; } = new();

    /// <summary>The server's own WebRTC media endpoint (the /echo self-test, and the SFU).</summary>
    public MediaOptions Media { get; set; } = new();

    /// <summary>Where Huddle keeps files it generates (the self-signed certificate). Empty: ~/.huddle.</summary>
    public string DataDirectory { get; set; } = "";
}

public sealed class IceServerOptions
{
    public List<string> Urls { get; set; } = [];
    public string? Username { get; set; }
    public string? Credential { get; set; }
}

public sealed class HttpsOptions
{
    /// <summary>Serve TLS. Set by the <c>--https</c> switch.</summary>
    public bool Enabled { get; set; }

    /// <summary>A PFX or PEM certificate file; empty means a generated self-signed one.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key file, when <see cref="CertificatePath"/> is a PEM certificate.</summary>
    public string? KeyPath { get; set; }

    public string? CertificatePassword { get; set; }
}

public sealed class MediaOptions
{
    /// <summary>The one UDP port all media uses; 0 picks a free port (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 5080;

    /// <summary>Address the UDP socket binds; 0.0.0.0 listens on every IPv4 interface.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// Addresses given to browsers as host candidates. Empty: the bound address, or every interface's IPv4
    /// address when bound to 0.0.0.0. Set the public address here on NAT or cloud hosts.
    /// </summary>
    public List<string> AnnouncedAddresses { get; set; } = [];

    /// <summary>
    /// SRTP profiles offered in DTLS, in preference order. Empty (the default) means AEAD_AES_128_GCM, then
    /// AES_CM_128_HMAC_SHA1_80. (A list default would be appended to by configuration binding, not replaced.)
    /// </summary>
    public List<string> SrtpProfiles { get; set; } = [];

    public IReadOnlyList<string> EffectiveSrtpProfiles =>
        SrtpProfiles.Count > 0 ? SrtpProfiles.Distinct(StringComparer.OrdinalIgnoreCase).ToList() : ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"];

    /// <summary>
    /// RFC 7675: a browser whose consent checks stop for this long has gone; in SFU rooms it is then
    /// removed from the room.
    /// </summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Forwarded copies to one address leave in one segmented send (UDP GSO, Linux 4.18+) where they can;
    /// a kernel or route that refuses falls back by itself. Off: one datagram per message (for comparisons).
    /// </summary>
    public bool UdpSegmentation { get; set; } = true;

    /// <summary>Media self-tests (/echo) running at once; more get 503.</summary>
    [Range(0, 10_000)]
    public int MaxEchoSessions { get; set; } = 20;
}
