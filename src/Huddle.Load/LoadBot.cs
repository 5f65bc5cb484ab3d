using System.Diagnostics;
using System.Text.Json.Nodes;
using Huddle.Media.Dtls;
using Huddle.Media.Sdp;
using Huddle.Media.Udp;

namespace Huddle.Load;

/// <summary>
/// A participant of a Huddle SFU room made of our own stack: it joins over the real signaling protocol,
/// publishes synthetic audio and video on its publish connection (controlling ICE, DTLS client, SRTP),
/// answers the server's PLI with a key frame and its NACKs with retransmissions as a browser would, and
/// receives everyone else on its subscribe connection, counting packets, loss and latency.
/// </summary>
public sealed class LoadBot : WebRtcBot
{
    private readonly TaskCompletionSource<string> _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _publishAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Signaling? _signal;

    private LoadBot(uint index, string name, DtlsContext dtls, LatencyHistogram latency, BatchReceiver? receiver)
        : base(index, name, dtls, latency, receiver, DtlsRole.Client)
    {
    }

    public string? Id { get; private set; }

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

    /// <summary>Offers the profile's tracks and connects the publish transport; sending starts with the next <see cref="WebRtcBot.SendDue"/>.</summary>
    public override async Task PublishAsync(MediaProfile profile, CancellationToken cancellationToken)
    {
        if (!profile.Publishes) return;
        MediaSender media = CreateSender(profile);
        SessionDescription offer = SfuSdp.PublishOffer(Publish, Name, media.Audio?.Ssrc, media.Video?.Ssrc);
        await Signal.SendAsync(new JsonObject { ["type"] = "publish", ["sdp"] = offer.Write() });
        SessionDescription answer = SessionDescription.Parse(await _publishAnswer.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken));
        await SfuSdp.ConnectAsync(Publish, answer, cancellationToken);
        StartSending(media);
    }

    private Signaling Signal => _signal ?? throw new InvalidOperationException("not connected");

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
                    await AnswerSubscribeAsync(SessionDescription.Parse((string)message["sdp"]!),
                        answer => Signal.SendAsync(new JsonObject { ["type"] = "subscribe-answer", ["sdp"] = answer.Write() }));
                }
                catch (Exception e)
                {
                    AddError($"subscribe: {e.Message}");
                }
                break;
            case "error":
                string text = message.ToJsonString();
                AddError(text);
                _joined.TrySetException(new InvalidOperationException(text));
                _publishAnswer.TrySetException(new InvalidOperationException(text));
                break;
        }
    }

    protected override async ValueTask CloseSignalingAsync()
    {
        if (_signal is { } signal) await signal.DisposeAsync();
    }
}
