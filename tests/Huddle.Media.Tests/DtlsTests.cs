using Huddle.Media.Dtls;
using Huddle.Media.Sdp;

namespace Huddle.Media.Tests;

/// <summary>Two DTLS endpoints of our own, wired back to back in memory.</summary>
public sealed class DtlsTests
{
    private sealed class Endpoint : IDtlsHandler
    {
        public DtlsTransport? Peer;
        public DtlsTransport Transport = null!;
        public readonly List<DtlsState> States = [];
        public readonly List<byte[]> Sent = [];
        public Func<byte[], bool> Deliver = _ => true;

        public void SendDtls(ReadOnlySpan<byte> datagram)
        {
            byte[] copy = datagram.ToArray();
            Sent.Add(copy);
            if (Deliver(copy)) Peer?.Receive(copy);
        }

        public void OnDtlsStateChanged(DtlsState state, string? reason) => States.Add(state);
    }

    private static (Endpoint client, Endpoint server) Pair(DtlsContext clientContext, DtlsContext serverContext)
    {
        var client = new Endpoint();
        var server = new Endpoint();
        client.Transport = new DtlsTransport(clientContext, DtlsRole.Client, client);
        server.Transport = new DtlsTransport(serverContext, DtlsRole.Server, server);
        client.Peer = server.Transport;
        server.Peer = client.Transport;
        return (client, server);
    }

    [Fact]
    public void Handshake_completes_and_both_sides_export_the_same_srtp_keys()
    {
        using var clientContext = new DtlsContext();
        using var serverContext = new DtlsContext();
        var (client, server) = Pair(clientContext, serverContext);

        server.Transport.Start(clientContext.Certificate.Fingerprint);
        client.Transport.Start(serverContext.Certificate.Fingerprint);

        Assert.Equal(DtlsState.Connected, client.Transport.State);
        Assert.Equal(DtlsState.Connected, server.Transport.State);
        // Both prefer AEAD_AES_128_GCM (RFC 7714 §14.2 id 0x0007).
        Assert.Equal(0x0007, client.Transport.SrtpProfileId);
        Assert.Equal(0x0007, server.Transport.SrtpProfileId);
        byte[] a = client.Transport.ExportSrtpKeyingMaterial(56);
        byte[] b = server.Transport.ExportSrtpKeyingMaterial(56);
        Assert.Equal(a, b);
        Assert.Contains(a, x => x != 0);
        // Every datagram fits the MTU we gave OpenSSL.
        Assert.All(client.Sent.Concat(server.Sent), d => Assert.InRange(d.Length, 13, client.Transport.Mtu));
    }

    [Theory]
    [InlineData(new ushort[] { 0x0001 }, new ushort[] { 0x0007, 0x0001 }, 0x0001)]
    [InlineData(new ushort[] { 0x0007, 0x0001 }, new ushort[] { 0x0001 }, 0x0001)]
    [InlineData(new ushort[] { 0x0007 }, new ushort[] { 0x0007 }, 0x0007)]
    public void The_profile_is_one_both_sides_offer(ushort[] clientProfiles, ushort[] serverProfiles, int expected)
    {
        using var clientContext = new DtlsContext(srtpProfiles: clientProfiles);
        using var serverContext = new DtlsContext(srtpProfiles: serverProfiles);
        var (client, server) = Pair(clientContext, serverContext);
        server.Transport.Start(clientContext.Certificate.Fingerprint);
        client.Transport.Start(serverContext.Certificate.Fingerprint);
        Assert.Equal(DtlsState.Connected, server.Transport.State);
        Assert.Equal(expected, server.Transport.SrtpProfileId);
        Assert.Equal(expected, client.Transport.SrtpProfileId);
    }

    [Fact]
    public void A_certificate_that_does_not_match_the_sdp_fingerprint_is_refused()
    {
        using var clientContext = new DtlsContext();
        using var serverContext = new DtlsContext();
        DtlsCertificate impostor = DtlsCertificate.Generate();
        var (client, server) = Pair(clientContext, serverContext);

        // The server was told (by SDP) to expect another certificate than the one the client presents.
        server.Transport.Start(impostor.Fingerprint);
        client.Transport.Start(serverContext.Certificate.Fingerprint);

        Assert.Equal(DtlsState.Failed, server.Transport.State);
        Assert.Contains("fingerprint", server.Transport.Reason);
        Assert.Throws<InvalidOperationException>(() => server.Transport.ExportSrtpKeyingMaterial(56));
    }

    [Fact]
    public void A_lost_flight_is_sent_again_when_the_timer_fires()
    {
        using var clientContext = new DtlsContext();
        using var serverContext = new DtlsContext();
        var (client, server) = Pair(clientContext, serverContext);
        int dropped = 0;
        // Lose the server's first flight (ServerHello … ServerHelloDone).
        server.Deliver = d => { if (dropped == 0) { dropped++; return false; } return true; };
        server.Transport.Start(clientContext.Certificate.Fingerprint);
        client.Transport.Start(serverContext.Certificate.Fingerprint);
        Assert.Equal(DtlsState.Connecting, client.Transport.State);

        TimeSpan? due = client.Transport.NextTimeout;
        Assert.NotNull(due);
        Assert.InRange(due.Value, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Thread.Sleep(due.Value + TimeSpan.FromMilliseconds(20));
        client.Transport.HandleTimeout();

        Assert.Equal(DtlsState.Connected, client.Transport.State);
        Assert.Equal(DtlsState.Connected, server.Transport.State);
    }

    [Fact]
    public void Close_notify_reaches_the_peer()
    {
        using var clientContext = new DtlsContext();
        using var serverContext = new DtlsContext();
        var (client, server) = Pair(clientContext, serverContext);
        server.Transport.Start(clientContext.Certificate.Fingerprint);
        client.Transport.Start(serverContext.Certificate.Fingerprint);

        client.Transport.Close();

        Assert.Equal(DtlsState.Closed, client.Transport.State);
        Assert.Equal(DtlsState.Closed, server.Transport.State);
        Assert.Equal([DtlsState.Connecting, DtlsState.Connected, DtlsState.Closed], server.States);
    }

    [Fact]
    public void Junk_datagrams_during_and_after_the_handshake_change_nothing()
    {
        using var clientContext = new DtlsContext();
        using var serverContext = new DtlsContext();
        var (client, server) = Pair(clientContext, serverContext);
        var random = new Random(7);
        server.Transport.Start(clientContext.Certificate.Fingerprint);
        for (int i = 0; i < 200; i++) server.Transport.Receive(JunkRecord(random));
        client.Transport.Start(serverContext.Certificate.Fingerprint);
        Assert.Equal(DtlsState.Connected, server.Transport.State);
        byte[] keys = server.Transport.ExportSrtpKeyingMaterial(56);

        for (int i = 0; i < 2000; i++) server.Transport.Receive(JunkRecord(random));

        Assert.Equal(DtlsState.Connected, server.Transport.State);
        Assert.Equal(keys, server.Transport.ExportSrtpKeyingMaterial(56));
    }

    [Fact]
    public void Fingerprints_round_trip_through_their_sdp_form()
    {
        DtlsCertificate certificate = DtlsCertificate.Generate();
        string text = certificate.Fingerprint.ToString();
        Assert.Matches("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", text);
        Assert.True(SdpFingerprint.TryParse(text, out SdpFingerprint? parsed));
        Assert.Equal(certificate.Fingerprint, parsed);
        Assert.True(parsed!.IsSupportedHash);
        Assert.True(parsed.Matches(certificate.Der));
        Assert.False(parsed.Matches(DtlsCertificate.Generate().Der));
        // Parsed, but not usable for DTLS: too short, or a hash function DTLS-SRTP does not use.
        Assert.True(SdpFingerprint.TryParse("sha-256 AB:CD", out SdpFingerprint? shortOne));
        Assert.False(shortOne!.IsSupportedHash);
        Assert.True(SdpFingerprint.TryParse("md5 " + text[8..], out SdpFingerprint? md5));
        Assert.False(md5!.IsSupportedHash);
        Assert.False(md5.Matches(certificate.Der));
        Assert.False(SdpFingerprint.TryParse(text.Replace(':', '-'), out _));
        Assert.False(SdpFingerprint.TryParse(null, out _));
    }

    /// <summary>Random bytes behind a plausible DTLS record header (content type 20..25, version fefd).</summary>
    private static byte[] JunkRecord(Random random)
    {
        var junk = new byte[random.Next(1, 300)];
        random.NextBytes(junk);
        junk[0] = (byte)random.Next(20, 26);
        if (junk.Length > 2)
        {
            junk[1] = 0xfe;
            junk[2] = 0xfd;
        }
        return junk;
    }
}
