using System.Net;
using System.Net.Sockets;
using Huddle.Media.Ice;
using Huddle.Media.Stun;
using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

public sealed class IceTests
{
    private static SocketAddress Address(string ip, int port) => new IPEndPoint(IPAddress.Parse(ip), port).Serialize();

    [Fact]
    public void Lite_agent_answers_an_authentic_check_and_takes_the_nominated_address()
    {
        var server = new IceLiteAgent(IceCredentials.Generate());
        var clientCredentials = IceCredentials.Generate();
        server.SetRemoteUfrag(clientCredentials.Ufrag);
        var client = new IceClient(clientCredentials, server.Local.Ufrag, server.Local.Password);
        var request = new byte[StunConstants.MaxMessageLength];
        var response = new byte[StunConstants.MaxMessageLength];

        int length = client.WriteCheck(request);
        Assert.True(StunMessage.TryParse(request.AsSpan(0, length), out StunMessage check));
        Assert.True(check.HasAttribute(StunAttributeType.UseCandidate));
        Assert.True(check.HasAttribute(StunAttributeType.IceControlling));

        SocketAddress from = Address("192.0.2.7", 40000);
        IceCheckOutcome outcome = server.HandleRequest(check, from, response, out int responseLength);

        Assert.Equal(IceCheckOutcome.Nominated, outcome);
        Assert.True(server.IsNominated);
        Assert.Equal(from, server.SelectedAddress);
        Assert.True(client.HandleResponse(response.AsSpan(0, responseLength)));
        // XOR-MAPPED-ADDRESS tells the client where the server saw it.
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 40000), client.MappedAddress);
    }

    [Fact]
    public void Nominating_another_address_switches_the_path()
    {
        var server = new IceLiteAgent(IceCredentials.Generate());
        var clientCredentials = IceCredentials.Generate();
        server.SetRemoteUfrag(clientCredentials.Ufrag);
        var client = new IceClient(clientCredentials, server.Local.Ufrag, server.Local.Password);
        var buffer = new byte[StunConstants.MaxMessageLength];
        var response = new byte[StunConstants.MaxMessageLength];

        foreach (var (ip, port) in new[] { ("192.0.2.7", 40000), ("198.51.100.9", 50000) })
        {
            int length = client.WriteCheck(buffer);
            StunMessage.TryParse(buffer.AsSpan(0, length), out StunMessage check);
            Assert.Equal(IceCheckOutcome.Nominated, server.HandleRequest(check, Address(ip, port), response, out _));
            Assert.Equal(Address(ip, port), server.SelectedAddress);
        }
    }

    [Fact]
    public void Checks_with_a_wrong_password_or_ufrag_are_dropped_without_an_answer()
    {
        var server = new IceLiteAgent(IceCredentials.Generate());
        var clientCredentials = IceCredentials.Generate();
        server.SetRemoteUfrag(clientCredentials.Ufrag);
        var response = new byte[StunConstants.MaxMessageLength];
        var buffer = new byte[StunConstants.MaxMessageLength];

        var wrongPassword = new IceClient(clientCredentials, server.Local.Ufrag, "not-the-password-at-all-xx");
        var wrongUfrag = new IceClient(IceCredentials.Generate(), server.Local.Ufrag, server.Local.Password);
        var otherServer = new IceClient(clientCredentials, "someoneelse", server.Local.Password);
        foreach (IceClient client in new[] { wrongPassword, wrongUfrag, otherServer })
        {
            int length = client.WriteCheck(buffer);
            StunMessage.TryParse(buffer.AsSpan(0, length), out StunMessage check);
            Assert.Equal(IceCheckOutcome.Dropped, server.HandleRequest(check, Address("192.0.2.7", 1), response, out int n));
            Assert.Equal(0, n);
        }
        Assert.Null(server.SelectedAddress);
        Assert.Equal(0, server.LastCheckTicks);
    }

    [Fact]
    public void Consent_expires_30_seconds_after_the_last_check()
    {
        var server = new IceLiteAgent(IceCredentials.Generate());
        var clientCredentials = IceCredentials.Generate();
        server.SetRemoteUfrag(clientCredentials.Ufrag);
        var client = new IceClient(clientCredentials, server.Local.Ufrag, server.Local.Password);
        var buffer = new byte[StunConstants.MaxMessageLength];
        Assert.False(server.ConsentExpired(Environment.TickCount64 + 3_600_000));
        int length = client.WriteCheck(buffer);
        StunMessage.TryParse(buffer.AsSpan(0, length), out StunMessage check);
        server.HandleRequest(check, Address("192.0.2.7", 1), new byte[StunConstants.MaxMessageLength], out _);
        long at = server.LastCheckTicks;
        Assert.False(server.ConsentExpired(at + 29_000));
        Assert.True(server.ConsentExpired(at + 30_001));
    }

    private sealed class RecordingEndpoint(IceLiteAgent agent, UdpMediaSocket socket) : IUdpEndpoint
    {
        public readonly List<byte[]> Datagrams = [];
        public string LocalUfrag => agent.Local.Ufrag;

        public void OnStun(in StunMessage message, SocketAddress from)
        {
            var response = new byte[StunConstants.MaxMessageLength];
            if (agent.HandleRequest(message, from, response, out int length) == IceCheckOutcome.Dropped) return;
            socket.Route(from, this);
            socket.Send(response.AsSpan(0, length), from);
        }

        public void OnDatagram(PacketKind kind, Span<byte> datagram, SocketAddress from)
        {
            lock (Datagrams) Datagrams.Add(datagram.ToArray());
        }

        public int Ticks;

        public void OnTick(long nowTicks) => Interlocked.Increment(ref Ticks);
    }

    [Fact]
    public async Task Only_endpoints_that_started_ticks_get_them_and_unregistering_stops_them()
    {
        using var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Start();
        var idle = new RecordingEndpoint(new IceLiteAgent(IceCredentials.Generate()), socket);
        var started = new RecordingEndpoint(new IceLiteAgent(IceCredentials.Generate()), socket);
        var unregistered = new RecordingEndpoint(new IceLiteAgent(IceCredentials.Generate()), socket);
        socket.Register(idle);
        socket.Register(started);
        socket.StartTicks(started);
        socket.StartTicks(unregistered); // never registered: ignored

        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref started.Ticks) < 3 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(started.Ticks >= 3, $"started endpoint ticked {started.Ticks} times");
        Assert.Equal(0, idle.Ticks);
        Assert.Equal(0, unregistered.Ticks);

        socket.Unregister(started);
        await Task.Delay(UdpMediaSocket.TickInterval * 2); // a tick already under way may still land
        int afterUnregister = Volatile.Read(ref started.Ticks);
        await Task.Delay(UdpMediaSocket.TickInterval * 4);
        Assert.Equal(afterUnregister, started.Ticks);
    }

    [Fact]
    public async Task Over_real_udp_only_an_ice_validated_address_reaches_the_endpoint()
    {
        var (socket, agent, clientCredentials, endpoint) = LiteServer();
        using UdpMediaSocket _ = socket;
        using Socket stranger = LoopbackSocket(), peer = LoopbackSocket();
        byte[] rtp = Convert.FromHexString("806f0001000000010000000a" + "deadbeef");

        // Before ICE, and from a stranger at any time, media is dropped.
        await stranger.SendToAsync(rtp, socket.LocalEndPoint);
        await peer.SendToAsync(rtp, socket.LocalEndPoint);
        var client = new IceClient(clientCredentials, agent.Local.Ufrag, agent.Local.Password);
        await client.ConnectAsync(peer, socket.LocalEndPoint);
        Assert.Equal(peer.LocalEndPoint, client.MappedAddress);
        await stranger.SendToAsync(rtp, socket.LocalEndPoint);
        await peer.SendToAsync(rtp, socket.LocalEndPoint);

        await Eventually(() => endpoint.Datagrams.Count == 1);
        await Eventually(() => socket.Counters.DroppedUnknownSender == 3);
        Assert.Equal(rtp, endpoint.Datagrams[0]);
    }

    [Fact]
    public async Task The_client_connects_with_blocking_calls_only_so_its_socket_stays_out_of_the_runtimes_socket_engine()
    {
        // A socket that ever had an asynchronous operation is switched to non-blocking mode and watched by
        // .NET's epoll thread for good, which then wakes for every datagram, also those a BatchReceiver
        // reads (the load bots). After ICE the descriptor must still be in blocking mode.
        var (socket, agent, clientCredentials, _) = LiteServer();
        using UdpMediaSocket server = socket;
        using Socket peer = LoopbackSocket();

        var client = new IceClient(clientCredentials, agent.Local.Ufrag, agent.Local.Password);
        await client.ConnectAsync(peer, socket.LocalEndPoint);

        Assert.True(client.Connected);
        int flags = Fcntl((int)peer.Handle, GetFlags, 0);
        Assert.True(flags >= 0, "fcntl(F_GETFL) failed");
        Assert.Equal(0, flags & NonBlocking);
    }

    /// <summary>A lite agent on a real loopback media socket, expecting a client with the returned credentials.</summary>
    private static (UdpMediaSocket Socket, IceLiteAgent Agent, IceCredentials Client, RecordingEndpoint Endpoint) LiteServer()
    {
        var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Start();
        var agent = new IceLiteAgent(IceCredentials.Generate());
        var client = IceCredentials.Generate();
        agent.SetRemoteUfrag(client.Ufrag);
        var endpoint = new RecordingEndpoint(agent, socket);
        socket.Register(endpoint);
        return (socket, agent, client, endpoint);
    }

    private static Socket LoopbackSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private const int GetFlags = 3; // F_GETFL
    private const int NonBlocking = 0x800; // O_NONBLOCK on Linux

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fcntl")]
    private static extern int Fcntl(int fd, int command, int argument);

    internal static async Task Eventually(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail("condition not met in time");
            await Task.Delay(10);
        }
    }
}
