using Huddle.Media.Udp;

namespace Huddle.Server.Signaling;

/// <summary>
/// What the signaling sockets carried since the server started: messages taken in and sent, and how long
/// each sent message waited in the server, from being queued for its socket (a chat message is queued
/// for every other member while the sender's message is handled) to the socket's send returning. A
/// fan-out tail that this histogram does not show is outside the server's send path.
/// </summary>
internal sealed class SignalingStats
{
    private long _messagesIn;
    private long _messagesOut;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    public long MessagesOut => Interlocked.Read(ref _messagesOut);

    /// <summary>Queued → written to the socket, µs, one count per message sent.</summary>
    public LatencyHistogram SendLatency { get; } = new();

    public void CountIn() => Interlocked.Increment(ref _messagesIn);

    public void Sent(long queuedAt)
    {
        Interlocked.Increment(ref _messagesOut);
        SendLatency.RecordSince(queuedAt);
    }
}
