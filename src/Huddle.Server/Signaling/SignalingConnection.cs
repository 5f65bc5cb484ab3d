using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using Huddle.Server.Configuration;
using Huddle.Server.Rooms;

namespace Huddle.Server.Signaling;

/// <summary>
/// One participant's WebSocket: a receive loop that hands whole messages to a
/// <see cref="SignalingSession"/>, and a send loop that drains a bounded queue, so sends on the socket
/// are serialized and a slow reader cannot make the server buffer without bound.
/// </summary>
internal sealed class SignalingConnection : IMessageSink
{
    private const int SendQueueLimit = 256;
    // A flooder is closed once it has had this many messages refused in one connection.
    private const int MaxRefusedMessages = 1_000;
    // Most messages fit; larger ones (descriptions) grow the buffer up to the message limit for as long
    // as they take. A buffer of the whole limit per socket was 128 KiB for each of 10,000 idle sockets.
    private const int InitialReceiveBytes = 4096;

    private readonly WebSocket _socket;
    private readonly HuddleOptions _options;
    private readonly ILogger _logger;
    private readonly SignalingStats _stats;
    private readonly Channel<Outgoing> _outbox = Channel.CreateBounded<Outgoing>(
        new BoundedChannelOptions(SendQueueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _abort = new();
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "bye";
    private volatile bool _closing;

    public SignalingConnection(WebSocket socket, HuddleOptions options, SignalingStats stats, ILogger logger)
    {
        _socket = socket;
        _options = options;
        _stats = stats;
        _logger = logger;
    }

    /// <summary>A message waiting for the socket, with the moment it was queued (<see cref="Stopwatch"/> ticks).</summary>
    private readonly record struct Outgoing(byte[] Utf8Json, long QueuedAt);

    public bool TrySend(byte[] utf8Json)
    {
        if (_outbox.Writer.TryWrite(new Outgoing(utf8Json, Stopwatch.GetTimestamp()))) return true;
        // Refused because the queue is complete (the socket is closing) rather than full: nothing to report.
        if (_outbox.Reader.Count < SendQueueLimit || _abort.IsCancellationRequested) return false;
        _logger.LogWarning("Closing a signaling socket whose send queue overflowed");
        _abort.Cancel();
        return false;
    }

    /// <summary>An error the server answered a message with (information level: clients cause them).</summary>
    public void LogRefusal(string? participant, string code, string message) =>
        _logger.LogInformation("Refused a message of {Participant}: {Code}: {Message}", participant ?? "(not joined)", code, message);

    public void Disconnect(string reason)
    {
        _logger.LogInformation("Disconnecting a signaling socket: {Reason}", reason);
        Close(WebSocketCloseStatus.PolicyViolation, reason.Length > 100 ? reason[..100] : reason);
    }

    /// <summary>Queues a last message (if any) and closes the socket once it is sent.</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        _closeStatus = status;
        _closeReason = reason;
        _closing = true;
        _outbox.Writer.TryComplete();
        // The receive loop waits for the client's next frame; a client that does not answer our close
        // must not stay in its room until the keep-alive gives up on it: stop waiting shortly after.
        _abort.CancelAfter(CloseGrace);
    }

    /// <summary>How long a socket we close may take to answer our close frame before it is cut.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    public async Task RunAsync(SignalingSession session, CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _abort.Token);
        Task sender = SendLoopAsync(linked.Token);
        try
        {
            await ReceiveLoopAsync(session, linked.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer vanished, timed out, or the server is stopping: all mean "left".
            if (!shutdown.IsCancellationRequested)
                _logger.LogInformation("Signaling socket of {Participant} ended: {Kind}: {Message}", session.ParticipantId ?? "(not joined)", e.GetType().Name, e.Message);
        }
        finally
        {
            session.OnDisconnected();
            _outbox.Writer.TryComplete();
        }

        // Let queued messages (an error explaining the close) reach the client, briefly.
        await Task.WhenAny(sender, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        await DrainUntilCloseAsync();
        _abort.Cancel();
        await sender.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Abort();
        _socket.Dispose();
    }

    /// <summary>
    /// After our close frame, reads (and drops) what the client still sends until its close frame.
    /// Resetting the connection while the client is mid-send would make its TCP stack discard the
    /// error we just sent (RFC 6455 §7.1.1: the server closes the TCP connection after the handshake).
    /// </summary>
    private async Task DrainUntilCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseSent) return;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            while (_socket.State == WebSocketState.CloseSent)
            {
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(scratch.AsMemory(), timeout.Token);
                if (result.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task ReceiveLoopAsync(SignalingSession session, CancellationToken cancel)
    {
        var bucket = new TokenBucket(_options.MessagesPerSecond, _options.MessageBurst, TimeProvider.System);
        int limit = _options.MaxMessageBytes;
        // Reading one byte past the limit tells a message that is too large.
        int capacity = limit + 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBytes, capacity));
        int refused = 0;
        long lastRateError = 0;
        try
        {
            while (!_closing)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                if (buffer.Length > InitialReceiveBytes)
                {
                    // The last message was large: give its buffer back, idle sockets hold a small one.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBytes, capacity));
                }
                do
                {
                    if (length == capacity)
                    {
                        // Over the limit: tell the client why, then close (RFC 6455 §7.4.1: 1009).
                        session.SendError(ErrorCodes.TooLarge, $"Messages are limited to {limit} bytes.");
                        Close(WebSocketCloseStatus.MessageTooBig, "message too large");
                        return;
                    }
                    if (length == buffer.Length)
                    {
                        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, capacity));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, capacity) - length), cancel);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _logger.LogInformation("Signaling socket of {Participant} closed by the client: {Status}", session.ParticipantId ?? "(not joined)", _socket.CloseStatus);
                    return;
                }
                if (length > limit)
                {
                    session.SendError(ErrorCodes.TooLarge, $"Messages are limited to {limit} bytes.");
                    Close(WebSocketCloseStatus.MessageTooBig, "message too large");
                    return;
                }

                if (!bucket.TryTake())
                {
                    if (++refused > MaxRefusedMessages)
                    {
                        Close(WebSocketCloseStatus.PolicyViolation, "too many messages");
                        return;
                    }
                    long now = Environment.TickCount64;
                    if (now - lastRateError >= 1000)
                    {
                        lastRateError = now;
                        session.SendError(ErrorCodes.RateLimited, "Too many messages; slow down.");
                    }
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    session.SendError(ErrorCodes.BadRequest, "Binary messages are not part of the protocol.");
                    continue;
                }
                _stats.CountIn();
                session.Handle(buffer.AsSpan(0, length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SendLoopAsync(CancellationToken cancel)
    {
        // The queue is waited on without a token: with one, the channel allocates a waiter each time the
        // queue runs dry, i.e. for nearly every message, and 10,000 sockets each holding a young waiter
        // made every gen0 collection scan cards all over the old heap (45–60 ms pauses, the fan-out
        // tail; docs/benchmarks.md). Cancelling completes the queue instead, which ends the wait.
        using CancellationTokenRegistration stop = cancel.Register(static outbox => ((Channel<Outgoing>)outbox!).Writer.TryComplete(), _outbox);
        try
        {
            await foreach (Outgoing message in _outbox.Reader.ReadAllAsync(CancellationToken.None))
            {
                await _socket.SendAsync(message.Utf8Json, WebSocketMessageType.Text, endOfMessage: true, cancel);
                _stats.Sent(message.QueuedAt);
            }
            cancel.ThrowIfCancellationRequested();
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            _abort.Cancel();
        }
    }
}
