using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Huddle.Media.Dtls;
using Huddle.Media.Rtcp;
using Huddle.Media.Sdp;
using Huddle.Media.Transport;
using Huddle.Media.Udp;

namespace Huddle.Load;

/// <summary>
/// A participant of a Huddle SFU room made of our own stack: it joins over the real signaling protocol,
/// publishes synthetic audio and video on its publish connection (controlling ICE, DTLS client, SRTP),
/// answers the server's PLI with a key frame and its NACKs with retransmissions as a browser would, and
/// receives everyone else on its subscribe connection, counting packets, loss and latency.
/// </summary>
public sealed class LoadBot : IMediaBot
{
    private readonly WebRtcClient _publish;
    private readonly WebRtcClient _subscribe;
    private readonly TaskCompletionSource<string> _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _publishAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<ushort> _nacked = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly byte[] _resend = new byte[1600];
    private readonly SyntheticStream.PacketSink _sink;
    private Signaling? _signal;
    private MediaSender? _media;
    private bool _subscribeStarted;
    private long _sent;
    private long _sentBytes;
    private long _retransmitted;
    private long _plis;
    private long _nacks;

    private LoadBot(uint index, string name, DtlsContext dtls, LatencyHistogram latency, BatchReceiver? receiver)
    {
        Index = index;
        Name = name;
        Received = new ReceiveTracker(latency);
        _publish = new WebRtcClient(dtls, receiver: receiver);
        _subscribe = new WebRtcClient(dtls, receiver: receiver);
        _subscribe.RtpReceived += packet => Received.OnRtp(packet, _subscribe.ReceivedAt);
        _publish.RtcpReceived += OnPublishRtcp;
        _sink = (buffer, length) =>
        {
            if (_publish.SendRtp(buffer, length))
            {
                _sent++;
                _sentBytes += length;
            }
        };
    }

    public uint Index { get; }

    public string Name { get; }

    public string? Id { get; private set; }

    /// <summary>From opening the WebSocket to the server's <c>joined</c>.</summary>
    public TimeSpan JoinTime { get; private set; }

    public ReceiveTracker Received { get; }

    public long PacketsSent => Volatile.Read(ref _sent);

    public long BytesSent => Volatile.Read(ref _sentBytes);

    public long KeyFramesSent => _media?.KeyFramesSent ?? 0;

    public long Retransmitted => Volatile.Read(ref _retransmitted);

    public long PlisReceived => Volatile.Read(ref _plis);

    public long NacksReceived => Volatile.Read(ref _nacks);

    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>
    /// Joins <paramref name="room"/> as "bot&lt;index&gt;". With a <paramref name="receiver"/>, the bot's two
    /// sockets are read by that shared thread; otherwise each connection has a thread of its own.
    /// </summary>
    public static async Task<LoadBot> JoinAsync(Uri server, DtlsContext dtls, string room, uint index, LatencyHistogram latency, CancellationToken cancellationToken,
        BatchReceiver? receiver = null)
    {
        string name = $"bot{index}";
        var bot = new LoadBot(index, name, dtls, latency, receiver);
        long start = Stopwatch.GetTimestamp();
        try
        {
            bot._signal = await Signaling.ConnectAsync(server, bot.OnMessageAsync, cancellationToken);
            await bot.Signal.SendAsync(new JsonObject
            {
                ["type"] = "join", ["protocol"] = 1, ["room"] = room, ["name"] = name,
                ["media"] = new JsonObject { ["audio"] = true, ["video"] = true },
            });
            bot.Id = await bot._joined.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await bot.DisposeAsync();
            throw;
        }
        bot.JoinTime = Stopwatch.GetElapsedTime(start);
        return bot;
    }

    /// <summary>Offers the profile's tracks and connects the publish transport; sending starts with the next <see cref="SendDue"/>.</summary>
    public async Task PublishAsync(MediaProfile profile, CancellationToken cancellationToken)
    {
        if (!profile.Publishes) return;
        var media = new MediaSender(profile, Index, _sink);
        SessionDescription offer = SfuSdp.PublishOffer(_publish, Name, media.Audio?.Ssrc, media.Video?.Ssrc);
        await Signal.SendAsync(new JsonObject { ["type"] = "publish", ["sdp"] = offer.Write() });
        SessionDescription answer = SessionDescription.Parse(await _publishAnswer.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken));
        await SfuSdp.ConnectAsync(_publish, answer, cancellationToken);
        _media = media;
    }

    private Signaling Signal => _signal ?? throw new InvalidOperationException("not connected");

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
            if (length > 0 && _publish.SendRtp(_resend, length)) _retransmitted++;
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

    private async Task OnMessageAsync(JsonObject message)
    {
        switch ((string?)message["type"])
        {
            case "joined":
                _joined.TrySetResult((string?)message["id"] ?? "");
                break;
            case "publish-answer":
                _publishAnswer.TrySetResult((string)message["sdp"]!);
                break;
            case "subscribe":
                try
                {
                    await AnswerSubscribeAsync((string)message["sdp"]!);
                }
                catch (Exception e)
                {
                    _errors.Enqueue($"subscribe: {e.Message}");
                }
                break;
            case "error":
                string text = message.ToJsonString();
                _errors.Enqueue(text);
                _joined.TrySetException(new InvalidOperationException(text));
                _publishAnswer.TrySetException(new InvalidOperationException(text));
                break;
        }
    }

    private async Task AnswerSubscribeAsync(string offerText)
    {
        SessionDescription offer = SessionDescription.Parse(offerText);
        await Signal.SendAsync(new JsonObject { ["type"] = "subscribe-answer", ["sdp"] = SfuSdp.SubscribeAnswer(_subscribe, offer).Write() });
        if (_subscribeStarted) return;
        _subscribeStarted = true;
        _ = SfuSdp.ConnectAsync(_subscribe, offer).ContinueWith(t => _errors.Enqueue($"subscribe connection: {t.Exception!.GetBaseException().Message}"),
            TaskContinuationOptions.OnlyOnFaulted);
    }

    public async ValueTask DisposeAsync()
    {
        _media = null;
        if (_signal is { } signal) await signal.DisposeAsync();
        _publish.Dispose();
        _subscribe.Dispose();
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
