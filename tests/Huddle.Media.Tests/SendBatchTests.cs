using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

/// <summary>
/// The forwarding path's send batch over real loopback sockets: what each subscriber's socket receives,
/// whether copies to one address were joined into segmented sends (UDP GSO) or not.
/// </summary>
public sealed class SendBatchTests
{
    private const int SolSocket = 1;
    private const int SoNoCheck = 11; // SO_NO_CHECK: UDP without checksums, which GSO refuses (EINVAL)

    private sealed class Receiver : IDisposable
    {
        public readonly Socket Socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        public Receiver()
        {
            Socket.ReceiveBufferSize = 1 << 20;
            Socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Socket.ReceiveTimeout = 5000;
        }

        public SocketAddress Address => Socket.LocalEndPoint!.Serialize();

        /// <summary>Exactly <paramref name="sent"/> arrives, byte for byte and in order, then nothing more.</summary>
        public void AssertReceived(IReadOnlyList<byte[]> sent)
        {
            var buffer = new byte[4096];
            Socket.ReceiveTimeout = 5000;
            foreach (byte[] expected in sent) Assert.Equal(expected, buffer.AsSpan(0, Socket.Receive(buffer)).ToArray());
            Socket.ReceiveTimeout = 200;
            Assert.Throws<SocketException>(() => Socket.Receive(buffer));
        }

        public void Dispose() => Socket.Dispose();
    }

    /// <summary>A datagram of <paramref name="length"/> bytes that says which one it is in every byte pair.</summary>
    private static byte[] Datagram(int id, int length)
    {
        var data = new byte[length];
        for (int i = 0; i + 1 < length; i += 2) BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i), (ushort)id);
        return data;
    }

    private static Socket Sender()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SendBufferSize = 4 << 20;
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    /// <summary>
    /// As the SFU forwards a video frame of three packets then an audio packet to two subscribers:
    /// each datagram goes to every subscriber before the next datagram is handled.
    /// </summary>
    private static List<byte[]> AddFrameAndAudio(SendBatch batch, params Receiver[] receivers)
    {
        byte[][] datagrams = [Datagram(1, 1200), Datagram(2, 1200), Datagram(3, 700), Datagram(4, 120), Datagram(5, 1200), Datagram(6, 1200)];
        foreach (byte[] datagram in datagrams)
        {
            foreach (Receiver receiver in receivers) Assert.True(batch.TryAdd(datagram, receiver.Address));
        }
        return [.. datagrams];
    }

    [Fact]
    public void Copies_to_one_address_leave_in_segmented_sends_and_arrive_whole_and_in_order()
    {
        using Socket sender = Sender();
        using var batch = new SendBatch(sender);
        using Receiver a = new(), b = new();
        List<byte[]> sent = AddFrameAndAudio(batch, a, b);

        FlushResult result = batch.Flush();

        Assert.Equal(12, result.Sent);
        Assert.Equal(2 * sent.Sum(d => d.Length), result.Bytes);
        Assert.Equal(0, result.Failed);
        // Per subscriber: [1200, 1200, 700] (the shorter one ends it), [120], [1200, 1200].
        Assert.Equal(4, result.Segmented);
        Assert.True(batch.Segmenting);
        foreach (Receiver receiver in new[] { a, b }) receiver.AssertReceived(sent);
    }

    [Fact]
    public void A_full_batch_reaches_every_subscriber_whole_and_in_order()
    {
        // As a large room fills the batch: each datagram to every subscriber, frames of full-size packets
        // ending in a shorter one, until the batch holds all it can.
        using Socket sender = Sender();
        using var batch = new SendBatch(sender);
        Receiver[] receivers = [.. Enumerable.Range(0, 16).Select(_ => new Receiver())];
        try
        {
            var sent = new List<byte[]>();
            for (int id = 0; batch.Count < SendBatch.Capacity; id++)
            {
                byte[] datagram = Datagram(id, id % 4 == 3 ? 300 + id : 1200);
                foreach (Receiver receiver in receivers) Assert.True(batch.TryAdd(datagram, receiver.Address));
                sent.Add(datagram);
            }
            Assert.Equal(SendBatch.Capacity, batch.Count);

            FlushResult flushed = batch.Flush();

            Assert.Equal(SendBatch.Capacity, flushed.Sent);
            Assert.Equal(0, flushed.Failed);
            // Fewer messages than copies: runs to one address were joined, within the kernel's limits.
            Assert.InRange(flushed.Segmented, 1, SendBatch.Capacity / 2);
            Assert.Equal(0, batch.Count);
            foreach (Receiver receiver in receivers) receiver.AssertReceived(sent);
        }
        finally
        {
            foreach (Receiver receiver in receivers) receiver.Dispose();
        }
    }

    [Fact]
    public void Without_segmentation_every_datagram_is_its_own_message()
    {
        using Socket sender = Sender();
        using var batch = new SendBatch(sender, segment: false);
        using Receiver a = new(), b = new();
        List<byte[]> sent = AddFrameAndAudio(batch, a, b);

        FlushResult result = batch.Flush();

        Assert.Equal(12, result.Sent);
        Assert.Equal(0, result.Segmented);
        foreach (Receiver receiver in new[] { a, b }) receiver.AssertReceived(sent);
    }

    [Fact]
    public void A_socket_that_refuses_segmentation_gets_every_datagram_one_by_one_and_segmenting_stops()
    {
        using Socket sender = Sender();
        // A UDP socket without checksums cannot segment: the kernel answers EINVAL to UDP_SEGMENT.
        sender.SetRawSocketOption(SolSocket, SoNoCheck, BitConverter.GetBytes(1));
        using var batch = new SendBatch(sender);
        using Receiver a = new(), b = new();
        List<byte[]> sent = AddFrameAndAudio(batch, a, b);

        FlushResult result = batch.Flush();

        Assert.Equal(12, result.Sent);
        Assert.Equal(0, result.Failed);
        Assert.Equal(0, result.Segmented);
        Assert.False(batch.Segmenting);
        foreach (Receiver receiver in new[] { a, b }) receiver.AssertReceived(sent);

        // The next flush does not ask again.
        sent = AddFrameAndAudio(batch, a);
        result = batch.Flush();
        Assert.Equal(6, result.Sent);
        Assert.Equal(0, result.Segmented);
        a.AssertReceived(sent);
    }

    [Fact]
    public void A_segmented_send_stays_within_an_ip_packet()
    {
        using Socket sender = Sender();
        using var batch = new SendBatch(sender);
        using Receiver a = new();
        // 100 copies of 1,100 bytes are 110,000 bytes: more than one IP packet can carry (64 KiB).
        var sent = new List<byte[]>();
        for (int i = 0; i < 100; i++)
        {
            byte[] datagram = Datagram(i, 1100);
            sent.Add(datagram);
            Assert.True(batch.TryAdd(datagram, a.Address));
        }

        FlushResult result = batch.Flush();

        Assert.Equal(100, result.Sent);
        Assert.Equal(0, result.Failed);
        // 59 datagrams (64,900 bytes) in the first send, the other 41 in a second.
        Assert.Equal(2, result.Segmented);
        Assert.True(batch.Segmenting);
        a.AssertReceived(sent);
    }

    [Fact]
    public void A_send_refused_for_one_address_does_not_stop_the_others()
    {
        using Socket sender = Sender();
        using var batch = new SendBatch(sender);
        using Receiver a = new();
        // Port 0 cannot be sent to (EINVAL); its copies are counted as refused.
        var nowhere = new IPEndPoint(IPAddress.Loopback, 0).Serialize();
        byte[] first = Datagram(1, 1000), second = Datagram(2, 1000);
        batch.TryAdd(first, nowhere);
        batch.TryAdd(first, a.Address);
        batch.TryAdd(second, nowhere);
        batch.TryAdd(second, a.Address);

        FlushResult result = batch.Flush();

        Assert.Equal(2, result.Sent);
        Assert.Equal(2, result.Failed);
        Assert.True(batch.Segmenting); // the address was refused, not segmentation
        Assert.Equal(1, result.Segmented);
        a.AssertReceived([first, second]);
    }
}
