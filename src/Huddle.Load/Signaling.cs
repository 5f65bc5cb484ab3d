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
    private readonly Task _reader;

    private Signaling(ClientWebSocket socket, Func<JsonObject, Task> received)
    {
        _socket = socket;
        _received = received;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Set when the connection ended on its own (server close, error), with the reason.</summary>
    public string? Ended { get; private set; }

    /// <summary>Huddle's signaling: <c>/ws</c> on <paramref name="server"/>.</summary>
    public static Task<Signaling> ConnectAsync(Uri server, Func<JsonObject, Task> received, CancellationToken cancellationToken) =>
        ConnectAsync(new Uri($"{(server.Scheme == "https" ? "wss" : "ws")}://{server.Authority}/ws"), null, received, cancellationToken);

    /// <summary>Any JSON-over-WebSocket API (e.g. Janus's, subprotocol <c>janus-protocol</c>).</summary>
    public static async Task<Signaling> ConnectAsync(Uri webSocket, string? subProtocol, Func<JsonObject, Task> received, CancellationToken cancellationToken)
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
        return new Signaling(socket, received);
    }

    public async Task SendAsync(JsonObject message)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
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
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State == WebSocketState.Open) await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        _socket.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception) { }
    }
}
