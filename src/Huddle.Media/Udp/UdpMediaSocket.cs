using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Huddle.Media.Ice;
using Huddle.Media.Stun;

namespace Huddle.Media.Udp;

/// <summary>Something that owns datagrams from known addresses on a <see cref="UdpMediaSocket"/>.</summary>
public interface IUdpEndpoint
{
    /// <summary>ICE ufrag that STUN checks for this endpoint carry first in USERNAME.</summary>
    string LocalUfrag { get; }

    /// <summary>A STUN message whose USERNAME starts with our ufrag.</summary>
    void OnStun(in StunMessage message, SocketAddress from);

    /// <summary>DTLS, RTP or RTCP from an address this endpoint has validated through ICE.</summary>
    void OnDatagram(PacketKind kind, Span<byte> datagram, SocketAddress from);

    /// <summary>
    /// Called about every <see cref="UdpMediaSocket.TickInterval"/> for timers (DTLS, consent), once the
    /// endpoint asked for it with <see cref="UdpMediaSocket.StartTicks"/>.
    /// </summary>
    void OnTick(long nowTicks);
}

/// <summary>
/// One UDP port for every participant (RFC 8445 lets a lite agent share one host candidate). A receive loop
/// on its own thread reads into one buffer, classifies each datagram (RFC 7983), and routes STUN by the
/// ufrag in USERNAME and everything else by source address, which ICE must have validated first. Unknown
/// senders are counted and dropped: they cannot disturb anyone's session.
/// </summary>
public sealed class UdpMediaSocket : IDisposable
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(50);
    private const int MaxDatagram = 2048;

    private readonly Socket _socket;
    private readonly ConcurrentDictionary<string, IUdpEndpoint> _byUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SocketAddress, IUdpEndpoint> _byAddress = new();
    private readonly ConcurrentDictionary<IUdpEndpoint, byte> _ticking = new(ReferenceEqualityComparer.Instance);
    private readonly Thread _receiveThread;
    private readonly Timer _timer;
    private volatile bool _disposed;
    private readonly SendBatch? _batch;
    private readonly ReceiveBatch? _receiveBatch;
    // Per datagram of a receive round, when it arrived and how many of its copies wait in _batch.
    private readonly (long ReceivedAt, int Copies)[] _roundForwards = new (long, int)[ReceiveBatch.Capacity];
    private int _roundForwardCount;
    private int _receiveThreadId = -1;
    private int _batchForwarded;
    // Odd while the receive thread handles a datagram (or a round of them), even in between: what lets
    // state that the receive thread reads without a lock be freed only once it can no longer be in use
    // (Retire).
    private long _dispatchEpoch;
    private readonly ConcurrentQueue<(long Epoch, Action Release)> _retired = new();
    private readonly ConcurrentQueue<Action> _posted = new();
    private int _inTick;

    /// <param name="batchSends">Forwarded copies go out with sendmmsg (Linux); off, one sendto each.</param>
    /// <param name="segmentSends">
    /// Batched copies to one address leave as one segmented message where they can (UDP GSO, see
    /// <see cref="SendBatch"/>); off, one message per datagram.
    /// </param>
    /// <param name="batchReceives">
    /// Datagrams come in with recvmmsg, several per wake-up, stamped by the kernel on arrival (Linux); off,
    /// one recvfrom each, timed when it returns.
    /// </param>
    public UdpMediaSocket(IPEndPoint bind, bool batchSends = true, bool batchReceives = true, bool segmentSends = true)
    {
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bind.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = true;
        // Room for bursts of video at several Mbit/s per participant while the loop is busy.
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.SendBufferSize = 4 * 1024 * 1024;
        _socket.Bind(bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"huddle-udp-{LocalEndPoint.Port}" };
        _timer = new Timer(_ => Tick(), null, Timeout.Infinite, Timeout.Infinite);
        if (SendBatch.IsSupported && batchSends) _batch = new SendBatch(_socket, segmentSends);
        if (ReceiveBatch.IsSupported && batchReceives) _receiveBatch = new ReceiveBatch(_socket);
    }

    public IPEndPoint LocalEndPoint { get; }

    public UdpCounters Counters { get; } = new();

    /// <summary>
    /// Per forwarded packet, from the arrival of the datagram that caused it (the kernel's timestamp
    /// with batched receives, else the socket returning it) to the send of the forwarded copy
    /// returning, in microseconds (see <see cref="RecordForwarded"/>).
    /// </summary>
    public LatencyHistogram ForwardingLatency { get; } = new();

    // When the datagram being dispatched on this thread arrived (Stopwatch ticks); 0 outside a dispatch.
    [ThreadStatic] private static long t_receivedAt;

    /// <summary>
    /// Called after a packet caused by the datagram being dispatched (a forwarded copy, a retransmission)
    /// was sent: records the time since that datagram arrived. Sends from other threads
    /// (timers) are not forwarding and are not recorded.
    /// </summary>
    public void RecordForwarded()
    {
        long receivedAt = t_receivedAt;
        if (receivedAt == 0) return;
        // A batched copy has not been sent yet: it is recorded when the batch goes out.
        if (_batch is not null && Environment.CurrentManagedThreadId == _receiveThreadId) _batchForwarded++;
        else ForwardingLatency.RecordSince(receivedAt);
    }

    public void Start()
    {
        _receiveThread.Start();
        _timer.Change(TickInterval, TickInterval);
    }

    public void Register(IUdpEndpoint endpoint)
    {
        if (!_byUfrag.TryAdd(endpoint.LocalUfrag, endpoint)) throw new InvalidOperationException("ufrag already registered");
    }

    /// <summary>Removes the endpoint and every address routed to it.</summary>
    public void Unregister(IUdpEndpoint endpoint)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, IUdpEndpoint>(endpoint.LocalUfrag, endpoint));
        _ticking.TryRemove(endpoint, out _);
        foreach (KeyValuePair<SocketAddress, IUdpEndpoint> pair in _byAddress)
        {
            if (ReferenceEquals(pair.Value, endpoint)) _byAddress.TryRemove(pair);
        }
    }

    /// <summary>Routes datagrams from <paramref name="address"/> to <paramref name="endpoint"/> (after a valid ICE check).</summary>
    public void Route(SocketAddress address, IUdpEndpoint endpoint)
    {
        if (_byAddress.TryGetValue(address, out IUdpEndpoint? existing) && ReferenceEquals(existing, endpoint)) return;
        _byAddress[IceLiteAgent.Copy(address)] = endpoint;
    }

    public int EndpointCount => _byUfrag.Count;

    /// <summary>True on the thread that receives and dispatches this socket's datagrams.</summary>
    public bool OnReceiveThread => Environment.CurrentManagedThreadId == _receiveThreadId;

    /// <summary>
    /// Runs <paramref name="release"/> once the receive thread has finished the datagrams it may be
    /// handling now (within a tick or two, on the timer thread). For state the receive thread uses without a lock
    /// (SRTP contexts on the forwarding path): unlink it first, so no later datagram can reach it, then
    /// retire it here rather than freeing it under the receive thread's feet.
    /// </summary>
    public void Retire(Action release)
    {
        // The full fence orders the caller's unlinking before the epoch read.
        long epoch = Interlocked.CompareExchange(ref _dispatchEpoch, 0, 0);
        _retired.Enqueue((epoch, release));
        if (_disposed && !_receiveThread.IsAlive) ReleaseRetired(all: true);
    }

    /// <summary>
    /// <paramref name="endpoint"/> gets <see cref="IUdpEndpoint.OnTick"/> from now until it is unregistered.
    /// Endpoints ask once they have timers to run (a handshake started): a signaling-only participant's
    /// idle transports cost nothing every tick (10,000 of them used to take a fifth of a core).
    /// </summary>
    public void StartTicks(IUdpEndpoint endpoint)
    {
        if (_byUfrag.TryGetValue(endpoint.LocalUfrag, out IUdpEndpoint? registered) && ReferenceEquals(registered, endpoint)) _ticking.TryAdd(endpoint, 0);
    }

    /// <summary>
    /// Sends one datagram; false when the socket refused it (counted). On the receive thread (forwarding)
    /// the datagram joins a batch that goes out with one sendmmsg once the received datagram is handled;
    /// a refusal then shows in <see cref="UdpCounters.SendErrors"/> only.
    /// </summary>
    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (_batch is not null && Environment.CurrentManagedThreadId == _receiveThreadId)
        {
            if (_batch.Count == SendBatch.Capacity) FlushBatch();
            if (_batch.TryAdd(datagram, to)) return true;
        }
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
            Interlocked.Increment(ref Counters.DatagramsSent);
            Interlocked.Add(ref Counters.BytesSent, datagram.Length);
            return true;
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref Counters.SendErrors);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void ReceiveLoop()
    {
        _receiveThreadId = Environment.CurrentManagedThreadId;
        ReceiveRounds(_receiveBatch ?? (IReceiveRound)new SingleReceive(_socket, MaxDatagram));
    }

    /// <summary>
    /// Each round takes what is queued (every datagram up to a batch with recvmmsg, else one), handles
    /// them one by one, then sends all their forwarded copies together.
    /// </summary>
    private void ReceiveRounds(IReceiveRound source)
    {
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_disposed)
        {
            int n = source.Receive();
            if (n < 0) return;
            if (n == 0) continue;
            if (!_posted.IsEmpty) RunPosted();
            // Odd: dispatching. The full fence keeps this round's reads of shared state after it.
            Interlocked.Increment(ref _dispatchEpoch);
            var clock = RoundClock.Now();
            long bytes = 0;
            for (int i = 0; i < n; i++)
            {
                Span<byte> datagram = source.Datagram(i);
                bytes += datagram.Length;
                if (source.Truncated(i) || !source.TryGetSource(i, from))
                {
                    Interlocked.Increment(ref Counters.DroppedMalformed);
                    continue;
                }
                t_receivedAt = clock.ArrivedAt(source, i);
                try
                {
                    Dispatch(datagram, from);
                }
                catch (Exception)
                {
                    // A bug in one session's handling must not stop the port for everyone.
                    Interlocked.Increment(ref Counters.HandlerErrors);
                }
                if (_batchForwarded > 0)
                {
                    _roundForwards[_roundForwardCount++] = (t_receivedAt, _batchForwarded);
                    _batchForwarded = 0;
                }
            }
            Interlocked.Add(ref Counters.DatagramsReceived, n);
            Interlocked.Add(ref Counters.BytesReceived, bytes);
            if (_batch is { Count: > 0 }) FlushBatch();
            t_receivedAt = 0;
            // Even: nothing from this round is in use any more (release: its reads stay before).
            Volatile.Write(ref _dispatchEpoch, _dispatchEpoch + 1);
        }
    }

    private void FlushBatch()
    {
        FlushResult flushed = _batch!.Flush();
        for (int i = 0; i < _roundForwardCount; i++) ForwardingLatency.RecordSince(_roundForwards[i].ReceivedAt, _roundForwards[i].Copies);
        _roundForwardCount = 0;
        Interlocked.Add(ref Counters.DatagramsSent, flushed.Sent);
        Interlocked.Add(ref Counters.BytesSent, flushed.Bytes);
        if (flushed.Segmented > 0) Interlocked.Add(ref Counters.SegmentedSends, flushed.Segmented);
        if (flushed.Failed > 0) Interlocked.Add(ref Counters.SendErrors, flushed.Failed);
        if (_batchForwarded > 0)
        {
            ForwardingLatency.RecordSince(t_receivedAt, _batchForwarded);
            _batchForwarded = 0;
        }
    }

    private void Dispatch(Span<byte> datagram, SocketAddress from)
    {
        PacketKind kind = Demux.Classify(datagram);
        if (kind == PacketKind.Stun)
        {
            if (!StunMessage.TryParse(datagram, out StunMessage message) ||
                !message.TryGetAttribute(StunAttributeType.Username, out ReadOnlySpan<byte> username))
            {
                Interlocked.Increment(ref Counters.DroppedMalformed);
                return;
            }
            int colon = username.IndexOf((byte)':');
            ReadOnlySpan<byte> ufrag = colon < 0 ? username : username[..colon];
            IUdpEndpoint? target = null;
            if (ufrag.Length is > 0 and <= 256)
            {
                Span<char> chars = stackalloc char[ufrag.Length];
                for (int i = 0; i < ufrag.Length; i++) chars[i] = (char)ufrag[i];
                _byUfrag.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out target);
            }
            if (target is null)
            {
                Interlocked.Increment(ref Counters.DroppedUnknownSender);
                return;
            }
            target.OnStun(message, from);
            return;
        }
        if (kind == PacketKind.Unknown)
        {
            Interlocked.Increment(ref Counters.DroppedMalformed);
            return;
        }
        if (!_byAddress.TryGetValue(from, out IUdpEndpoint? endpoint))
        {
            Interlocked.Increment(ref Counters.DroppedUnknownSender);
            return;
        }
        endpoint.OnDatagram(kind, datagram, from);
    }

    private void Tick()
    {
        // Timer callbacks overlap when one runs long; endpoints' timers and releases expect one at a time.
        if (Interlocked.Exchange(ref _inTick, 1) == 1) return;
        try
        {
            long now = Environment.TickCount64;
            foreach (KeyValuePair<IUdpEndpoint, byte> ticking in _ticking)
            {
                IUdpEndpoint endpoint = ticking.Key;
                try
                {
                    endpoint.OnTick(now);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref Counters.HandlerErrors);
                }
            }
            ReleaseRetired(all: false);
        }
        finally
        {
            Volatile.Write(ref _inTick, 0);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the receive thread between two datagrams (two rounds of them with
    /// batched receives), before the next is handled, for changes to state only the receive thread touches.
    /// </summary>
    public void Post(Action action) => _posted.Enqueue(action);

    private void RunPosted()
    {
        while (_posted.TryDequeue(out Action? action))
        {
            try
            {
                action();
            }
            catch (Exception)
            {
                Interlocked.Increment(ref Counters.HandlerErrors);
            }
        }
    }

    private void ReleaseRetired(bool all)
    {
        if (_retired.IsEmpty) return;
        lock (_retired)
        {
            long epoch = Volatile.Read(ref _dispatchEpoch);
            // Safe when it was retired between datagrams, or the datagram being handled then is done.
            while (_retired.TryPeek(out (long Epoch, Action Release) item) && (all || (item.Epoch & 1) == 0 || item.Epoch != epoch))
            {
                _retired.TryDequeue(out _);
                try
                {
                    item.Release();
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref Counters.HandlerErrors);
                }
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _timer.Dispose();
        _socket.Dispose();
        if (_receiveThread.IsAlive && Thread.CurrentThread != _receiveThread) _receiveThread.Join(TimeSpan.FromSeconds(2));
        if (!_receiveThread.IsAlive)
        {
            _batch?.Dispose();
            _receiveBatch?.Dispose();
            ReleaseRetired(all: true);
        }
    }
}

/// <summary>What the socket and everything on it saw, for tests, logs and the benchmark; updated atomically.</summary>
public sealed class UdpCounters
{
    public long DatagramsReceived;
    public long DatagramsSent;
    public long BytesReceived;
    public long BytesSent;

    /// <summary>Drop reasons: from an address no ICE check validated, or STUN for no known ufrag.</summary>
    public long DroppedUnknownSender;

    /// <summary>Not STUN, DTLS, RTP or RTCP (RFC 7983), or STUN without USERNAME.</summary>
    public long DroppedMalformed;

    /// <summary>SRTP or SRTCP that failed authentication, replayed, or arrived before keys.</summary>
    public long DroppedSrtp;

    /// <summary>RTP for an SSRC nobody publishes (the SFU counts it here).</summary>
    public long DroppedUnknownSsrc;

    /// <summary>A packet to send on a transport that is not connected yet, or that SRTP refused.</summary>
    public long DroppedNotSendable;

    /// <summary>Messages that carried several datagrams to one address for the kernel to split (UDP GSO).</summary>
    public long SegmentedSends;

    public long SendErrors;
    public long HandlerErrors;
}
