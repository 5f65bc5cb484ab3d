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
}
