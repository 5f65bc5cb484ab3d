using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Huddle.Media.Dtls;
using Huddle.Media.Sdp;
using Huddle.Media.Transport;
using Huddle.Server;

namespace Huddle.Bench;

/// <summary>
/// "Leaving releases everything": resident participants stay in one SFU room while others join,
/// publish, receive, are received, and leave, cycle after cycle. Memory and handles are read after a
/// full GC at a baseline (after warm-up cycles) and every few cycles after, all in this process
/// (server and bots), so what a cycle leaves behind shows as a slope.
/// </summary>
internal static class SfuChurn
{
    public static async Task<int> RunAsync(string[] args)
    {
        int cycles = BrowserBench.Option(args, "--cycles", 200);
        int residents = BrowserBench.Option(args, "--resident", 2);
        int warmup = BrowserBench.Option(args, "--warmup", 20);
        string? output = BrowserBench.StringOption(args, "--out");
        if (cycles < 1 || residents < 1 || warmup < 0)
        {
            Console.Error.WriteLine("--cycles and --resident must be at least 1, --warmup at least 0");
            return 2;
        }

        await using var app = HuddleApp.Build(["--urls", "http://127.0.0.1:0", "--Huddle:Media:Port=0", "--Huddle:Media:BindAddress=127.0.0.1",
            "--Huddle:RoomMode=sfu", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var baseUri = new Uri(app.Urls.First());
        using var dtls = new DtlsContext();
        string room = $"churn-{Guid.NewGuid():N}"[..20];
        Console.WriteLine($"churn: {residents} resident publishers, {warmup} warm-up + {cycles} join/publish/receive/leave cycles, one SFU room, loopback");
        Console.WriteLine($"machine: {BrowserBench.CpuModel()}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        var stay = new List<ChurnBot>();
        for (int i = 0; i < residents; i++) stay.Add(await ChurnBot.JoinAsync(baseUri, dtls, room, $"r{i}"));
        foreach (ChurnBot bot in stay) await bot.PublishAsync();
        using var pump = new CancellationTokenSource();
        // Residents send 50 packets/s each (audio and video alternating) for the whole run.
        Task sending = Task.Run(async () =>
        {
            while (!pump.IsCancellationRequested)
            {
                foreach (ChurnBot bot in stay) bot.Send(1);
                try { await Task.Delay(20, pump.Token); } catch (OperationCanceledException) { }
            }
        });

        var samples = new List<Sample>();
        var cycleMs = new List<double>();
        for (int cycle = 1; cycle <= warmup + cycles; cycle++)
        {
            var watch = Stopwatch.StartNew();
            await using (ChurnBot visitor = await ChurnBot.JoinAsync(baseUri, dtls, room, $"v{cycle}"))
            {
                await visitor.PublishAsync();
                long[] before = [.. stay.Select(r => r.ReceivedFrom(visitor.Name))];
                DateTime deadline = DateTime.UtcNow.AddSeconds(10);
                // The visitor hears every resident and every resident hears the visitor.
                while (DateTime.UtcNow < deadline)
                {
                    visitor.Send(2);
                    bool heard = stay.All(r => visitor.ReceivedFrom(r.Name) > 0) && stay.Select((r, i) => r.ReceivedFrom(visitor.Name) > before[i]).All(b => b);
                    if (heard) break;
                    await Task.Delay(10);
                }
                if (!stay.All(r => visitor.ReceivedFrom(r.Name) > 0) || stay.Any(r => r.ReceivedFrom(visitor.Name) == 0))
                    throw new InvalidOperationException($"cycle {cycle}: media did not flow both ways ({visitor.Errors})");
            }
            cycleMs.Add(watch.Elapsed.TotalMilliseconds);
            if (cycle == warmup || (cycle > warmup && (cycle - warmup) % 20 == 0))
            {
                Sample sample = await MeasureAsync(cycle - warmup, baseUri);
                samples.Add(sample);
                Console.WriteLine(sample);
            }
        }
        await pump.CancelAsync();
        await sending;

        Sample first = samples[0], last = samples[^1];
        Console.WriteLine();
        Console.WriteLine($"cycle time: median {BrowserBench.Median(cycleMs):F0} ms");
        Console.WriteLine($"managed heap after {cycles} cycles: {Mb(last.ManagedBytes)} (baseline {Mb(first.ManagedBytes)}, {Signed(last.ManagedBytes - first.ManagedBytes)})");
        Console.WriteLine($"RSS: {Mb(last.RssBytes)} (baseline {Mb(first.RssBytes)}); fds {last.FileDescriptors} (baseline {first.FileDescriptors}); threads {last.Threads} (baseline {first.Threads}); SFU peers in the room {last.RoomPeers}");
        if (output is not null)
        {
            var result = new { benchmark = "churn", cycles, residents, warmup, machine = BrowserBench.CpuModel(), cores = Environment.ProcessorCount, samples, medianCycleMs = BrowserBench.Median(cycleMs) };
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {output}");
        }
        foreach (ChurnBot bot in stay) await bot.DisposeAsync();
        await app.StopAsync();
        return 0;
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MiB";

    private static string Signed(long bytes) => (bytes >= 0 ? "+" : "−") + Mb(Math.Abs(bytes));

    private sealed record Sample(int Cycle, long ManagedBytes, long RssBytes, int FileDescriptors, int Threads, int RoomPeers)
    {
        public override string ToString() =>
            $"after {Cycle,4} cycles: managed {ManagedBytes / 1048576.0,6:F1} MiB, RSS {RssBytes / 1048576.0,6:F1} MiB, fds {FileDescriptors,4}, threads {Threads,3}, peers in room {RoomPeers}";
    }

    private static async Task<Sample> MeasureAsync(int cycle, Uri baseUri)
    {
        // Let closed sockets, transports and timers wind down before the full collection.
        await Task.Delay(1500);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        long rss = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        int fds = Directory.GetFiles("/proc/self/fd").Length;
        int threads = Process.GetCurrentProcess().Threads.Count;
        using var http = new HttpClient { BaseAddress = baseUri };
        JsonNode rooms = JsonNode.Parse(await http.GetStringAsync("/api/rooms"))!;
        int peers = rooms["rooms"]!.AsArray().Sum(r => r!["participants"]!.AsArray().Count);
        return new Sample(cycle, managed, rss, fds, threads, peers);
    }
}

/// <summary>
/// A participant made of our own stack, as cheap as it gets: real signaling, a publish connection
/// (one Opus and one VP8 section) and a subscribe connection, RTP whose payload starts with its name.
/// </summary>
internal sealed class ChurnBot : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly WebRtcClient _publish;
    private readonly WebRtcClient _subscribe;
    private readonly TaskCompletionSource<string> _publishAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, long> _received = [];
    private readonly StringBuilder _errors = new();
    private readonly Task _reader;
    private readonly uint _audioSsrc = (uint)Random.Shared.Next(1, int.MaxValue);
    private readonly uint _videoSsrc = (uint)Random.Shared.Next(1, int.MaxValue);
    private readonly byte[] _buffer = new byte[256];
    private readonly byte[] _payload;
    private ushort _seq;
    private bool _subscribeStarted;

    private ChurnBot(string name, ClientWebSocket socket, DtlsContext dtls)
    {
        Name = name;
        _socket = socket;
        _payload = Encoding.ASCII.GetBytes(name + "|" + new string('x', 100));
        _publish = new WebRtcClient(dtls, IPAddress.Loopback);
        _subscribe = new WebRtcClient(dtls, IPAddress.Loopback);
        _subscribe.RtpReceived += packet =>
        {
            if (packet.Length <= 12) return;
            ReadOnlySpan<byte> payload = packet[12..];
            int end = payload.IndexOf((byte)'|');
            if (end <= 0) return;
            string sender = Encoding.ASCII.GetString(payload[..end]);
            lock (_received) _received[sender] = _received.GetValueOrDefault(sender) + 1;
        };
        _reader = Task.Run(ReadAsync);
    }

    public string Name { get; }

    public string Errors
    {
        get { lock (_errors) return _errors.ToString(); }
    }

    public long ReceivedFrom(string sender)
    {
        lock (_received) return _received.GetValueOrDefault(sender);
    }

    public static async Task<ChurnBot> JoinAsync(Uri baseUri, DtlsContext dtls, string room, string name)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{baseUri.Authority}/ws"), CancellationToken.None);
        var bot = new ChurnBot(name, socket, dtls);
        await bot.SendAsync(new JsonObject { ["type"] = "join", ["protocol"] = 1, ["room"] = room, ["name"] = name, ["media"] = new JsonObject { ["audio"] = true, ["video"] = true } });
        return bot;
    }

    public async Task PublishAsync()
    {
        IPEndPoint local = _publish.LocalEndPoint;
        SessionDescription offer = SdpOfferBuilder.Build(new OfferOptions
        {
            IceUfrag = _publish.LocalIce.Ufrag,
            IcePwd = _publish.LocalIce.Password,
            IceLite = false,
            Fingerprint = _publish.LocalFingerprint,
            Candidates = [SdpCandidate.Host(local.Address.ToString(), local.Port)],
            Media =
            [
                new OfferMediaOptions { Mid = "0", Kind = SdpMediaKind.Audio, Codecs = [WebRtcCodecs.Opus()], Stream = new SdpSendStream(_audioSsrc, Name, Name, "mic") },
                new OfferMediaOptions { Mid = "1", Kind = SdpMediaKind.Video, Codecs = [WebRtcCodecs.Vp8()], Stream = new SdpSendStream(_videoSsrc, Name, Name, "cam") },
            ],
        });
        await SendAsync(new JsonObject { ["type"] = "publish", ["sdp"] = offer.Write() });
        SessionDescription answer = SessionDescription.Parse(await _publishAnswer.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await ConnectAsync(_publish, answer);
    }

    /// <summary>Sends <paramref name="count"/> packets, alternating audio and video.</summary>
    public void Send(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ushort seq = ++_seq;
            bool video = (seq & 1) == 0;
            _buffer[0] = 0x80;
            _buffer[1] = video ? (byte)96 : (byte)111;
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), (ushort)(seq >> 1));
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(4), (uint)(seq >> 1) * (video ? 3000u : 960u));
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(8), video ? _videoSsrc : _audioSsrc);
            _payload.CopyTo(_buffer, 12);
            _publish.SendRtp(_buffer, 12 + _payload.Length);
        }
    }

    private async Task SendAsync(JsonObject message)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[128 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && length < buffer.Length);
                if (result.MessageType == WebSocketMessageType.Close) return;
                JsonNode? message = JsonNode.Parse(buffer.AsSpan(0, length));
                switch ((string?)message?["type"])
                {
                    case "publish-answer":
                        _publishAnswer.TrySetResult((string)message!["sdp"]!);
                        break;
                    case "subscribe":
                        await AnswerSubscribeAsync((string)message!["sdp"]!);
                        break;
                    case "error":
                        lock (_errors) _errors.Append(message!.ToJsonString()).Append(' ');
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task AnswerSubscribeAsync(string offerText)
    {
        SessionDescription offer = SessionDescription.Parse(offerText);
        SessionDescription answer = SdpAnswerBuilder.Build(offer, new AnswerOptions
        {
            IceUfrag = _subscribe.LocalIce.Ufrag,
            IcePwd = _subscribe.LocalIce.Password,
            IceLite = false,
            Fingerprint = _subscribe.LocalFingerprint,
            Setup = SdpSetup.Active,
            ChooseMedia = _ => MediaAnswerChoice.Receive,
        });
        await SendAsync(new JsonObject { ["type"] = "subscribe-answer", ["sdp"] = answer.Write() });
        if (_subscribeStarted) return;
        _subscribeStarted = true;
        _ = ConnectAsync(_subscribe, offer).ContinueWith(t =>
        {
            lock (_errors) _errors.Append(t.Exception!.GetBaseException().Message).Append(' ');
        }, TaskContinuationOptions.OnlyOnFaulted);
    }

    private static Task ConnectAsync(WebRtcClient client, SessionDescription remote)
    {
        SdpMediaSection media = remote.Media.First(m => !m.IsRejected);
        SdpCandidate candidate = remote.Media.SelectMany(m => m.Candidates).First();
        return client.ConnectAsync(new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port),
            remote.IceUfragFor(media)!, remote.IcePwdFor(media)!, remote.FingerprintsFor(media)[0]);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        _publish.Dispose();
        _subscribe.Dispose();
        _socket.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception) { }
    }
}
