using System.Collections.Concurrent;
using Huddle.Media.Dtls;
using Huddle.Media.Rtcp;
using Huddle.Media.Sdp;
using Huddle.Media.Transport;
using Huddle.Media.Udp;

namespace Huddle.Load;

/// <summary>
/// What every bot made of our own stack does whatever server it talks to: a publish connection that sends
/// synthetic audio and video, answers PLI/FIR with a key frame and NACKs with retransmissions from the
/// sender's cache, as a browser would; and a subscribe connection whose packets are counted (loss,
/// latency). Subclasses speak the server's signaling: they join, exchange the descriptions and call
/// <see cref="StartSending"/> and <see cref="AnswerSubscribeAsync"/>.
/// </summary>
public abstract class WebRtcBot : IMediaBot
{
    private readonly ConcurrentQueue<ushort> _nacked = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly byte[] _resend = new byte[1600];
    private readonly SyntheticStream.PacketSink _sink;
    private MediaSender? _media;
    private int _subscribeStarted;
    // Per subscribe m-section, the SSRCs it carries (signaling thread).
    private readonly Dictionary<string, uint[]> _receiving = new(StringComparer.Ordinal);
    private long _sent;
    private long _sentBytes;
    private long _retransmitted;
    private long _plis;
    private long _nacks;

    /// <param name="publishRole">
    /// The DTLS role of the publish connection: client when the server answers our offer with
    /// <c>a=setup:passive</c> (Huddle), server when it answers <c>a=setup:active</c> (Janus).
    /// </param>
    /// <param name="loopbackOnly">Connect to 127.x candidates only (a local benchmark server that might offer others).</param>
    protected WebRtcBot(uint index, string name, DtlsContext dtls, LatencyHistogram latency, BatchReceiver? receiver, DtlsRole publishRole, bool loopbackOnly = false)
    {
        LoopbackOnly = loopbackOnly;
        Index = index;
        Name = name;
        Received = new ReceiveTracker(latency);
        Publish = new WebRtcClient(dtls, receiver: receiver, role: publishRole);
        Subscribe = new WebRtcClient(dtls, receiver: receiver);
        Subscribe.RtpReceived += packet =>
        {
            Received.OnRtp(packet, Subscribe.ReceivedAt);
            RtpReceived?.Invoke(packet);
        };
        Subscribe.ReceiveStreamEnded += Received.EndStream;
        Publish.RtcpReceived += OnPublishRtcp;
        _sink = (buffer, length) =>
        {
            if (Publish.SendRtp(buffer, length))
            {
                _sent++;
                _sentBytes += length;
            }
        };
    }

    public uint Index { get; }

    public string Name { get; }

    /// <summary>From opening the signaling connection to being in the room.</summary>
    public TimeSpan JoinTime { get; protected set; }

    public ReceiveTracker Received { get; }

    /// <summary>Every RTP packet the subscribe connection receives, decrypted (on its receive thread).</summary>
    public event WebRtcClient.SpanAction? RtpReceived;

    public long PacketsSent => Volatile.Read(ref _sent);

    public long BytesSent => Volatile.Read(ref _sentBytes);

    public long KeyFramesSent => _media?.KeyFramesSent ?? 0;

    public long Retransmitted => Volatile.Read(ref _retransmitted);

    public long PlisReceived => Volatile.Read(ref _plis);

    public long NacksReceived => Volatile.Read(ref _nacks);

    public IReadOnlyCollection<string> Errors => _errors;

    protected WebRtcClient Publish { get; }

    protected bool LoopbackOnly { get; }

    protected WebRtcClient Subscribe { get; }

    public abstract Task PublishAsync(MediaProfile profile, CancellationToken cancellationToken);

    protected void AddError(string error) => _errors.Enqueue(error);

    /// <summary>The sender of <paramref name="profile"/>'s tracks; its SSRCs go in the publish offer.</summary>
    protected MediaSender CreateSender(MediaProfile profile) => new(profile, Index, _sink);

    /// <summary>The publish connection is up: <see cref="SendDue"/> sends <paramref name="media"/> from now on.</summary>
    protected void StartSending(MediaSender media) => _media = media;

    /// <summary>
    /// Answers a subscribe offer (first or renegotiated): receive every section, DTLS client; the answer goes
    /// out through <paramref name="send"/>. The connection to the offer's candidate starts after the first
    /// answer only; later offers reuse it.
    /// </summary>
    protected async Task AnswerSubscribeAsync(SessionDescription offer, Func<SessionDescription, Task> send)
    {
        EndStreamsGone(offer);
        await send(SfuSdp.SubscribeAnswer(Subscribe, offer));
        if (Interlocked.Exchange(ref _subscribeStarted, 1) != 0) return;
        _ = SfuSdp.ConnectAsync(Subscribe, offer, loopbackOnly: LoopbackOnly).ContinueWith(t => AddError($"subscribe connection: {t.Exception!.GetBaseException().Message}"),
            TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>
    /// SSRCs that an m-section of the subscribe offer no longer sends (the section went inactive or now
    /// carries someone else) have ended: a browser drops their state, and so do we, or every visitor of a
    /// long meeting would stay in this bot's SRTP context and counts.
    /// </summary>
    private void EndStreamsGone(SessionDescription offer)
    {
        foreach (SdpMediaSection section in offer.Media)
        {
            if (section.Mid is not { } mid) continue;
            uint[] now = section.EffectiveDirection is SdpDirection.SendOnly or SdpDirection.SendRecv
                ? [.. section.Ssrcs.Select(s => s.Ssrc).Distinct()]
                : [];
            if (_receiving.TryGetValue(mid, out uint[]? before))
            {
                foreach (uint ssrc in before.Except(now)) Subscribe.EndReceiveStream(ssrc);
            }
            _receiving[mid] = now;
        }
    }

    /// <summary>
    /// Sends retransmissions asked for, then what <see cref="MediaSender"/> has due; returns when the next
    /// thing is due. Called from one pacing thread.
    /// </summary>
    public long SendDue(long now)
    {
        if (_media is not { } media) return long.MaxValue;
        while (_nacked.TryDequeue(out ushort seq))
        {
            int length = media.Video?.CopyCached(seq, _resend) ?? 0;
            if (length > 0 && Publish.SendRtp(_resend, length)) _retransmitted++;
        }
        return media.SendDue(now);
    }

    private void OnPublishRtcp(Span<byte> datagram)
    {
        foreach (RtcpPacket packet in new RtcpCompoundPacket(datagram))
        {
            if (PictureLossIndication.TryParse(packet.Bytes, out PictureLossIndication pli) && pli.MediaSsrc == _media?.Video?.Ssrc)
            {
                Interlocked.Increment(ref _plis);
                _media?.RequestKeyFrame();
            }
            else if (FullIntraRequest.TryParse(packet.Bytes, out _))
            {
                Interlocked.Increment(ref _plis);
                _media?.RequestKeyFrame();
            }
            else if (GenericNack.TryParse(packet.Bytes, out GenericNack nack) && nack.MediaSsrc == _media?.Video?.Ssrc)
            {
                Interlocked.Increment(ref _nacks);
                foreach (ushort seq in nack.LostSequenceNumbers) _nacked.Enqueue(seq);
            }
        }
    }

    /// <summary>Closes the signaling connection (media has stopped; the transports close after).</summary>
    protected abstract ValueTask CloseSignalingAsync();

    public async ValueTask DisposeAsync()
    {
        _media = null;
        await CloseSignalingAsync();
        Publish.Dispose();
        Subscribe.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A bot the load driver paces and reads, whatever server it talks to.</summary>
public interface IMediaBot : IAsyncDisposable
{
    uint Index { get; }

    ReceiveTracker Received { get; }

    long PacketsSent { get; }

    long BytesSent { get; }

    TimeSpan JoinTime { get; }

    IReadOnlyCollection<string> Errors { get; }

    /// <summary>Key frames sent: the first, and one per PLI or FIR.</summary>
    long KeyFramesSent { get; }

    long PlisReceived { get; }

    long NacksReceived { get; }

    /// <summary>Packets sent again because a NACK asked for them.</summary>
    long Retransmitted { get; }

    Task PublishAsync(MediaProfile profile, CancellationToken cancellationToken);

    long SendDue(long now);
}
