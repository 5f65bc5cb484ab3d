using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Huddle.Load;
using Huddle.Media.Interop;
using Huddle.Media.Udp;

namespace Huddle.Bench.Load;

/// <summary>
/// The machine's physical limit for forwarding: a UDP relay with no crypto and no RTP logic. A sender
/// joins a room with one datagram ("HLDJ" + room name, answered "HLDA"); after that every datagram it
/// sends goes to every other member of its room. By default one thread and one socket, like Huddle's
/// media port: what an SFU's forwarding would cost if SRTP, RTCP and rewriting were free
/// (<c>--threads N</c>: N threads, each with its own SO_REUSEPORT socket on the same port). It moves
/// datagrams as Huddle's media port does: every queued datagram with one recvmmsg, then all their
/// copies with one sendmmsg, copies to one address joined into UDP GSO sends (<c>--no-gso</c>: one
/// message per copy; <c>--no-batch</c>: one recvfrom and one sendto each).
/// </summary>
internal static class RawRelay
{
    public static readonly byte[] JoinMagic = "HLDJ"u8.ToArray();
    public static readonly byte[] AckMagic = "HLDA"u8.ToArray();

    /// <summary>
    /// Asks the relay for its figures; the answer is <see cref="FiguresMagic"/>, then datagrams in, copies
    /// sent, segmented sends, send failures and the forwarding histogram's buckets, all 64-bit little-endian.
    /// </summary>
    public static readonly byte[] FiguresMagic = "HLDS"u8.ToArray();

    public static int Run(string[] args)
    {
        int port = BrowserBench.Option(args, "--port", 0);
        int threads = Math.Clamp(BrowserBench.Option(args, "--threads", 1), 1, 16);
        bool batch = !args.Contains("--no-batch") && SendBatch.IsSupported && ReceiveBatch.IsSupported;
        bool segment = batch && !args.Contains("--no-gso");
        var shared = new Shared();
        var loops = new List<Loop>();
        for (int t = 0; t < threads; t++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.ReceiveBufferSize = 8 * 1024 * 1024;
            socket.SendBufferSize = 8 * 1024 * 1024;
            if (threads > 1) ReusePort(socket);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            // The other threads' sockets share the first one's port.
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            loops.Add(new Loop(socket, batch ? new SendBatch(socket, segment) : null, batch ? new ReceiveBatch(socket) : null, shared));
        }
        shared.Loops = [.. loops];
        Console.WriteLine($"relay listening on 127.0.0.1:{port}, {threads} thread(s), " +
            (batch ? $"recvmmsg rounds, copies with sendmmsg{(segment ? " and UDP GSO" : "")}" : "one recvfrom and one sendto per copy"));
        // Named like Huddle's media thread, so the load command reports their preemptions too.
        Thread[] running = [.. loops.Select((loop, i) => new Thread(loop.Run) { Name = $"huddle-udp-rel{i}" })];
        foreach (Thread thread in running) thread.Start();
        foreach (Thread thread in running) thread.Join();
        return 0;
    }

    /// <summary>
    /// SO_REUSEPORT: several sockets on one port, the kernel spreading senders over them by a hash of their
    /// address, so each sender's datagrams reach one thread, in order.
    /// </summary>
    private static unsafe void ReusePort(Socket socket)
    {
        const int soReusePort = 15;
        int on = 1;
        if (LinuxUdp.setsockopt((int)socket.Handle, LinuxUdp.SolSocket, soReusePort, &on, sizeof(int)) != 0)
            throw new SocketException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
    }

    /// <summary>Rooms, shared by the threads: members are copy-on-write arrays, so forwarding takes no lock.</summary>
    private sealed class Shared
    {
        public readonly Dictionary<string, Room> Rooms = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<SocketAddress, Room> Members = new();
        public Loop[] Loops = [];

        public void Join(SocketAddress from, string name)
        {
            var member = new SocketAddress(AddressFamily.InterNetwork);
            from.Buffer.Span.CopyTo(member.Buffer.Span);
            member.Size = from.Size;
            lock (Rooms)
            {
                if (Members.ContainsKey(member)) return;
                if (!Rooms.TryGetValue(name, out Room? room)) Rooms[name] = room = new Room();
                room.Members = [.. room.Members, member];
                Members[member] = room;
            }
        }

        /// <summary>Every thread's figures summed, in the shape <see cref="ParseFigures"/> reads.</summary>
        public byte[] Figures()
        {
            long[] head = new long[4];
            long[] buckets = new long[LatencyHistogram.BucketCount];
            foreach (Loop loop in Loops)
            {
                head[0] += Volatile.Read(ref loop.DatagramsIn);
                head[1] += Volatile.Read(ref loop.Sent);
                head[2] += Volatile.Read(ref loop.Segmented);
                head[3] += Volatile.Read(ref loop.Failed);
                long[] own = loop.Forwarding.Snapshot();
                for (int i = 0; i < buckets.Length; i++) buckets[i] += own[i];
            }
            var answer = new byte[FiguresMagic.Length + (head.Length + buckets.Length) * sizeof(long)];
            FiguresMagic.CopyTo(answer, 0);
            Span<byte> rest = answer.AsSpan(FiguresMagic.Length);
            foreach (long value in head.Concat(buckets))
            {
                BinaryPrimitives.WriteInt64LittleEndian(rest, value);
                rest = rest[sizeof(long)..];
            }
            return answer;
        }
    }

    private sealed class Room
    {
        public volatile SocketAddress[] Members = [];
    }

    /// <summary>
    /// One thread's loop and figures. Like Huddle's media port it times every copy from its datagram's
    /// arrival in the socket (the kernel's stamp) to the send that carried it returning, so the two
    /// forwarding histograms measure the same span.
    /// </summary>
    private sealed class Loop(Socket socket, SendBatch? sends, ReceiveBatch? receiveBatch, Shared shared)
    {
        public readonly LatencyHistogram Forwarding = new();
        public long DatagramsIn;
        public long Sent;
        public long Segmented;
        public long Failed;
        // Datagrams of this round whose copies wait in the batch: when each arrived, how many copies.
        private readonly (long ArrivedAt, int Copies)[] _waiting = new (long, int)[ReceiveBatch.Capacity];
        private int _waitingCount;

        public void Run()
        {
            IReceiveRound receive = receiveBatch ?? (IReceiveRound)new SingleReceive(socket, 2048);
            var from = new SocketAddress(AddressFamily.InterNetwork);
            while (true)
            {
                int n = receive.Receive();
                if (n < 0) return;
                var clock = RoundClock.Now();
                for (int i = 0; i < n; i++)
                {
                    Volatile.Write(ref DatagramsIn, DatagramsIn + 1);
                    if (receive.Truncated(i) || !receive.TryGetSource(i, from)) continue;
                    Handle(receive.Datagram(i), from, clock.ArrivedAt(receive, i));
                }
                if (sends is { Count: > 0 }) Flush();
            }
        }

        private void Handle(ReadOnlySpan<byte> datagram, SocketAddress from, long arrivedAt)
        {
            if (shared.Members.TryGetValue(from, out Room? room))
            {
                int copies = 0;
                foreach (SocketAddress to in room.Members)
                {
                    if (to.Equals(from)) continue;
                    if (sends is null)
                    {
                        SendNow(datagram, to);
                        Forwarding.RecordSince(arrivedAt);
                        continue;
                    }
                    if (sends.Count == SendBatch.Capacity)
                    {
                        if (copies > 0) _waiting[_waitingCount++] = (arrivedAt, copies);
                        copies = 0;
                        Flush();
                    }
                    if (sends.TryAdd(datagram, to)) copies++;
                }
                if (copies > 0) _waiting[_waitingCount++] = (arrivedAt, copies);
            }
            else if (datagram.Length > JoinMagic.Length && datagram.StartsWith(JoinMagic))
            {
                shared.Join(from, Encoding.UTF8.GetString(datagram[JoinMagic.Length..]));
                SendNow(AckMagic, from);
            }
            else if (datagram.SequenceEqual(FiguresMagic))
            {
                SendNow(shared.Figures(), from);
            }
        }

        private void Flush()
        {
            FlushResult flushed = sends!.Flush();
            for (int i = 0; i < _waitingCount; i++) Forwarding.RecordSince(_waiting[i].ArrivedAt, _waiting[i].Copies);
            _waitingCount = 0;
            Volatile.Write(ref Sent, Sent + flushed.Sent);
            Volatile.Write(ref Segmented, Segmented + flushed.Segmented);
            Volatile.Write(ref Failed, Failed + flushed.Failed);
        }

        private void SendNow(ReadOnlySpan<byte> datagram, SocketAddress to)
        {
            try
            {
                socket.SendTo(datagram, SocketFlags.None, to);
                Volatile.Write(ref Sent, Sent + 1);
            }
            catch (SocketException)
            {
                Volatile.Write(ref Failed, Failed + 1);
            }
        }
    }

    /// <summary>Reads the answer to <see cref="FiguresMagic"/>; null when it is not one.</summary>
    public static ServerFigures? ParseFigures(ReadOnlySpan<byte> answer)
    {
        if (!answer.StartsWith(FiguresMagic) || (answer.Length - FiguresMagic.Length) != (4 + LatencyHistogram.BucketCount) * sizeof(long)) return null;
        ReadOnlySpan<byte> rest = answer[FiguresMagic.Length..];
        var values = new long[rest.Length / sizeof(long)];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(rest[(i * sizeof(long))..]);
        return new ServerFigures(values[0], values[1], values[2], new Dictionary<string, long> { ["sendErrors"] = values[3] }, values[4..]);
    }
}

/// <summary>The raw relay, started in its own process.</summary>
internal sealed class RelayTarget : ILoadTarget
{
    private readonly ChildProcess _process;
    private readonly IPEndPoint _relay;
    private readonly BatchReceiver _receiver;

    private RelayTarget(ChildProcess process, IPEndPoint relay, BatchReceiver receiver)
    {
        _receiver = receiver;
        _process = process;
        _relay = relay;
    }

    public string Name => "relay";

    public BatchReceiver? Receiver => _receiver;

    public int? Pid => _process.Pid;

    public static async Task<RelayTarget> StartAsync(LoadOptions options)
    {
        int port = ChildProcess.FreePort(udp: true);
        var process = ChildProcess.Start("relay", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--threads", options.RelayThreads.ToString(System.Globalization.CultureInfo.InvariantCulture)], Path.Combine("artifacts", "load", "relay.log"));
        var target = new RelayTarget(process, new IPEndPoint(IPAddress.Loopback, port), options.BotReceiver());
        // Ready when a join is answered.
        await using IMediaBot probe = await target.JoinAsync("probe", uint.MaxValue, new LatencyHistogram(), CancellationToken.None);
        return target;
    }

    public async Task<IMediaBot> JoinAsync(string room, uint index, LatencyHistogram latency, CancellationToken cancellationToken) =>
        await RelayBot.JoinAsync(_relay, room, index, latency, _receiver, cancellationToken);

    public async Task<ServerFigures?> ReadFiguresAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var answer = new byte[64 * 1024];
        for (int attempt = 0; attempt < 5; attempt++)
        {
            await socket.SendToAsync(RawRelay.FiguresMagic, _relay);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                int length = await socket.ReceiveAsync(answer, wait.Token);
                if (RawRelay.ParseFigures(answer.AsSpan(0, length)) is { } figures) return figures;
            }
            catch (OperationCanceledException)
            {
            }
        }
        throw new TimeoutException("the relay did not answer a request for its figures");
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        _receiver.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A bot for the raw relay: the same synthetic media and measurements, plain RTP on a plain socket.</summary>
internal sealed class RelayBot : IMediaBot, IDatagramHandler
{
    private readonly BatchReceiver _receiver;
    private readonly Socket _socket;
    private readonly IPEndPoint _relay;
    private readonly TaskCompletionSource _ack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SyntheticStream.PacketSink _sink;
    private MediaSender? _media;
    private long _sent;
    private long _sentBytes;

    private RelayBot(IPEndPoint relay, uint index, LatencyHistogram latency, BatchReceiver receiver)
    {
        _relay = relay;
        _receiver = receiver;
        Index = index;
        Received = new ReceiveTracker(latency);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Connect(relay);
        _sink = (buffer, length) =>
        {
            try
            {
                _socket.Send(buffer[..length]);
                _sent++;
                _sentBytes += length;
            }
            catch (SocketException)
            {
            }
        };
        receiver.Add(_socket, this);
    }

    public uint Index { get; }

    public ReceiveTracker Received { get; }

    public long PacketsSent => Volatile.Read(ref _sent);

    public long BytesSent => Volatile.Read(ref _sentBytes);

    public TimeSpan JoinTime { get; private set; }

    public long KeyFramesSent => _media?.KeyFramesSent ?? 0;

    // The relay sends no RTCP.
    public long PlisReceived => 0;

    public long NacksReceived => 0;

    public long Retransmitted => 0;

    public IReadOnlyCollection<string> Errors => [];

    public static async Task<RelayBot> JoinAsync(IPEndPoint relay, string room, uint index, LatencyHistogram latency, BatchReceiver receiver, CancellationToken cancellationToken)
    {
        var bot = new RelayBot(relay, index, latency, receiver);
        long start = Stopwatch.GetTimestamp();
        byte[] join = [.. RawRelay.JoinMagic, .. Encoding.UTF8.GetBytes(room)];
        for (int attempt = 0; !bot._ack.Task.IsCompleted; attempt++)
        {
            if (attempt == 100)
            {
                await bot.DisposeAsync();
                throw new TimeoutException("the relay did not answer a join");
            }
            try
            {
                bot._socket.Send(join);
            }
            catch (SocketException)
            {
            }
            await Task.WhenAny(bot._ack.Task, Task.Delay(100, cancellationToken));
        }
        bot.JoinTime = Stopwatch.GetElapsedTime(start);
        return bot;
    }

    public Task PublishAsync(MediaProfile profile, CancellationToken cancellationToken)
    {
        if (profile.Publishes) _media = new MediaSender(profile, Index, _sink);
        return Task.CompletedTask;
    }

    public long SendDue(long now) => _media?.SendDue(now) ?? long.MaxValue;

    void IDatagramHandler.OnDatagram(Span<byte> datagram, long receivedAt)
    {
        if (datagram.SequenceEqual(RawRelay.AckMagic)) _ack.TrySetResult();
        else Received.OnRtp(datagram, receivedAt);
    }

    public ValueTask DisposeAsync()
    {
        _receiver.Remove(_socket);
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
