using System.Net;
using System.Net.Sockets;
using Huddle.Media.Ice;
using Huddle.Media.Stun;
using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

public sealed class UdpMediaSocketTests
{
    /// <summary>Holds the receive thread inside the handling of a STUN check until released.</summary>
    private sealed class BlockingEndpoint : IUdpEndpoint
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Release = new();
        public string LocalUfrag { get; } = IceCredentials.Generate().Ufrag;

        public void OnStun(in StunMessage message, SocketAddress from)
        {
            Entered.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
        }

        public void OnDatagram(PacketKind kind, Span<byte> datagram, SocketAddress from) { }

        public void OnTick(long nowTicks) { }
    }

    [Fact]
    public async Task Retired_state_is_released_only_after_the_datagram_being_handled_is_done()
    {
        using var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Start();
        var endpoint = new BlockingEndpoint();
        socket.Register(endpoint);
        var client = new IceClient(IceCredentials.Generate(), endpoint.LocalUfrag, "0123456789abcdefghijkl");
        var check = new byte[StunConstants.MaxMessageLength];
        int length = client.WriteCheck(check);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo(check.AsSpan(0, length), socket.LocalEndPoint);
        Assert.True(endpoint.Entered.Wait(TimeSpan.FromSeconds(10)), "the check never reached the endpoint");

        int released = 0;
        socket.Retire(() => Interlocked.Increment(ref released));
        // Many ticks pass while the receive thread is still inside that datagram.
        await Task.Delay(UdpMediaSocket.TickInterval * 6);
        Assert.Equal(0, Volatile.Read(ref released));

        endpoint.Release.Set();
        await IceTests.Eventually(() => Volatile.Read(ref released) == 1, 10_000);

        // Retired while the receive thread waits for datagrams: released at the next tick.
        int idleReleased = 0;
        socket.Retire(() => Interlocked.Increment(ref idleReleased));
        await IceTests.Eventually(() => Volatile.Read(ref idleReleased) == 1, 10_000);
        Assert.Equal(1, released);
    }

    [Fact]
    public void Retiring_on_a_disposed_socket_releases_at_once()
    {
        var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Start();
        int early = 0, late = 0;
        socket.Retire(() => early++);
        socket.Dispose();
        Assert.Equal(1, early);
        socket.Retire(() => late++);
        Assert.Equal(1, late);
    }

    [Fact]
    public async Task Posted_work_runs_on_the_receive_thread_before_the_next_datagram()
    {
        using var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Start();
        int ranOnReceiveThread = 0, ran = 0;
        socket.Post(() =>
        {
            if (socket.OnReceiveThread) ranOnReceiveThread++;
            ran++;
        });
        Assert.False(socket.OnReceiveThread);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, socket.LocalEndPoint); // junk: dropped, but it wakes the loop
        await IceTests.Eventually(() => socket.Counters.DroppedMalformed == 1, 10_000);
        Assert.Equal(1, ran);
        Assert.Equal(1, ranOnReceiveThread);
    }

    /// <summary>
    /// Forwards each RTP datagram back to its sender. With <paramref name="holdFirst"/>, the first one is
    /// not forwarded: the receive thread stays inside it until the test sets <see cref="Release"/>.
    /// </summary>
    private sealed class EchoEndpoint(UdpMediaSocket socket, bool holdFirst = false) : IUdpEndpoint
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Release = new();
        public int Handled;
        public string LocalUfrag { get; } = IceCredentials.Generate().Ufrag;

        public void OnStun(in StunMessage message, SocketAddress from) { }

        public void OnDatagram(PacketKind kind, Span<byte> datagram, SocketAddress from)
        {
            if (Interlocked.Increment(ref Handled) == 1 && holdFirst)
            {
                Entered.Set();
                Release.Wait(TimeSpan.FromSeconds(30));
                return;
            }
            if (socket.Send(datagram, from)) socket.RecordForwarded();
        }

        public void OnTick(long nowTicks) { }
    }

    /// <summary>
    /// When the first socket of the machine asks for receive timestamps, Linux turns stamping on through a
    /// work queue (net_enable_timestamp); until then a datagram is stamped when it is read, not when it
    /// arrived. Tests that rely on arrival stamps give it this long.
    /// </summary>
    internal static readonly TimeSpan KernelStampsOn = TimeSpan.FromMilliseconds(500);

    private static byte[] Rtp(int length)
    {
        var packet = new byte[length];
        packet[0] = 0x80;
        packet[1] = 96;
        return packet;
    }

    [Fact]
    public async Task Forwarding_latency_counts_the_time_a_datagram_waited_in_the_socket()
    {
        using var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Start();
        var endpoint = new EchoEndpoint(socket, holdFirst: true);
        socket.Register(endpoint);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Route(peer.LocalEndPoint!.Serialize(), endpoint);
        await Task.Delay(KernelStampsOn);

        peer.SendTo(Rtp(100), socket.LocalEndPoint); // the receive thread stays inside this one
        Assert.True(endpoint.Entered.Wait(TimeSpan.FromSeconds(10)));
        peer.SendTo(Rtp(100), socket.LocalEndPoint); // so this one waits in the socket
        await Task.Delay(300);
        endpoint.Release.Set();
        await IceTests.Eventually(() => Volatile.Read(ref endpoint.Handled) == 2, 10_000);
        await IceTests.Eventually(() => socket.ForwardingLatency.Snapshot().Sum() == 1, 10_000);

        long[] counts = socket.ForwardingLatency.Snapshot();
        // The only copy (of the second datagram) left at least 300 ms after that datagram reached the socket.
        Assert.True(LatencyHistogram.Quantile(counts, 1.0) >= 280_000, $"longest forwarding {LatencyHistogram.Quantile(counts, 1.0)} µs");
    }

    [Theory]
    [InlineData(true)] // recvmmsg rounds
    [InlineData(false)] // one recvfrom a round
    public async Task An_oversized_datagram_is_dropped_and_the_next_one_is_handled(bool batchReceives)
    {
        using var socket = new UdpMediaSocket(new IPEndPoint(IPAddress.Loopback, 0), batchReceives: batchReceives);
        socket.Start();
        var endpoint = new EchoEndpoint(socket);
        socket.Register(endpoint);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Route(peer.LocalEndPoint!.Serialize(), endpoint);

        peer.SendTo(Rtp(3000), socket.LocalEndPoint);
        peer.SendTo(Rtp(1200), socket.LocalEndPoint);
        await IceTests.Eventually(() => Volatile.Read(ref endpoint.Handled) == 1, 10_000);
        var echo = new byte[4096];
        peer.ReceiveTimeout = 5000;
        Assert.Equal(1200, peer.Receive(echo));
        await Task.Delay(100);
        Assert.Equal(1, endpoint.Handled);
    }
}
