using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Huddle.Server.Signaling;

/// <summary>
/// One message serialized once for everyone in a room (chat, media state, arrivals), in a pooled buffer
/// that returns to the pool when the last socket has sent it. Each recipient's send queue holds a
/// reference until then.
/// <para>
/// Why not a fresh array per message: a chat goes into 49 send queues, and each queue is an old object
/// by then. Every reference from an old object to a young one marks a card that the next gen0 and gen1
/// collections must scan; with 10,000 sockets that scan was most of a 45–60 ms pause (docs/benchmarks.md).
/// Pooled messages and their buffers are old themselves, so queuing them marks nothing.
/// </para>
/// </summary>
internal sealed class SharedMessage
{
    private const int PoolLimit = 4096;
    private static readonly ConcurrentQueue<SharedMessage> s_pool = new();
    private static int s_pooled;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private byte[] _buffer = [];
    private int _length;
    private int _references;

    private SharedMessage()
    {
    }

    /// <summary>The serialized message; valid while the caller holds a reference.</summary>
    public ReadOnlyMemory<byte> Utf8Json => _buffer.AsMemory(0, _length);

    /// <summary>Serializes <paramref name="message"/>; the caller holds the one reference and must <see cref="Release"/> it.</summary>
    public static SharedMessage Serialize<T>(T message, JsonTypeInfo<T> type)
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, message, type);
        writer.Flush();

        SharedMessage shared;
        if (s_pool.TryDequeue(out SharedMessage? pooled))
        {
            Interlocked.Decrement(ref s_pooled);
            shared = pooled;
        }
        else
        {
            shared = new SharedMessage();
        }
        shared._buffer = ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(shared._buffer);
        shared._length = buffer.WrittenCount;
        shared._references = 1;
        return shared;
    }

    /// <summary>Another holder (a send queue) takes a reference.</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>A holder is done; the last one gives the buffer back.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left > 0) return;
        if (left < 0) throw new InvalidOperationException("a shared message was released more often than referenced");
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
        if (Interlocked.Increment(ref s_pooled) <= PoolLimit) s_pool.Enqueue(this);
        else Interlocked.Decrement(ref s_pooled);
    }
}
