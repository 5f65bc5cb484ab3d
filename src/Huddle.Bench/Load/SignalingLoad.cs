using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Huddle.Load;
using Huddle.Media.Udp;

namespace Huddle.Bench.Load;

/// <summary>
/// <c>load --scenario signaling</c>: signaling-only bots (no media) open WebSockets and join SFU rooms,
/// as many and as fast as asked; the join rate and each join's time are measured. Then, for the
/// duration, every bot alternates a chat message and a mute/unmute (media state) at <c>--chat-rate</c>,
/// and everyone else in the room measures how long each took to reach them through the server.
/// </summary>
internal static class SignalingLoad
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        if (options.Target != "huddle")
        {
            Console.Error.WriteLine("load: the signaling scenario speaks Huddle's protocol; use --target huddle");
            return 2;
        }
        int total = options.Participants * options.Rooms;
        Console.WriteLine($"{options.Describe()}; {options.DurationSeconds:0.#} s");
        Console.WriteLine($"machine: {BrowserBench.CpuModel()}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        await using HuddleTarget target = await HuddleTarget.StartAsync(options, total);
        var fanOut = new LatencyHistogram();
        var stateSentAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        string runId = Guid.NewGuid().ToString("N")[..8];
        var bots = new SignalBot[total];
        double cpuBefore = ProcStats.Seconds(target.Pid!.Value);
        var watch = Stopwatch.StartNew();
        var failures = new ConcurrentQueue<string>();
        using (var gate = new SemaphoreSlim(options.JoinConcurrency))
        {
            await Task.WhenAll(Enumerable.Range(0, total).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    bots[i] = await SignalBot.JoinAsync(target.Server, $"load-{runId}-{i / options.Participants}", i, fanOut, stateSentAt);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.GetBaseException().Message);
                }
                finally
                {
                    gate.Release();
                }
                if ((i + 1) % 1000 == 0) Console.WriteLine($"  {i + 1} joins started, {watch.Elapsed.TotalSeconds:F1} s");
            }));
        }
        double joinSeconds = watch.Elapsed.TotalSeconds;
        double joinCpu = ProcStats.Seconds(target.Pid!.Value) - cpuBefore;
        SignalBot[] joined = [.. bots.Where(b => b is not null)];
        double[] joinMs = [.. joined.Select(b => b.JoinTime.TotalMilliseconds).Order()];
        Console.WriteLine($"joined {joined.Length} of {total} in {joinSeconds:F2} s: {joined.Length / joinSeconds:N0} joins/s; join time p50 {Percentile(joinMs, 0.5):F1} ms, p99 {Percentile(joinMs, 0.99):F1} ms; server CPU {joinCpu:F2} s");
        foreach (string f in failures.Distinct().Take(5)) Console.WriteLine($"problem: join failed: {f}");

        // Fan-out: every bot alternates chat and a media-state change at the chat rate, phases spread out.
        double cpuStart = ProcStats.Seconds(target.Pid!.Value), botsCpuStart = ProcStats.Self();
        long[] latencyStart = fanOut.Snapshot();
        long[] serverSendStart = await target.ReadSignalingSendLatencyAsync();
        long deliveredStart = joined.Sum(b => b.Delivered);
        long sent = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.DurationSeconds));
        var period = TimeSpan.FromSeconds(1 / options.ChatRate);
        var senders = joined.Select(async bot =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(Random.Shared.NextDouble() * period.TotalSeconds), stop.Token);
                using var timer = new PeriodicTimer(period);
                do
                {
                    await bot.SendNextAsync();
                    Interlocked.Increment(ref sent);
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
            }
        }).ToArray();
        var progress = Stopwatch.StartNew();
        // Garbage collection in both processes, second by second: a fan-out tail that lines up with pauses is the collector's.
        GcSample serverGcStart = await target.ReadGcAsync(), botsGcStart = GcSample.Local();
        GcSample serverGc = serverGcStart, botsGc = botsGcStart;
        double serverWorstSecond = 0, botsWorstSecond = 0;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { break; }
            long[] counts = Snapshot.Minus(fanOut.Snapshot(), latencyStart);
            GcSample serverNow = await target.ReadGcAsync(), botsNow = GcSample.Local();
            GcSample serverSecond = serverNow.Minus(serverGc), botsSecond = botsNow.Minus(botsGc);
            (serverGc, botsGc) = (serverNow, botsNow);
            serverWorstSecond = Math.Max(serverWorstSecond, serverSecond.PauseMs);
            botsWorstSecond = Math.Max(botsWorstSecond, botsSecond.PauseMs);
            Console.WriteLine($"{progress.Elapsed.TotalSeconds,6:F1} s  sent {Interlocked.Read(ref sent),8:N0}  delivered {joined.Sum(b => b.Delivered) - deliveredStart,10:N0}  fan-out p50 {Sample.Us(LatencyHistogram.Quantile(counts, 0.5))} p99 {Sample.Us(LatencyHistogram.Quantile(counts, 0.99))}  connections {joined.Count(b => b.Open)}"
                + $"  GC pause server {serverSecond.PauseMs:F0} ms, bots {botsSecond.PauseMs:F0} ms");
        }
        await Task.WhenAll(senders);
        await Task.Delay(1000);
        double seconds = progress.Elapsed.TotalSeconds;
        double cpu = ProcStats.Seconds(target.Pid!.Value) - cpuStart, botsCpu = ProcStats.Self() - botsCpuStart;
        long[] latency = Snapshot.Minus(fanOut.Snapshot(), latencyStart);
        // The server's part: each message it sent, from queued for the socket to written (pongs included).
        long[] serverSend = Snapshot.Minus(await target.ReadSignalingSendLatencyAsync(), serverSendStart);
        long delivered = joined.Sum(b => b.Delivered) - deliveredStart;
        long expected = Interlocked.Read(ref sent) * (options.Participants - 1);
        int open = joined.Count(b => b.Open);
        long rssKb = ProcStats.RssKb(target.Pid!.Value);

        Console.WriteLine();
        Console.WriteLine($"== signaling against huddle: {open} of {total} connections open at the end");
        Console.WriteLine($"joins: {joined.Length / joinSeconds:N0}/s, p50 {Percentile(joinMs, 0.5):F1} ms, p99 {Percentile(joinMs, 0.99):F1} ms, server {1000 * joinCpu / Math.Max(1, joined.Length):F2} CPU-ms per join");
        Console.WriteLine($"fan-out (chat and media state, sender → every other member): {Interlocked.Read(ref sent):N0} sent, {delivered:N0} of {expected:N0} deliveries; p50 {Sample.Quantile(latency, 0.5)}, p90 {Sample.Quantile(latency, 0.9)}, p99 {Sample.Quantile(latency, 0.99)}, p99.9 {Sample.Quantile(latency, 0.999)}");
        Console.WriteLine($"server's send path (every message, queued → written to its socket): {serverSend.Sum():N0} messages; p50 {Sample.Quantile(serverSend, 0.5)}, p90 {Sample.Quantile(serverSend, 0.9)}, p99 {Sample.Quantile(serverSend, 0.99)}, p99.9 {Sample.Quantile(serverSend, 0.999)}");
        Console.WriteLine($"server: {cpu:F2} CPU-s over {seconds:F1} s of fan-out; resident memory {rssKb / 1024.0:F0} MiB ({rssKb / Math.Max(1, open):N0} KiB per connection); bots {botsCpu:F2} CPU-s ({100 * botsCpu / seconds:F0} % of one core)");
        GcSample serverGcRun = serverGc.Minus(serverGcStart), botsGcRun = botsGc.Minus(botsGcStart);
        Console.WriteLine($"GC during fan-out: server {serverGcRun}, at most {serverWorstSecond:F0} ms in one second; bots {botsGcRun}, at most {botsWorstSecond:F0} ms in one second");
        if (options.JsonPath is { } path)
        {
            var json = new
            {
                scenario = "signaling",
                target = "huddle",
                options = new { options.Participants, options.Rooms, options.ChatRate, options.DurationSeconds, options.JoinConcurrency },
                machine = new { cpu = BrowserBench.CpuModel(), cores = Environment.ProcessorCount },
                connections = total,
                openAtEnd = open,
                joinFailures = failures.Count,
                joinsPerSecond = joined.Length / joinSeconds,
                joinMs = new { p50 = Percentile(joinMs, 0.5), p99 = Percentile(joinMs, 0.99) },
                joinCpuSeconds = joinCpu,
                fanOut = new { sent = Interlocked.Read(ref sent), delivered, expected, p50Us = LatencyHistogram.Quantile(latency, 0.5), p99Us = LatencyHistogram.Quantile(latency, 0.99) },
                serverSend = new { messages = serverSend.Sum(), p50Us = LatencyHistogram.Quantile(serverSend, 0.5), p99Us = LatencyHistogram.Quantile(serverSend, 0.99) },
                serverCpuSeconds = cpu,
                botsCpuSeconds = botsCpu,
                serverRssKb = rssKb,
                gc = new
                {
                    server = new { collections = serverGcRun.Collections, pauseMs = serverGcRun.PauseMs, worstSecondMs = serverWorstSecond },
                    bots = new { collections = botsGcRun.Collections, pauseMs = botsGcRun.PauseMs, worstSecondMs = botsWorstSecond },
                },
            };
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        }
        foreach (SignalBot bot in joined) await bot.DisposeAsync();
        if (options.Check)
        {
            var problems = new List<string>();
            if (!failures.IsEmpty) problems.Add($"{failures.Count} joins failed");
            if (open < total) problems.Add($"{total - open} connections closed during the run");
            if (delivered < expected) problems.Add($"{expected - delivered} of {expected} fan-out deliveries missing");
            foreach (string p in problems) Console.Error.WriteLine($"load --check: {p}");
            if (problems.Count > 0) return 1;
        }
        return 0;
    }

    private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    /// <summary>A signaling-only participant: joins, sends chat and media state on request, times what reaches it.</summary>
    private sealed class SignalBot : IAsyncDisposable
    {
        private readonly LatencyHistogram _fanOut;
        private readonly ConcurrentDictionary<string, long> _stateSentAt;
        private readonly TaskCompletionSource<string> _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Signaling? _signal;
        private long _delivered;
        private int _sends;
        private string _id = "";

        private SignalBot(LatencyHistogram fanOut, ConcurrentDictionary<string, long> stateSentAt)
        {
            _fanOut = fanOut;
            _stateSentAt = stateSentAt;
        }

        public TimeSpan JoinTime { get; private set; }

        public long Delivered => Volatile.Read(ref _delivered);

        public bool Open => _signal is { Ended: null };

        public static async Task<SignalBot> JoinAsync(Uri server, string room, int index, LatencyHistogram fanOut, ConcurrentDictionary<string, long> stateSentAt)
        {
            var bot = new SignalBot(fanOut, stateSentAt);
            long start = Stopwatch.GetTimestamp();
            bot._signal = await Signaling.ConnectAsync(server, bot.OnMessageAsync, CancellationToken.None, bot.OnFanOut);
            await bot._signal.SendAsync(new JsonObject
            {
                ["type"] = "join", ["protocol"] = 1, ["room"] = room, ["name"] = $"s{index}",
                ["media"] = new JsonObject { ["audio"] = true, ["video"] = false },
            });
            bot._id = await bot._joined.Task.WaitAsync(TimeSpan.FromSeconds(60));
            bot.JoinTime = Stopwatch.GetElapsedTime(start);
            return bot;
        }

        /// <summary>A chat message carrying its send time, or a media-state change whose send time others look up.</summary>
        public Task SendNextAsync()
        {
            int n = _sends++;
            long now = Stopwatch.GetTimestamp();
            if (n % 2 == 0) return _signal!.SendAsync(new JsonObject { ["type"] = "chat", ["text"] = $"t={now}" });
            _stateSentAt[_id] = now;
            return _signal!.SendAsync(new JsonObject { ["type"] = "media", ["audio"] = n % 4 == 1 ? false : true, ["video"] = false });
        }

        /// <summary>
        /// Chat and media-state deliveries, read in place without allocating: the two
        /// messages that arrive ten thousand times a second, counted here only. Anything else goes to
        /// <see cref="OnMessageAsync"/>.
        /// </summary>
        private bool OnFanOut(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            bool chat = false, media = false;
            long sentAt = -1;
            Span<char> from = stackalloc char[64];
            int fromLength = -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    chat = reader.ValueTextEquals("chat"u8);
                    media = reader.ValueTextEquals("media"u8);
                    if (!chat && !media) return false;
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length < 3 || !reader.ValueSpan.StartsWith("t="u8)) return false;
                    if (!System.Buffers.Text.Utf8Parser.TryParse(reader.ValueSpan[2..], out sentAt, out int used) || used != reader.ValueSpan.Length - 2) return false;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    // Read into the stack: a string per delivery made the bots' collections of long runs.
                    if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > from.Length) return false;
                    fromLength = reader.CopyString(from);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (chat && sentAt >= 0)
            {
                _fanOut.RecordSince(sentAt);
                Interlocked.Increment(ref _delivered);
                return true;
            }
            if (media && fromLength >= 0)
            {
                if (_stateSentAt.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(from[..fromLength], out long stateAt))
                {
                    _fanOut.RecordSince(stateAt);
                    Interlocked.Increment(ref _delivered);
                }
                return true;
            }
            return false;
        }

        private Task OnMessageAsync(JsonObject message)
        {
            switch ((string?)message["type"])
            {
                case "joined":
                    _joined.TrySetResult((string)message["id"]!);
                    break;
                case "error":
                    _joined.TrySetException(new InvalidOperationException(message.ToJsonString()));
                    break;
            }
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            if (_signal is { } signal) await signal.DisposeAsync();
        }
    }
}
