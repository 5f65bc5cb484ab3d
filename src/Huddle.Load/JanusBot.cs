using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Huddle.Media.Dtls;
using Huddle.Media.Sdp;
using Huddle.Media.Udp;

namespace Huddle.Load;

/// <summary>
/// A Janus VideoRoom room: its numeric id, and the publishers it admits (set when the first bot creates it).
/// Bots of one run share the instance, so only the first creates the room and the others wait for it.
/// </summary>
public sealed class JanusRoom(long id, int maxPublishers)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _exists;

    public long Id { get; } = id;

    public int MaxPublishers { get; } = maxPublishers;

    internal async Task EnsureCreatedAsync(Func<Task> create, CancellationToken cancellationToken)
    {
        if (_exists) return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_exists) await create();
            _exists = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>
/// A participant of a Janus (1.x) VideoRoom made of our own stack, with the same media and measurements as
/// <see cref="LoadBot"/>. It speaks the Janus JSON API over a WebSocket (subprotocol <c>janus-protocol</c>):
/// creates a session (kept alive every 25 s), attaches <c>janus.plugin.videoroom</c>, creates the room
/// (the first bot in), joins as a publisher and publishes with our offer (Janus answers
/// <c>a=setup:active</c>, so the publish connection is the DTLS server). Everyone else is received on
/// one multistream subscriber handle: <c>join</c> (ptype subscriber) with the feeds known then, and
/// <c>subscribe</c> for each later batch of feeds from <c>publishers</c> events; each Janus offer
/// (first or renegotiated) is answered with <c>start</c> and our answer (DTLS client), on the one
/// transport. Requests on the subscriber handle go one at a time, so offers never cross.
/// </summary>
public sealed class JanusBot : WebRtcBot
{
    public const string SubProtocol = "janus-protocol";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly bool Trace = Environment.GetEnvironmentVariable("HUDDLE_JANUS_TRACE") == "1";

    private readonly JanusRoom _room;
    private readonly Dictionary<string, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly object _gate = new();
    private readonly HashSet<long> _feeds = [];
    private readonly HashSet<long> _subscribed = [];
    private Task _subscriberQueue = Task.CompletedTask;
    private Signaling? _signal;
    private Timer? _keepalive;
    private long _transaction;
    private long _session;
    private long _publisher;
    private long _subscriber;
    private volatile bool _closing;

    private JanusBot(uint index, string name, DtlsContext dtls, JanusRoom room, LatencyHistogram latency, BatchReceiver? receiver)
        : base(index, name, dtls, latency, receiver, DtlsRole.Server, loopbackOnly: true)
    {
        _room = room;
    }

    /// <summary>Our publisher id in the room (Janus's feed id).</summary>
    public long FeedId { get; private set; }

    /// <summary>Connects to <paramref name="janus"/> (e.g. <c>ws://127.0.0.1:8188/</c>) and joins <paramref name="room"/> as a publisher, "bot&lt;index&gt;".</summary>
    public static async Task<JanusBot> JoinAsync(Uri janus, DtlsContext dtls, JanusRoom room, uint index, LatencyHistogram latency, CancellationToken cancellationToken,
        BatchReceiver? receiver = null)
    {
        var bot = new JanusBot(index, $"bot{index}", dtls, room, latency, receiver);
        long start = Stopwatch.GetTimestamp();
        try
        {
            await bot.JoinAsync(janus, cancellationToken);
        }
        catch
        {
            await bot.DisposeAsync();
            throw;
        }
        bot.JoinTime = Stopwatch.GetElapsedTime(start);
        return bot;
    }

    private async Task JoinAsync(Uri janus, CancellationToken cancellationToken)
    {
        _signal = await Signaling.ConnectAsync(janus, SubProtocol, OnMessageAsync, cancellationToken);
        JsonObject created = await RequestAsync(new JsonObject { ["janus"] = "create" }, cancellationToken);
        _session = (long)created["data"]!["id"]!;
        _keepalive = new Timer(_ => _ = SendKeepaliveAsync(), null, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(25));
        _publisher = await AttachAsync(cancellationToken);
        await _room.EnsureCreatedAsync(async () =>
        {
            try
            {
                await MessageAsync(_publisher, new JsonObject
                {
                    ["request"] = "create", ["room"] = _room.Id, ["description"] = "huddle load", ["publishers"] = _room.MaxPublishers,
                    ["bitrate"] = 0, ["fir_freq"] = 0, ["audiocodec"] = "opus", ["videocodec"] = "vp8", ["notify_joining"] = false,
                    // Only what the bots negotiate: no audio level, orientation, playout delay or transport-wide CC extensions.
                    ["audiolevel_ext"] = false, ["videoorient_ext"] = false, ["playoutdelay_ext"] = false, ["transport_wide_cc_ext"] = false,
                }, null, cancellationToken);
            }
            catch (JanusException e) when (e.Code == 427)
            {
                // It exists already (made by someone else).
            }
        }, cancellationToken);
        JsonObject joined = await MessageAsync(_publisher, new JsonObject
        {
            ["request"] = "join", ["ptype"] = "publisher", ["room"] = _room.Id, ["display"] = Name,
        }, null, cancellationToken);
        FeedId = (long)PluginData(joined)!["id"]!;
    }

    /// <summary>Publishes the profile's tracks with our offer, applies Janus's answer and connects (we are the DTLS server).</summary>
    public override async Task PublishAsync(MediaProfile profile, CancellationToken cancellationToken)
    {
        if (!profile.Publishes) return;
        MediaSender media = CreateSender(profile);
        SessionDescription offer = SfuSdp.PublishOffer(Publish, Name, media.Audio?.Ssrc, media.Video?.Ssrc);
        JsonObject reply = await MessageAsync(_publisher, new JsonObject { ["request"] = "publish" }, Jsep("offer", offer), cancellationToken);
        string sdp = (string?)reply["jsep"]?["sdp"] ?? throw new InvalidOperationException($"janus: publish without an answer: {reply.ToJsonString()}");
        await SfuSdp.ConnectAsync(Publish, SessionDescription.Parse(sdp), cancellationToken, LoopbackOnly);
        StartSending(media);
    }

    private Signaling Signal => _signal ?? throw new InvalidOperationException("not connected");

    private async Task<long> AttachAsync(CancellationToken cancellationToken)
    {
        JsonObject attached = await RequestAsync(new JsonObject { ["janus"] = "attach", ["plugin"] = "janus.plugin.videoroom" }, cancellationToken);
        return (long)attached["data"]!["id"]!;
    }

    /// <summary>A plugin request on <paramref name="handle"/>; returns its result (synchronous) or its event (asynchronous, after the ack).</summary>
    private Task<JsonObject> MessageAsync(long handle, JsonObject body, JsonObject? jsep, CancellationToken cancellationToken)
    {
        var message = new JsonObject { ["janus"] = "message", ["handle_id"] = handle, ["body"] = body };
        if (jsep is not null) message["jsep"] = jsep;
        return RequestAsync(message, cancellationToken);
    }

    /// <summary>Sends a request with a new transaction and waits for its reply (acks do not count); Janus and plugin errors throw.</summary>
    private async Task<JsonObject> RequestAsync(JsonObject message, CancellationToken cancellationToken)
    {
        string transaction = Interlocked.Increment(ref _transaction).ToString(CultureInfo.InvariantCulture);
        message["transaction"] = transaction;
        if (_session != 0) message["session_id"] = _session;
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending) _pending[transaction] = reply;
        JsonObject result;
        try
        {
            await Send(message);
            result = await reply.Task.WaitAsync(RequestTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"janus: no reply to {RequestName(message)} within {RequestTimeout.TotalSeconds:0} s");
        }
        finally
        {
            lock (_pending) _pending.Remove(transaction);
        }
        if ((string?)result["janus"] == "error")
        {
            throw new JanusException((int?)result["error"]?["code"] ?? 0, $"janus: {RequestName(message)}: {(string?)result["error"]?["reason"]}");
        }
        if (PluginData(result) is { } data && data["error_code"] is { } code)
        {
            throw new JanusException((int)code, $"janus: {RequestName(message)}: {(string?)data["error"]}");
        }
        return result;
    }

    private static string RequestName(JsonObject message) => (string?)message["body"]?["request"] ?? (string?)message["janus"] ?? "?";

    private Task Send(JsonObject message)
    {
        if (Trace) Console.Error.WriteLine($"janus {Name} > {message.ToJsonString()}");
        return Signal.SendAsync(message);
    }

    private async Task SendKeepaliveAsync()
    {
        try
        {
            await Send(new JsonObject { ["janus"] = "keepalive", ["session_id"] = _session, ["transaction"] = "keepalive" });
        }
        catch (Exception e) when (!_closing)
        {
            AddError($"janus keepalive: {e.Message}");
        }
        catch (Exception)
        {
        }
    }

    private static JsonObject? PluginData(JsonObject message) => message["plugindata"]?["data"] as JsonObject;

    private static JsonObject Jsep(string type, SessionDescription description) => new() { ["type"] = type, ["sdp"] = description.Write() };

    // Runs on the signaling reader, one message at a time: completes waiting requests and queues work, never waits for replies itself.
    private Task OnMessageAsync(JsonObject message)
    {
        if (Trace) Console.Error.WriteLine($"janus {Name} < {message.ToJsonString()}");
        string? kind = (string?)message["janus"];
        if (kind == "ack") return Task.CompletedTask;
        bool replied = false;
        if ((string?)message["transaction"] is { } transaction)
        {
            TaskCompletionSource<JsonObject>? waiting;
            lock (_pending) _pending.TryGetValue(transaction, out waiting);
            replied = waiting?.TrySetResult(message) ?? false;
        }
        if (kind != "event") return Task.CompletedTask;
        long sender = (long?)message["sender"] ?? 0;
        JsonObject? data = PluginData(message);
        // "joined" and later events on the publisher handle list the room's publishers: subscribe to the new ones.
        if (sender == _publisher && data?["publishers"] is JsonArray publishers)
        {
            lock (_gate)
            {
                foreach (JsonNode? p in publishers)
                {
                    if (p?["id"] is { } id && (long)id != FeedId) _feeds.Add((long)id);
                }
            }
            OnSubscriberQueue(SubscribeNewFeedsAsync);
        }
        // An offer nobody asked for (Janus renegotiating on its own, e.g. a publisher left): answer it too.
        else if (!replied && sender == _subscriber && sender != 0 && (string?)message["jsep"]?["type"] == "offer")
        {
            string sdp = (string)message["jsep"]!["sdp"]!;
            OnSubscriberQueue(() => AnswerOfferAsync(sdp));
        }
        return Task.CompletedTask;
    }

    /// <summary>Runs <paramref name="work"/> after what is queued on the subscriber handle; failures become <see cref="WebRtcBot.Errors"/>.</summary>
    private void OnSubscriberQueue(Func<Task> work)
    {
        lock (_gate)
        {
            _subscriberQueue = _subscriberQueue.ContinueWith(async _ =>
            {
                if (_closing) return;
                try
                {
                    await work();
                }
                catch (Exception e) when (!_closing)
                {
                    AddError($"janus subscriber: {e.GetBaseException().Message}");
                }
                catch (Exception)
                {
                }
            }, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Subscribes to every known feed not yet subscribed, in one request: <c>join</c> the first time, <c>subscribe</c> after.</summary>
    private async Task SubscribeNewFeedsAsync()
    {
        long[] feeds;
        lock (_gate)
        {
            feeds = [.. _feeds.Where(f => !_subscribed.Contains(f))];
            _subscribed.UnionWith(feeds);
        }
        if (feeds.Length == 0) return;
        var streams = new JsonArray([.. feeds.Select(f => (JsonNode)new JsonObject { ["feed"] = f })]);
        JsonObject reply;
        if (_subscriber == 0)
        {
            _subscriber = await AttachAsync(CancellationToken.None);
            reply = await MessageAsync(_subscriber, new JsonObject
            {
                ["request"] = "join", ["ptype"] = "subscriber", ["room"] = _room.Id, ["streams"] = streams,
            }, null, CancellationToken.None);
        }
        else
        {
            reply = await MessageAsync(_subscriber, new JsonObject { ["request"] = "subscribe", ["streams"] = streams }, null, CancellationToken.None);
        }
        if ((string?)reply["jsep"]?["type"] == "offer") await AnswerOfferAsync((string)reply["jsep"]!["sdp"]!);
    }

    private Task AnswerOfferAsync(string offer) =>
        AnswerSubscribeAsync(SessionDescription.Parse(offer),
            answer => MessageAsync(_subscriber, new JsonObject { ["request"] = "start" }, Jsep("answer", answer), CancellationToken.None));

    protected override async ValueTask CloseSignalingAsync()
    {
        _closing = true;
        if (_keepalive is { } keepalive) await keepalive.DisposeAsync();
        if (_signal is { } signal) await signal.DisposeAsync();
    }
}

/// <summary>An error reply of the Janus API or of a plugin, with its code (e.g. 427: the room exists).</summary>
public sealed class JanusException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
