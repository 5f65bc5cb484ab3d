using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Huddle.Server.Tests.Rig;

/// <summary>A signaling client over a real ClientWebSocket, reading into a queue in the background.</summary>
public sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonObject> _inbox = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private TestClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public string? Id { get; set; }
    public JsonObject? Joined { get; private set; }
    public WebSocketCloseStatus? CloseStatus { get; private set; }
    public bool Closed => _inbox.Reader.Completion.IsCompleted;

    public static async Task<TestClient> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultWait);
        await socket.ConnectAsync(uri, timeout.Token);
        return new TestClient(socket);
    }

    public Task SendAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public Task SendTextAsync(string text) => SendRawAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendRawAsync(byte[] bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, type, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task<JsonObject> JoinAsync(string room, string name, bool audio = true, bool video = true)
    {
        await SendAsync(new { type = "join", protocol = 1, room, name, media = new { audio, video } });
        JsonObject joined = await ExpectAsync("joined");
        Id = (string)joined["id"]!;
        Joined = joined;
        return joined;
    }

    /// <summary>The next message, which must have the given type.</summary>
    public async Task<JsonObject> ExpectAsync(string type, TimeSpan? wait = null)
    {
        JsonObject message = await NextAsync(wait);
        Assert.True((string?)message["type"] == type, $"expected a '{type}' message, got {message.ToJsonString()}");
        return message;
    }

    /// <summary>The next error, which must carry the given code.</summary>
    public async Task<JsonObject> ExpectErrorAsync(string code)
    {
        JsonObject error = await ExpectAsync("error");
        Assert.Equal(code, (string?)error["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]), "an error carries a human message");
        return error;
    }

    public async Task<JsonObject> NextAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? DefaultWait);
        try
        {
            return await _inbox.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no message arrived within {(wait ?? DefaultWait).TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"the socket closed ({CloseStatus}) instead of delivering a message");
        }
    }

    /// <summary>Proves that nothing arrives for a while.</summary>
    public async Task ExpectNothingAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromMilliseconds(400));
        try
        {
            JsonObject unexpected = await _inbox.Reader.ReadAsync(timeout.Token);
            Assert.Fail($"expected no message, got {unexpected.ToJsonString()}");
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>Waits until the server closes the socket; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan? wait = null)
    {
        Task done = await Task.WhenAny(_reader, Task.Delay(wait ?? DefaultWait));
        Assert.True(done == _reader, "the server did not close the socket");
        return CloseStatus;
    }

    /// <summary>Drops the TCP connection without a close handshake, as a crashed tab would.</summary>
    public void Abort() => _socket.Abort();

    /// <summary>
    /// Leaves as a page does: sends our close frame, then lets the read loop take what the server still
    /// sends and its close frame. Not <see cref="WebSocket.CloseAsync"/>: it receives by itself, beside
    /// the read loop's receive, and one of the two can then get the middle of a message (a long
    /// description), which reads as bytes that are not JSON.
    /// </summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open && await _sendLock.WaitAsync(DefaultWait))
        {
            using var timeout = new CancellationTokenSource(DefaultWait);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                _sendLock.Release();
            }
        }
        await Task.WhenAny(_reader, Task.Delay(DefaultWait));
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _socket.Abort();
        await _reader;
        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        byte[] buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = _socket.CloseStatus;
                    return;
                }
                var node = JsonNode.Parse(buffer.AsSpan(0, length)) as JsonObject
                    ?? throw new InvalidOperationException("the server sent a message that is not a JSON object");
                _inbox.Writer.TryWrite(node);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            CloseStatus ??= _socket.CloseStatus;
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}
