using System.Diagnostics;
using System.Text.Json;
using Huddle.Load;
using Huddle.Media.Udp;

namespace Huddle.Bench.Load;

/// <summary>Every counter of a run at one moment: bots' totals, their latency histogram, CPU times, the server's own figures.</summary>
internal sealed record Snapshot(long At, long Sent, long Received, long ReceivedBytes, long Lost, long Foreign, long[] Latency, double ServerCpu, double BotCpu,
    ServerFigures? Server, Feedback Feedback)
{
    public static async Task<Snapshot> TakeAsync(ILoadTarget target, IReadOnlyList<LoadCommand.Participant> all, LatencyHistogram latency)
    {
        ServerFigures? server = null;
        try
        {
            server = await target.ReadFiguresAsync();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
        }
        return new Snapshot(Stopwatch.GetTimestamp(),
            all.Sum(b => b.Bot.PacketsSent), all.Sum(b => b.Bot.Received.Packets), all.Sum(b => b.Bot.Received.Bytes), all.Sum(b => b.Bot.Received.Lost),
            all.Sum(b => b.Bot.Received.Foreign),
            latency.Snapshot(), target.Pid is { } pid ? ProcStats.Seconds(pid) : double.NaN, ProcStats.Self(), server,
            new Feedback(all.Sum(b => b.Bot.KeyFramesSent), all.Sum(b => b.Bot.PlisReceived), all.Sum(b => b.Bot.NacksReceived), all.Sum(b => b.Bot.Retransmitted)));
    }

    public double SecondsSince(Snapshot earlier) => (At - earlier.At) / (double)Stopwatch.Frequency;

    public static long[] Minus(long[] a, long[] b) => [.. a.Select((x, i) => x - b[i])];
}

/// <summary>What publishers were asked for and sent: key frames (PLI/FIR) and retransmissions (NACK).</summary>
internal sealed record Feedback(long KeyFrames, long Plis, long Nacks, long Retransmitted)
{
    public Feedback Minus(Feedback start) => new(KeyFrames - start.KeyFrames, Plis - start.Plis, Nacks - start.Nacks, Retransmitted - start.Retransmitted);
}

/// <summary>One second of a run.</summary>
internal sealed record Sample(double T, double SentPerSecond, double ReceivedPerSecond, double ReceivedBitsPerSecond, double LossPercent, long P50Us, long P99Us,
    double ServerCores, double BotCores, long? ServerP50Us, long? ServerP99Us)
{
    public static Sample Between(Snapshot from, Snapshot to, Snapshot start)
    {
        double seconds = to.SecondsSince(from);
        long received = to.Received - from.Received;
        long lost = Math.Max(0, to.Lost - from.Lost);
        long[] latency = Snapshot.Minus(to.Latency, from.Latency);
        long[]? server = to.Server is { } s && from.Server is { } f ? s.Minus(f).LatencyBuckets : null;
        return new Sample(Math.Round(to.SecondsSince(start), 2), (to.Sent - from.Sent) / seconds, received / seconds, 8 * (to.ReceivedBytes - from.ReceivedBytes) / seconds,
            received + lost == 0 ? 0 : 100.0 * lost / (received + lost),
            LatencyHistogram.Quantile(latency, 0.5), LatencyHistogram.Quantile(latency, 0.99),
            (to.ServerCpu - from.ServerCpu) / seconds, (to.BotCpu - from.BotCpu) / seconds,
            server is null ? null : LatencyHistogram.Quantile(server, 0.5), server is null ? null : LatencyHistogram.Quantile(server, 0.99));
    }

    public string ProgressLine() =>
        $"{T,6:F1} s  sent {SentPerSecond,9:N0}/s  received {ReceivedPerSecond,9:N0}/s {Mbits(ReceivedBitsPerSecond)}  loss {LossPercent,6:F3} %  " +
        $"latency p50 {Us(P50Us)} p99 {Us(P99Us)}  server CPU {ServerCores * 100,4:F0} %  bots CPU {BotCores * 100,4:F0} %";

    /// <summary>"123.4 Mbit/s" (RTP packets as the receivers decrypted them: headers and payload, no SRTP tag, UDP or IP).</summary>
    internal static string Mbits(double bitsPerSecond) => $"{bitsPerSecond / 1e6,7:F1} Mbit/s";

    internal static string Us(long us) => us >= 10_000 ? $"{us / 1000.0,5:F0} ms" : us >= 1000 ? $"{us / 1000.0,5:F1} ms" : $"{us,5} µs";

    /// <summary>The <paramref name="q"/> quantile of a latency histogram, as <see cref="Us"/> writes it without padding ("2.2 ms").</summary>
    internal static string Quantile(long[] histogram, double q) => Us(LatencyHistogram.Quantile(histogram, q)).Trim();
}

/// <summary>What a run measured, and how it is printed, saved and checked.</summary>
internal sealed class LoadResult
{
    public required LoadOptions Options { get; init; }

    public required string Target { get; init; }

    public int Bots { get; init; }

    /// <summary>Bots that receive someone (everyone in a meeting; the audience in a broadcast).</summary>
    public int Receivers { get; set; }

    public double JoinSeconds { get; init; }

    public List<double> JoinMs { get; } = [];

    public double MediaReadySeconds { get; set; }

    public List<string> Problems { get; } = [];

    public List<Sample> Samples { get; } = [];

    public Snapshot? Start { get; set; }

    public double Seconds { get; private set; }

    public long Sent { get; private set; }

    public long Received { get; private set; }

    public long ReceivedBytes { get; private set; }

    public long Lost { get; private set; }

    public long Foreign { get; private set; }

    public double LossPercent => Received + Lost == 0 ? 0 : 100.0 * Lost / (Received + Lost);

    public long[] Latency { get; private set; } = [];

    public double ServerCpuSeconds { get; private set; }

    public double BotCpuSeconds { get; private set; }

    public ServerFigures? Server { get; private set; }

    public Feedback? Feedback { get; private set; }

    public double ReceivedPerSecond => Received / Seconds;

    /// <summary>RTP bits per second that reached receivers, all of them together.</summary>
    public double ReceivedBitsPerSecond => 8 * ReceivedBytes / Seconds;

    /// <summary>Server CPU-seconds per million packets delivered to receivers.</summary>
    public double CpuSecondsPerMillion => ServerCpuSeconds / (Received / 1e6);

    /// <summary>The window runs from <see cref="Start"/> to <paramref name="stopped"/> (senders stopped); receivers' counts are taken at <paramref name="end"/>, once the packets in flight have landed.</summary>
    public void Finish(Snapshot stopped, Snapshot end)
    {
        Snapshot start = Start!;
        Seconds = stopped.SecondsSince(start);
        Sent = stopped.Sent - start.Sent;
        Received = end.Received - start.Received;
        ReceivedBytes = end.ReceivedBytes - start.ReceivedBytes;
        Lost = Math.Max(0, end.Lost - start.Lost);
        Foreign = end.Foreign - start.Foreign;
        Latency = Snapshot.Minus(end.Latency, start.Latency);
        ServerCpuSeconds = stopped.ServerCpu - start.ServerCpu;
        BotCpuSeconds = stopped.BotCpu - start.BotCpu;
        Server = end.Server is { } s && start.Server is { } f ? s.Minus(f) : null;
        Feedback = end.Feedback.Minus(start.Feedback);
    }

    public void PrintSummary(TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"== {Options.Scenario} against {Target}: {Bots} bots, {Options.Rooms} room(s), {Seconds:F1} s measured");
        o.WriteLine($"joins: {JoinMs.Count} in {JoinSeconds:F2} s ({JoinMs.Count / JoinSeconds:F0}/s), join time median {BrowserBench.Median(JoinMs):F1} ms, max {JoinMs.DefaultIfEmpty().Max():F1} ms");
        o.WriteLine($"sent {Sent / Seconds:N0} packets/s; received {ReceivedPerSecond:N0} packets/s (the forwarded rate); lost {Lost:N0} of {Received + Lost:N0} ({LossPercent:F3} %)");
        o.WriteLine($"received bitrate: {Sample.Mbits(ReceivedBitsPerSecond).Trim()} in all, {ReceivedBitsPerSecond / Math.Max(1, Receivers) / 1e3:N0} kbit/s per receiver ({Receivers} receivers; RTP headers and payload)");
        o.WriteLine($"end-to-end latency (bot send → bot receive): p50 {Sample.Quantile(Latency, 0.5)}, p99 {Sample.Quantile(Latency, 0.99)}, p99.9 {Sample.Quantile(Latency, 0.999)}");
        if (!double.IsNaN(ServerCpuSeconds))
        {
            o.WriteLine($"server CPU: {ServerCpuSeconds:F2} s ({100 * ServerCpuSeconds / Seconds:F0} % of one core); {CpuSecondsPerMillion:F2} CPU-s per million forwarded packets ({Received / ServerCpuSeconds:N0} packets per CPU-second)");
        }
        if (Server is { } server)
        {
            o.WriteLine($"server counters: {server.DatagramsIn / Seconds:N0} datagrams/s in, {server.DatagramsOut / Seconds:N0} out ({server.SegmentedSends / Seconds:N0} segmented sends/s), dropped: {server.DescribeDrops()}; forwarding (arrival → send returned) p50 {Sample.Quantile(server.LatencyBuckets, 0.5)}, p99 {Sample.Quantile(server.LatencyBuckets, 0.99)}");
        }
        if (Feedback is { } fb) o.WriteLine($"publishers: {fb.Plis} PLI/FIR received, {fb.KeyFrames} key frames sent, {fb.Nacks} NACKs received, {fb.Retransmitted} packets retransmitted");
        o.WriteLine($"bots CPU: {BotCpuSeconds:F2} s ({100 * BotCpuSeconds / Seconds:F0} % of one core)");
        foreach (string problem in Problems) o.WriteLine($"problem: {problem}");
    }

    /// <summary>Why <c>--check</c> fails: no media, loss, foreign packets, problems while starting.</summary>
    public List<string> CheckFailures()
    {
        var failures = new List<string>(Problems);
        if (Received == 0) failures.Add("no media reached any receiver");
        if (Lost > 0) failures.Add($"{Lost} packets lost on loopback");
        if (Foreign > 0) failures.Add($"{Foreign} packets without a bot's tag");
        if (Receivers == 0) failures.Add("the scenario has no receivers");
        if (Server is { } server && server.LatencyBuckets.Sum() == 0) failures.Add("the server's forwarding histogram recorded no copies");
        return failures;
    }

    /// <summary>
    /// The runs of one invocation side by side, in the shape of docs/benchmarks.md's table, with each
    /// measure's ratio to the first target's.
    /// </summary>
    public static void PrintComparison(TextWriter o, IReadOnlyList<LoadResult> results)
    {
        LoadResult first = results[0];
        o.WriteLine();
        o.WriteLine($"== side by side ({first.Options.Describe()}, {first.Seconds:F0} s each)");
        o.WriteLine("| target | forwarded packets/s | server CPU-s per million packets | p50 / p99 added latency | receiver loss |");
        o.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (LoadResult r in results)
        {
            o.WriteLine($"| {r.Target} | {r.ReceivedPerSecond:N0} | {r.CpuSecondsPerMillion:F2} | {Sample.Quantile(r.Latency, 0.5)} / {Sample.Quantile(r.Latency, 0.99)} | {r.LossPercent:F3} % |");
        }
        foreach (LoadResult r in results.Skip(1))
        {
            o.WriteLine($"{first.Target}/{r.Target}: CPU per packet {first.CpuSecondsPerMillion / r.CpuSecondsPerMillion:F2}, packets per CPU-second {r.CpuSecondsPerMillion / first.CpuSecondsPerMillion:F2}, forwarded rate {first.ReceivedPerSecond / r.ReceivedPerSecond:F2}");
        }
    }

    public static async Task WriteJsonAsync(string path, IReadOnlyList<LoadResult> results)
    {
        object json = results.Count == 1 ? results[0].ToJson() : new
        {
            runs = results.Select(r => r.ToJson()),
            ratios = results.Skip(1).Select(r => new
            {
                of = results[0].Target,
                to = r.Target,
                cpuPerPacket = results[0].CpuSecondsPerMillion / r.CpuSecondsPerMillion,
                forwardedRate = results[0].ReceivedPerSecond / r.ReceivedPerSecond,
            }),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        Console.WriteLine($"wrote {path}");
    }

    private object ToJson()
    {
        return new
        {
            scenario = Options.Scenario,
            target = Target,
            options = new { Options.Participants, Options.Rooms, Options.Publishers, Options.VideoBitrate, Options.FrameRate, Options.DurationSeconds },
            machine = new { cpu = BrowserBench.CpuModel(), cores = Environment.ProcessorCount, dotnet = Environment.Version.ToString() },
            bots = Bots,
            joins = new { count = JoinMs.Count, seconds = JoinSeconds, medianMs = BrowserBench.Median(JoinMs), maxMs = JoinMs.DefaultIfEmpty().Max() },
            mediaReadySeconds = MediaReadySeconds,
            seconds = Seconds,
            sent = Sent,
            received = Received,
            lost = Lost,
            lossPercent = LossPercent,
            receivedPerSecond = ReceivedPerSecond,
            receivedBitsPerSecond = ReceivedBitsPerSecond,
            receivers = Receivers,
            latencyUs = new { p50 = LatencyHistogram.Quantile(Latency, 0.5), p99 = LatencyHistogram.Quantile(Latency, 0.99), p999 = LatencyHistogram.Quantile(Latency, 0.999) },
            serverCpuSeconds = double.IsNaN(ServerCpuSeconds) ? (double?)null : ServerCpuSeconds,
            serverCpuSecondsPerMillionPackets = double.IsNaN(ServerCpuSeconds) ? (double?)null : CpuSecondsPerMillion,
            botCpuSeconds = BotCpuSeconds,
            server = Server is { } s ? new
            {
                datagramsIn = s.DatagramsIn,
                datagramsOut = s.DatagramsOut,
                segmentedSends = s.SegmentedSends,
                drops = s.DropsByReason,
                forwardingUs = new { p50 = LatencyHistogram.Quantile(s.LatencyBuckets, 0.5), p99 = LatencyHistogram.Quantile(s.LatencyBuckets, 0.99), p999 = LatencyHistogram.Quantile(s.LatencyBuckets, 0.999) },
            } : null,
            feedback = Feedback,
            problems = Problems,
            samples = Samples,
        };
    }
}
