using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Huddle.Load;

/// <summary>
/// A signaling connection to Huddle (docs/protocol.md), or to another server's JSON API: JSON text messages
/// over a WebSocket, read in the background and handed to the callback one at a time, in order.
/// </summary>
public sealed class Signaling : IAsyncDisposable
{
    private const int MaxMessage = 4 * 1024 * 1024;
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Func<JsonObject, Task> _received;
    private readonly RawHandler? _raw;
    private readonly Task _reader;
    private long _lastSentMs = Environment.TickCount64;

    private Signaling(ClientWebSocket socket, Func<JsonObject, Task> received, RawHandler? raw)
    {
        _socket = socket;
        _received = received;
        _raw = raw;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>
    /// Sees each message's UTF-8 JSON first and returns true when it dealt with it, so frequent messages
    /// skip building a <see cref="JsonObject"/> (ten thousand bots' garbage collections would otherwise
    /// be in the latencies they measure).
    /// </summary>
    public delegate bool RawHandler(ReadOnlySpan<byte> utf8Json);

    /// <summary>Set when the connection ended on its own (server close, error), with the reason.</summary>
    public string? Ended { get; private set; }

    /// <summary>
    /// Huddle's signaling: <c>/ws</c> on <paramref name="server"/>. Like the browser client, the connection
    /// sends <c>ping</c> after 5 s without sending anything, so the server carries the traffic of real
    /// pages (signaling benchmarks with 10,000 bots).
    /// </summary>
    public static async Task<Signaling> ConnectAsync(Uri server, Func<JsonObject, Task> received, CancellationToken cancellationToken, RawHandler? raw = null)
    {
        Signaling signaling = await ConnectAsync(new Uri($"{(server.Scheme == "https" ? "wss" : "ws")}://{server.Authority}/ws"), null, received, cancellationToken, raw);
        KeepAlive.Add(signaling);
        return signaling;
    }

    /// <summary>Any JSON-over-WebSocket API (e.g. Janus's, subprotocol <c>janus-protocol</c>).</summary>
    public static async Task<Signaling> ConnectAsync(Uri webSocket, string? subProtocol, Func<JsonObject, Task> received, CancellationToken cancellationToken,
        RawHandler? raw = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (subProtocol is not null) socket.Options.AddSubProtocol(subProtocol);
        try
        {
            await socket.ConnectAsync(webSocket, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new Signaling(socket, received, raw);
    }

    public Task SendAsync(JsonObject message) => SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()));

    private async Task SendAsync(byte[] bytes)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
            Volatile.Write(ref _lastSentMs, Environment.TickCount64);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Pings for every Huddle connection of the process from one timer: ten thousand signaling bots
    /// must not cost ten thousand timers (the bots share the machine with the server they measure).
    /// </summary>
    private static class KeepAlive
    {
        private const long PingAfterMs = 5000;
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Signaling, byte> s_open = new(ReferenceEqualityComparer.Instance);
        private static readonly byte[] s_ping = Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "ping" }.ToJsonString());
        // Every 100 ms, so the pings spread over time as browsers' do rather than coming in one burst a second.
        private static readonly Timer s_timer = new(_ => Sweep(), null, 100, 100);

        public static void Add(Signaling signaling) => s_open.TryAdd(signaling, 0);

        public static void Remove(Signaling signaling) => s_open.TryRemove(signaling, out _);

        private static void Sweep()
        {
            GC.KeepAlive(s_timer);
            long now = Environment.TickCount64;
            foreach (KeyValuePair<Signaling, byte> open in s_open)
            {
                Signaling signaling = open.Key;
                if (signaling._socket.State != WebSocketState.Open)
                {
                    Remove(signaling);
                    continue;
                }
                if (now - Volatile.Read(ref signaling._lastSentMs) < PingAfterMs) continue;
                Volatile.Write(ref signaling._lastSentMs, now); // not again while this one is on its way
                _ = PingAsync(signaling);
            }
        }

        // A ping that fails is the connection ending, which its reader reports.
        private static async Task PingAsync(Signaling signaling)
        {
            try
            {
                await signaling.SendAsync(s_ping);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
            }
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                while (true)
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                    if (result.EndOfMessage) break;
                    // Grow for long messages (a subscribe offer with many sections), up to the server's own limit.
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessage) throw new WebSocketException($"a message longer than {MaxMessage} bytes");
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Ended = $"closed by the server: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    return;
                }
                // The answer to our keep-alive, every 5 s on every connection: nothing to read in it.
                if (buffer.AsSpan(0, length).SequenceEqual("{\"type\":\"pong\"}"u8)) continue;
                if (_raw?.Invoke(buffer.AsSpan(0, length)) == true) continue;
                if (JsonNode.Parse(buffer.AsSpan(0, length)) is JsonObject message)
                {
                    await _received(message);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or System.Text.Json.JsonException)
        {
            Ended ??= e.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        KeepAlive.Remove(this);
        // Our close frame, then the reader takes what is still coming and the server's close frame.
        // CloseAsync would receive by itself beside the reader and could split a message between the two.
        // A send stuck on a dead connection must not hold the bot here: then it goes without a close frame.
        if (await _sendLock.WaitAsync(TimeSpan.FromSeconds(2)))
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (_socket.State == WebSocketState.Open) await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
            finally
            {
                _sendLock.Release();
            }
        }
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception) { }
        _socket.Dispose();
    }
}
