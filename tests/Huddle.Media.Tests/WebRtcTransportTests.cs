using System.Buffers.Binary;
using System.Net;
using Huddle.Media.Dtls;
using Huddle.Media.Srtp;
using Huddle.Media.Transport;
using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

/// <summary>Our client against our server transport over real loopback UDP: ICE-lite, DTLS, SRTP end to end.</summary>
public sealed class WebRtcTransportTests : IDisposable
{
    private readonly UdpMediaSocket _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly DtlsContext _serverDtls = new();
    private readonly DtlsContext _clientDtls = new();

    public WebRtcTransportTests() => _socket.Start();

    public void Dispose()
    {
        _socket.Dispose();
        _serverDtls.Dispose();
        _clientDtls.Dispose();
    }

    /// <summary>Sends every RTP and RTCP packet straight back.</summary>
    private sealed class Reflector : IWebRtcTransportListener
    {
        public readonly List<WebRtcTransportState> States = [];
        public string? LastReason;
        private readonly byte[] _buffer = new byte[2048];

        public void OnStateChanged(WebRtcTransport transport, WebRtcTransportState state, string? reason)
        {
            lock (States) States.Add(state);
            LastReason = reason;
        }

        public void OnRtp(WebRtcTransport transport, Span<byte> packet)
        {
            packet.CopyTo(_buffer);
            transport.SendRtp(_buffer, packet.Length);
        }

        public void OnRtcp(WebRtcTransport transport, Span<byte> packet)
        {
            packet.CopyTo(_buffer);
            transport.SendRtcp(_buffer, packet.Length);
        }
    }

    private async Task<(WebRtcTransport server, Reflector listener, WebRtcClient client)> ConnectAsync(Huddle.Media.Sdp.SdpFingerprint? expectClient = null)
    {
        var listener = new Reflector();
        var server = new WebRtcTransport(_socket, _serverDtls, DtlsRole.Server, listener);
        var client = new WebRtcClient(_clientDtls);
        server.Start(client.LocalIce.Ufrag, expectClient ?? client.LocalFingerprint);
        await client.ConnectAsync(_socket.LocalEndPoint, server.LocalIce.Ufrag, server.LocalIce.Password, server.LocalFingerprint)
            .WaitAsync(TimeSpan.FromSeconds(10));
        return (server, listener, client);
    }

    [Fact]
    public async Task Media_sent_by_a_client_comes_back_decrypted()
    {
        var (server, listener, client) = await ConnectAsync();
        using (client)
        using (server)
        {
            var received = new List<byte[]>();
            client.RtpReceived += p => { lock (received) received.Add(p.ToArray()); };
            await IceTests.Eventually(() => server.State == WebRtcTransportState.Connected);
            Assert.Equal(SrtpProfile.AeadAes128Gcm, server.SrtpProfile);

            var sent = new List<byte[]>();
            for (ushort seq = 1; seq <= 50; seq++)
            {
                byte[] plain = SrtpTests.RtpPacket(seq, payload: 1000);
                sent.Add(plain);
                var buffer = new byte[plain.Length + 32];
                plain.CopyTo(buffer, 0);
                Assert.True(client.SendRtp(buffer, plain.Length));
            }
            await IceTests.Eventually(() => { lock (received) return received.Count == 50; });
            Assert.Equal(sent.Select(Convert.ToHexString), received.Select(Convert.ToHexString));
            Assert.Equal([WebRtcTransportState.Connecting, WebRtcTransportState.Connected], listener.States);
        }
    }

    [Fact]
    public async Task Rtp_is_sent_only_from_the_receive_thread_and_not_after_dispose()
    {
        var (server, listener, client) = await ConnectAsync();
        using (client)
        {
            int echoed = 0;
            client.RtpReceived += _ => Interlocked.Increment(ref echoed);
            await IceTests.Eventually(() => server.State == WebRtcTransportState.Connected);
            // The forwarding path owns RTP protection without a lock: another thread is refused, loudly.
            byte[] plain = SrtpTests.RtpPacket(1, payload: 100);
            var buffer = new byte[plain.Length + WebRtcTransport.SrtpOverhead];
            plain.CopyTo(buffer, 0);
            Assert.Throws<InvalidOperationException>(() => server.SendRtp(buffer, plain.Length));

            // The reflector answers on the receive thread.
            plain.CopyTo(buffer, 0);
            Assert.True(client.SendRtp(buffer, plain.Length));
            await IceTests.Eventually(() => Volatile.Read(ref echoed) == 1);

            // Disposed mid-session: later packets are dropped on the receive thread, nothing crashes.
            server.Dispose();
            long dropsBefore = _socket.Counters.DroppedUnknownSender + _socket.Counters.DroppedNotSendable;
            for (ushort seq = 2; seq < 20; seq++)
            {
                plain = SrtpTests.RtpPacket(seq, payload: 100);
                plain.CopyTo(buffer, 0);
                client.SendRtp(buffer, plain.Length);
            }
            await IceTests.Eventually(() => _socket.Counters.DroppedUnknownSender + _socket.Counters.DroppedNotSendable >= dropsBefore + 18);
            Assert.Equal(1, echoed);
            Assert.Equal(0, _socket.Counters.HandlerErrors);
        }
    }

    [Fact]
    public async Task Junk_from_strangers_and_forged_packets_from_the_peer_do_not_disturb_the_session()
    {
        var (server, _, client) = await ConnectAsync();
        using (client)
        using (server)
        {
            int echoed = 0;
            client.RtpReceived += _ => Interlocked.Increment(ref echoed);
            using var stranger = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var random = new Random(5);
            byte[] valid = SrtpTests.RtpPacket(1, payload: 200);

            for (int i = 0; i < 3000; i++)
            {
                // STUN, DTLS and RTP first bytes from an unknown address, and forged SRTP from the peer's own address.
                byte[] junk = new byte[random.Next(1, 1300)];
                random.NextBytes(junk);
                junk[0] = (i % 3) switch { 0 => 0x00, 1 => 0x16, _ => 0x80 };
                stranger.SendTo(junk, _socket.LocalEndPoint);
                if (i % 10 == 0)
                {
                    byte[] forged = (byte[])valid.Clone();
                    forged = [.. forged, .. new byte[16]];
                    client.SendRaw(forged);
                }
            }
            for (ushort seq = 1; seq <= 20; seq++)
            {
                byte[] plain = SrtpTests.RtpPacket(seq, payload: 200);
                var buffer = new byte[plain.Length + 32];
                plain.CopyTo(buffer, 0);
                client.SendRtp(buffer, plain.Length);
            }
            // Loopback UDP may itself lose a few datagrams of a flood when the machine is busy: count
            // what must hold whatever the kernel dropped.
            await IceTests.Eventually(() => Volatile.Read(ref echoed) >= 15);
            Assert.Equal(WebRtcTransportState.Connected, server.State);
            Assert.True(_socket.Counters.DroppedUnknownSender + _socket.Counters.DroppedMalformed >= 1000);
            Assert.InRange(server.Counters.RtpDropped, 1, 300); // forged SRTP from the peer's own address: refused
            Assert.Equal(0, _socket.Counters.HandlerErrors);
        }
    }

    [Fact]
    public async Task A_client_whose_certificate_does_not_match_the_offer_never_gets_media_through()
    {
        DtlsCertificate other = DtlsCertificate.Generate();
        var listener = new Reflector();
        using var server = new WebRtcTransport(_socket, _serverDtls, DtlsRole.Server, listener);
        using var client = new WebRtcClient(_clientDtls);
        server.Start(client.LocalIce.Ufrag, other.Fingerprint);
        // The client side completes its handshake, but the server refuses the certificate.
        try
        {
            await client.ConnectAsync(_socket.LocalEndPoint, server.LocalIce.Ufrag, server.LocalIce.Password, server.LocalFingerprint)
                .WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Either outcome on the client side is fine; what matters is the server.
        }
        await IceTests.Eventually(() => server.State == WebRtcTransportState.Failed);
        Assert.Contains("fingerprint", listener.LastReason);
        byte[] plain = SrtpTests.RtpPacket(1);
        var buffer = new byte[plain.Length + 32];
        plain.CopyTo(buffer, 0);
        client.SendRtp(buffer, plain.Length);
        await Task.Delay(100);
        Assert.Equal(0, server.Counters.RtpReceived);
    }

    [Fact]
    public async Task A_peer_that_vanishes_without_closing_is_detected_by_consent_expiry()
    {
        var (server, listener, client) = await ConnectAsync();
        using (server)
        {
            server.ConsentTimeout = TimeSpan.FromSeconds(1);
            await IceTests.Eventually(() => server.State == WebRtcTransportState.Connected);
            // Gone without close_notify: the socket closes, no more consent checks arrive.
            client.Abandon();
            await IceTests.Eventually(() => server.State == WebRtcTransportState.Failed, 5000);
            Assert.Contains("consent", listener.LastReason);
            Assert.Equal(0, _socket.EndpointCount);
        }
    }

    [Fact]
    public async Task Consent_checks_keep_a_quiet_session_alive()
    {
        var listener = new Reflector();
        using var server = new WebRtcTransport(_socket, _serverDtls, DtlsRole.Server, listener) { ConsentTimeout = TimeSpan.FromSeconds(2) };
        using var client = new WebRtcClient(_clientDtls) { ConsentInterval = TimeSpan.FromMilliseconds(200) };
        server.Start(client.LocalIce.Ufrag, client.LocalFingerprint);
        await client.ConnectAsync(_socket.LocalEndPoint, server.LocalIce.Ufrag, server.LocalIce.Password, server.LocalFingerprint)
            .WaitAsync(TimeSpan.FromSeconds(10));
        // No media at all for two and a half consent timeouts: only the checks (every 200 ms) keep it up.
        await Task.Delay(5000);
        Assert.Equal(WebRtcTransportState.Connected, server.State);
    }
}
