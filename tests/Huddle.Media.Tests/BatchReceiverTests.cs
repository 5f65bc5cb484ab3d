using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Huddle.Media.Udp;

namespace Huddle.Media.Tests;

/// <summary>One thread receiving for many sockets (epoll + recvmmsg), with the kernel's arrival times.</summary>
public class BatchReceiverTests
{
    private sealed class Collector : IDatagramHandler
    {
        public ConcurrentQueue<(byte[] Data, long At)> Got { get; } = new();

        public void OnDatagram(Span<byte> datagram, long receivedAt) => Got.Enqueue((datagram.ToArray(), receivedAt));
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static void WaitFor(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(5);
    }

    [Fact]
    public void Every_datagram_of_every_socket_arrives_once_in_order_with_its_arrival_time()
    {
        using var receiver = new BatchReceiver();
        using Socket a = Bound(), b = Bound(), sender = Bound();
        var toA = new Collector();
        var toB = new Collector();
        long before = BatchReceiver.UnixTicks();
        // Queued before the sockets are added: more than three recvmmsg batches (32) wait on each.
        for (int i = 0; i < 100; i++)
        {
            sender.SendTo(BitConverter.GetBytes(i), a.LocalEndPoint!);
            sender.SendTo(BitConverter.GetBytes(1000 + i), b.LocalEndPoint!);
        }
        receiver.Add(a, toA);
        receiver.Add(b, toB);
        WaitFor(() => toA.Got.Count == 100 && toB.Got.Count == 100);
        long after = BatchReceiver.UnixTicks();

        Assert.Equal(Enumerable.Range(0, 100), toA.Got.Select(g => BitConverter.ToInt32(g.Data)));
        Assert.Equal(Enumerable.Range(1000, 100), toB.Got.Select(g => BitConverter.ToInt32(g.Data)));
        Assert.All(toA.Got.Concat(toB.Got), g => Assert.InRange(g.At, before, after));
        Assert.Equal(200, receiver.Datagrams);
        Assert.Equal(8, receiver.Calls); // 32 + 32 + 32 + 4 per socket
    }

    [Fact]
    public void A_receiver_that_yields_on_wake_runs_under_sched_batch_and_still_delivers()
    {
        using var yielding = new BatchReceiver(name: "yield-on-wake", yieldOnWake: true);
        using var plain = new BatchReceiver(name: "plain-receive");
        using Socket a = Bound(), sender = Bound();
        var got = new Collector();
        yielding.Add(a, got);
        for (int i = 0; i < 10; i++) sender.SendTo(BitConverter.GetBytes(i), a.LocalEndPoint!);
        WaitFor(() => got.Got.Count == 10);

        Assert.Equal(Enumerable.Range(0, 10), got.Got.Select(g => BitConverter.ToInt32(g.Data)));
        Assert.True(yielding.YieldsOnWake);
        Assert.False(plain.YieldsOnWake);
        // What the kernel schedules them with (policy, field 41 of /proc/<pid>/task/<tid>/stat): 3 is SCHED_BATCH, 0 SCHED_OTHER.
        Assert.Equal(3, SchedulingPolicy("yield-on-wake"));
        Assert.Equal(0, SchedulingPolicy("plain-receive"));
    }

    private static int SchedulingPolicy(string threadName)
    {
        // A thread takes its name once it runs.
        string? task = null;
        WaitFor(() => (task = Directory.EnumerateDirectories("/proc/self/task")
            .FirstOrDefault(t => File.Exists(Path.Combine(t, "comm")) && File.ReadAllText(Path.Combine(t, "comm")).Trim() == threadName)) is not null);
        if (task is null) throw new InvalidOperationException($"no thread named {threadName}");
        string stat = File.ReadAllText(Path.Combine(task, "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces; field 3 comes first.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_settling_receiver_still_delivers_everything_with_the_kernels_arrival_time()
    {
        // After a small round it waits two seconds before looking again: what arrives meanwhile is handed
        // out late, but stamped when it arrived.
        using var receiver = new BatchReceiver(settleMs: 2000);
        using Socket a = Bound(), sender = Bound();
        var toA = new Collector();
        receiver.Add(a, toA);
        Thread.Sleep(UdpMediaSocketTests.KernelStampsOn);
        sender.SendTo(BitConverter.GetBytes(1), a.LocalEndPoint!);
        WaitFor(() => toA.Got.Count == 1);
        long sentSecond = BatchReceiver.UnixTicks();
        sender.SendTo(BitConverter.GetBytes(2), a.LocalEndPoint!);
        WaitFor(() => toA.Got.Count == 2);
        long handedOut = BatchReceiver.UnixTicks();

        Assert.Equal([1, 2], toA.Got.Select(g => BitConverter.ToInt32(g.Data)));
        long stampedAfterSend = toA.Got.ElementAt(1).At - sentSecond;
        Assert.InRange(stampedAfterSend, 0, TimeSpan.TicksPerMillisecond * 50);
        // It really was handed out after the pause, so the stamp did not come from the handing out.
        Assert.True(handedOut - sentSecond >= TimeSpan.TicksPerMillisecond * 300, $"handed out {(handedOut - sentSecond) / 10_000} ms after sending");
    }

    [Fact]
    public void Coalesced_datagrams_are_split_back_into_the_datagrams_that_were_sent()
    {
        // A segmented send (UDP GSO) of a frame's packets, then a shorter one on its own, then another
        // run: with UDP GRO the kernel hands each run over as one buffer, which must come out as the
        // datagrams sent, in order, each with the run's arrival time.
        using var receiver = new BatchReceiver(coalesce: true);
        using Socket a = Bound(), sender = Bound();
        var toA = new Collector();
        receiver.Add(a, toA);
        Thread.Sleep(UdpMediaSocketTests.KernelStampsOn);
        byte[][] sent = [.. new[] { 1200, 1200, 1200, 700, 120, 1000, 1000 }.Select((length, i) => Enumerable.Repeat((byte)(i + 1), length).ToArray())];
        long before = BatchReceiver.UnixTicks();
        using (var batch = new SendBatch(sender))
        {
            foreach (byte[] datagram in sent) Assert.True(batch.TryAdd(datagram, a.LocalEndPoint!.Serialize()));
            FlushResult result = batch.Flush();
            Assert.Equal(sent.Length, result.Sent);
            Assert.Equal(2, result.Segmented); // [1200, 1200, 1200, 700], [120], [1000, 1000]
        }
        WaitFor(() => toA.Got.Count >= sent.Length);
        Thread.Sleep(100);
        long after = BatchReceiver.UnixTicks();

        Assert.Equal(sent, toA.Got.Select(g => g.Data));
        Assert.All(toA.Got, g => Assert.InRange(g.At, before, after));
        Assert.Equal(sent.Length, receiver.Datagrams);
        Assert.Equal(2, receiver.Coalesced);
    }

    [Fact]
    public void A_removed_socket_gets_nothing_more_and_the_others_keep_receiving()
    {
        using var receiver = new BatchReceiver();
        using Socket a = Bound(), b = Bound(), sender = Bound();
        var toA = new Collector();
        var toB = new Collector();
        receiver.Add(a, toA);
        receiver.Add(b, toB);
        sender.SendTo([1], a.LocalEndPoint!);
        WaitFor(() => toA.Got.Count == 1);
        receiver.Remove(a);
        sender.SendTo([2], a.LocalEndPoint!);
        sender.SendTo([3], b.LocalEndPoint!);
        WaitFor(() => toB.Got.Count == 1);
        Thread.Sleep(100);

        Assert.Single(toA.Got);
        Assert.Equal([3], toB.Got.Single().Data);
    }
}
