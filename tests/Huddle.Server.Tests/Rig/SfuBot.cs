using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Rtp;
using Huddle.Media.Sdp;
using Huddle.Media.Transport;

namespace Huddle.Server.Tests.Rig;

/// <summary>
/// A participant of an SFU room made of our own stack: real signaling, a publish and a subscribe
/// connection (ICE, DTLS, SRTP over loopback UDP), RTP whose payload names its sender.
/// </summary>
internal sealed class SfuBot : IAsyncDisposable
{
    private readonly TestClient _signal;
    private readonly WebRtcClient _publish;
    private readonly WebRtcClient _subscribe;
    private readonly TaskCompletionSource<string> _publishAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private bool _subscribeConnecting;
    private ushort _audioSeq;
    private ushort _videoSeq;

    /// <summary>Payload prefix → packets received with it, on the subscribe connection.</summary>
    public ConcurrentDictionary<string, int> ReceivedFrom { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Every RTP packet received on the subscribe connection: SSRC, sequence number, sender's name.</summary>
    public ConcurrentQueue<(uint Ssrc, ushort Seq, string Sender, char Kind)> Received { get; } = new();

    /// <summary>RTCP the server sent on the publish connection (NACK, PLI, receiver reports).</summary>
    public ConcurrentQueue<byte[]> PublishRtcp { get; } = new();

    /// <summary>RTCP the server sent on the subscribe connection (sender reports).</summary>
    public ConcurrentQueue<byte[]> SubscribeRtcp { get; } = new();

    public string Name { get; }

    /// <summary>Our participant id in the room.</summary>
    public string Id => _signal.Id!;

    public uint AudioSsrc { get; } = (uint)Random.Shared.Next(1, int.MaxValue);

    public uint VideoSsrc { get; } = (uint)Random.Shared.Next(1, int.MaxValue);

    private SfuBot(string name, TestClient signal, DtlsContext dtls)
    {
        Name = name;
        _signal = signal;
        // Frequent consent checks, so tests may shorten the server's consent timeout.
        _publish = new WebRtcClient(dtls) { ConsentInterval = TimeSpan.FromMilliseconds(500) };
        _subscribe = new WebRtcClient(dtls) { ConsentInterval = TimeSpan.FromMilliseconds(500) };
        _subscribe.RtpReceived += packet =>
        {
            if (!RtpHeader.TryParse(packet, out RtpHeader header)) return;
            ReadOnlySpan<byte> payload = header.Payload;
            if (payload.Length > KeyFramePrefix.Length && payload[..KeyFramePrefix.Length].SequenceEqual(KeyFramePrefix)) payload = payload[KeyFramePrefix.Length..];
            int end = payload.IndexOf((byte)'|');
            if (end <= 0) return;
            string sender = Encoding.ASCII.GetString(payload[..end]);
            char kind = payload.Length > end + 1 ? (char)payload[end + 1] : '?';
            ReceivedFrom.AddOrUpdate(sender, 1, (_, n) => n + 1);
            Received.Enqueue((header.Ssrc, header.SequenceNumber, sender, kind));
        };
        _publish.RtcpReceived += packet => PublishRtcp.Enqueue(packet.ToArray());
        _subscribe.RtcpReceived += packet => SubscribeRtcp.Enqueue(packet.ToArray());
        _pump = Task.Run(PumpAsync);
    }

    public static async Task<SfuBot> JoinAsync(HuddleServer server, DtlsContext dtls, string room, string name)
    {
        TestClient signal = await server.ConnectAsync();
        await signal.JoinAsync(room, name);
        return new SfuBot(name, signal, dtls);
    }

    /// <summary>Offers one audio and one video track, sendonly, and connects the publish transport.</summary>
    public async Task PublishAsync()
    {
        SessionDescription offer = SfuSdp.PublishOffer(_publish, Name, AudioSsrc, VideoSsrc);
        await _signal.SendAsync(new { type = "publish", sdp = offer.Write() });
        string answerText = await _publishAnswer.Task.WaitAsync(TimeSpan.FromSeconds(10));
        SessionDescription answer = SessionDescription.Parse(answerText);
        await SfuSdp.ConnectAsync(_publish, answer);
    }

    /// <summary>Incoming packets to lose on the subscribe connection, before SRTP (see WebRtcClient.DropIncomingRtp).</summary>
    public Func<uint, ushort, bool>? DropIncoming
    {
        get => _subscribe.DropIncomingRtp;
        set => _subscribe.DropIncomingRtp = value;
    }

    /// <summary>Sends RTCP (a NACK, say) on the subscribe connection.</summary>
    public bool SendSubscribeRtcp(ReadOnlySpan<byte> rtcp)
    {
        var buffer = new byte[rtcp.Length + 32];
        rtcp.CopyTo(buffer);
        return _subscribe.SendRtcp(buffer, rtcp.Length);
    }

    /// <summary>The sequence number the next packet will carry.</summary>
    public ushort NextVideoSequence => (ushort)(_videoSeq + 1);

    /// <summary>Sequence numbers of our video packets that <see cref="SendMedia"/> leaves out, as if lost.</summary>
    public HashSet<ushort> DropVideo { get; } = [];

    /// <summary>Sends <paramref name="count"/> packets per track, each payload starting with our name.</summary>
    public void SendMedia(int count)
    {
        // Payload: "<name>|<a or v>|…", so receivers can tell whose and which stream a packet is.
        byte[] audio = Encoding.ASCII.GetBytes(Name + "|a|" + new string('x', 100));
        byte[] video = Encoding.ASCII.GetBytes(Name + "|v|" + new string('x', 100));
        var buffer = new byte[12 + video.Length + 32];
        for (int i = 0; i < count; i++)
        {
            foreach (bool isVideo in new[] { false, true })
            {
                ushort seq = isVideo ? ++_videoSeq : ++_audioSeq;
                byte[] payload = isVideo ? video : audio;
                buffer[0] = 0x80;
                buffer[1] = isVideo ? (byte)96 : (byte)111;
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), seq);
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), (uint)seq * (isVideo ? 3000u : 960u));
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), isVideo ? VideoSsrc : AudioSsrc);
                payload.CopyTo(buffer, 12);
                if (isVideo && DropVideo.Contains(seq)) continue;
                _publish.SendRtp(buffer, 12 + payload.Length);
            }
        }
    }

    /// <summary>
    /// A VP8 key frame's start as RFC 7741 and RFC 6386 §9.1 lay it out: payload descriptor (S=1, PID 0),
    /// frame tag with P=0, the start code 9d 01 2a and a 160x120 size. Our name follows it.
    /// </summary>
    private static readonly byte[] KeyFramePrefix = [0x10, 0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0xA0, 0x00, 0x78, 0x00];

    /// <summary>
    /// Sends <paramref name="count"/> video packets only; with <paramref name="keyFrame"/> the first starts
    /// a VP8 key frame (its payload reads "&lt;name&gt;|k|…" after the VP8 headers), the others are delta frames.
    /// </summary>
    public void SendVideo(int count, bool keyFrame = false)
    {
        byte[] delta = Encoding.ASCII.GetBytes(Name + "|v|" + new string('x', 100));
        byte[] key = [.. KeyFramePrefix, .. Encoding.ASCII.GetBytes(Name + "|k|" + new string('x', 100))];
        var buffer = new byte[12 + key.Length + 32];
        for (int i = 0; i < count; i++)
        {
            ushort seq = ++_videoSeq;
            byte[] payload = keyFrame && i == 0 ? key : delta;
            buffer[0] = 0x80;
            buffer[1] = 96;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), seq);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), (uint)seq * 3000u);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), VideoSsrc);
            payload.CopyTo(buffer, 12);
            _publish.SendRtp(buffer, 12 + payload.Length);
        }
    }

    /// <summary>Sends <paramref name="count"/> video-sized RTP packets with an SSRC of our choosing (one not announced, say).</summary>
    public void SendRaw(uint ssrc, int count)
    {
        var buffer = new byte[12 + 100 + 32];
        for (int i = 0; i < count; i++)
        {
            buffer[0] = 0x80;
            buffer[1] = 96;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)(1000 + i));
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), (uint)i * 3000);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), ssrc);
            _publish.SendRtp(buffer, 12 + 100);
        }
    }

    private async Task PumpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            JsonObject message;
            try
            {
                message = await _signal.NextAsync(TimeSpan.FromMinutes(5));
            }
            catch (Exception)
            {
                return;
            }
            switch ((string?)message["type"])
            {
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
                        Errors.Enqueue(e.Message);
                    }
                    break;
                case "error":
                    Errors.Enqueue(message.ToJsonString());
                    break;
            }
        }
    }

    /// <summary>The number of m-sections of each subscribe offer answered, in order.</summary>
    public ConcurrentQueue<int> SubscribeOfferSections { get; } = new();

    private async Task AnswerSubscribeAsync(string offerText)
    {
        SessionDescription offer = SessionDescription.Parse(offerText);
        SubscribeOfferSections.Enqueue(offer.Media.Count);
        SessionDescription answer = SfuSdp.SubscribeAnswer(_subscribe, offer);
        await _signal.SendAsync(new { type = "subscribe-answer", sdp = answer.Write() });
        if (_subscribeConnecting) return;
        _subscribeConnecting = true;
        _ = SfuSdp.ConnectAsync(_subscribe, offer).ContinueWith(t => Errors.Enqueue(t.Exception!.Message), TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>The media connections vanish (no close_notify, no more consent checks); signaling stays.</summary>
    public void LoseMedia()
    {
        _publish.Abandon();
        _subscribe.Abandon();
    }

    public TestClient Signal => _signal;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _signal.DisposeAsync();
        _publish.Dispose();
        _subscribe.Dispose();
        try { await _pump.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception) { }
    }
}
