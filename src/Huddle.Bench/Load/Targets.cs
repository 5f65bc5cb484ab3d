using System.Text.Json.Nodes;
using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Udp;

namespace Huddle.Bench.Load;

/// <summary>A server the same bots and scenarios run against.</summary>
internal interface ILoadTarget : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The server's process, for its CPU time; null when unknown.</summary>
    int? Pid { get; }

    Task<IMediaBot> JoinAsync(string room, uint index, LatencyHistogram latency, CancellationToken cancellationToken);

    /// <summary>The bots' shared receive thread (null for signaling-only targets).</summary>
    BatchReceiver? Receiver { get; }

    /// <summary>The server's own counters, when it has them (Huddle's <c>/api/media/stats</c>).</summary>
    Task<ServerFigures?> ReadFiguresAsync();
}

/// <summary>The server's counters at one moment; subtract two for an interval.</summary>
internal sealed record ServerFigures(long DatagramsIn, long DatagramsOut, long SegmentedSends, Dictionary<string, long> DropsByReason, long[] LatencyBuckets)
{
    public long Drops => DropsByReason.Values.Sum();

    public ServerFigures Minus(ServerFigures start) => new(DatagramsIn - start.DatagramsIn, DatagramsOut - start.DatagramsOut, SegmentedSends - start.SegmentedSends,
        DropsByReason.ToDictionary(d => d.Key, d => d.Value - start.DropsByReason.GetValueOrDefault(d.Key)),
        [.. LatencyBuckets.Select((c, i) => c - (i < start.LatencyBuckets.Length ? start.LatencyBuckets[i] : 0))]);

    /// <summary>"srtp 12, unknownSsrc 3", the reasons that dropped anything.</summary>
    public string DescribeDrops() => Drops == 0 ? "none" : string.Join(", ", DropsByReason.Where(d => d.Value != 0).Select(d => $"{d.Key} {d.Value}"));
}

/// <summary>Huddle's SFU: started here in its own process (SFU mode, loopback, warnings only) or already running.</summary>
internal sealed class HuddleTarget : ILoadTarget
{
    private readonly ChildProcess? _process;
    private readonly Uri _server;
    private readonly HttpClient _http;
    private readonly DtlsContext _dtls = new();
    private readonly BatchReceiver _receiver;

    private HuddleTarget(Uri server, ChildProcess? process, int? pid, LoadOptions options)
    {
        _receiver = options.BotReceiver();
        _server = server;
        _process = process;
        Pid = pid ?? process?.Pid;
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name => "huddle";

    public BatchReceiver? Receiver => _receiver;

    public int? Pid { get; }

    public Uri Server => _server;

    public static async Task<HuddleTarget> StartAsync(LoadOptions options, int seats)
    {
        if (options.Server is { } existing) return new HuddleTarget(existing, null, options.ServerPid, options);
        int http = ChildProcess.FreePort(udp: false);
        int media = ChildProcess.FreePort(udp: true);
        var process = ChildProcess.Start("serve",
        [
            "--urls", $"http://127.0.0.1:{http}", $"--Huddle:Media:Port={media}", "--Huddle:Media:BindAddress=127.0.0.1",
            "--Huddle:RoomMode=sfu", $"--Huddle:SfuCapacity={Math.Max(50, options.Participants)}", $"--Huddle:SfuServerCapacity={Math.Max(500, seats)}",
            $"--Huddle:MaxConnections={Math.Max(10_000, seats + 100)}", "--Logging:LogLevel:Default=Warning",
        ], Path.Combine("artifacts", "load", "huddle-server.log"));
        var target = new HuddleTarget(new Uri($"http://127.0.0.1:{http}/"), process, null, options);
        await target.WaitReadyAsync();
        return target;
    }

    private async Task WaitReadyAsync()
    {
        if (_process is null) return;
        await _process.WaitReadyAsync(async () =>
        {
            try
            {
                using HttpResponseMessage response = await _http.GetAsync("/api/media/stats");
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), "the server");
    }

    public async Task<IMediaBot> JoinAsync(string room, uint index, LatencyHistogram latency, CancellationToken cancellationToken) =>
        await LoadBot.JoinAsync(_server, _dtls, room, index, latency, cancellationToken, _receiver);

    public async Task<ServerFigures?> ReadFiguresAsync()
    {
        JsonNode stats = JsonNode.Parse(await _http.GetStringAsync("/api/media/stats"))!;
        JsonObject drops = stats["drops"]!.AsObject();
        return new ServerFigures((long)stats["datagramsIn"]!, (long)stats["datagramsOut"]!, (long?)stats["segmentedSends"] ?? 0, drops.ToDictionary(d => d.Key, d => (long)d.Value!),
            Buckets(stats["forwardingLatencyUs"]!));
    }

    /// <summary>The server's histogram of signaling messages from queued to written (<c>signaling.sendLatencyUs</c>).</summary>
    public async Task<long[]> ReadSignalingSendLatencyAsync() =>
        Buckets(JsonNode.Parse(await _http.GetStringAsync("/api/media/stats"))!["signaling"]!["sendLatencyUs"]!);

    /// <summary>A latency summary of <c>/api/media/stats</c> back into <see cref="LatencyHistogram"/> counts.</summary>
    private static long[] Buckets(JsonNode summary)
    {
        long[] buckets = new long[LatencyHistogram.BucketCount];
        foreach (JsonNode? bucket in summary["buckets"]!.AsArray())
        {
            buckets[LatencyHistogram.BucketOf((long)bucket!["from"]!)] = (long)bucket["count"]!;
        }
        return buckets;
    }

    /// <summary>The server process's garbage collector figures (<c>gc</c> of <c>/api/media/stats</c>).</summary>
    public async Task<GcSample> ReadGcAsync()
    {
        JsonNode gc = JsonNode.Parse(await _http.GetStringAsync("/api/media/stats"))!["gc"]!;
        return new GcSample([.. gc["collections"]!.AsArray().Select(c => (int)c!)], (double)gc["pauseTotalMs"]!);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _process?.Dispose();
        _receiver.Dispose();
        _dtls.Dispose();
        await Task.CompletedTask;
    }
}

/// <summary>A process's collections per generation and total GC pause (ms) at one moment; subtract two for an interval.</summary>
internal sealed record GcSample(int[] Collections, double PauseMs)
{
    public static GcSample Local() => new([GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)], GC.GetTotalPauseDuration().TotalMilliseconds);

    public GcSample Minus(GcSample start) => new([.. Collections.Select((c, i) => c - start.Collections[i])], PauseMs - start.PauseMs);

    /// <summary>"12/3/0 collections, 41 ms paused".</summary>
    public override string ToString() => $"{string.Join('/', Collections)} collections, {PauseMs:F0} ms paused";
}
