using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Udp;

namespace Huddle.Bench.Load;

/// <summary>
/// Janus (1.x, the VideoRoom plugin) started in its own process with bench/janus's loopback-only
/// configuration (start.sh execs janus, so the PID is Janus's and its CPU time comes from /proc): ICE-lite,
/// host candidates on 127.0.0.1 only, the WebSockets API on a free port of 127.0.0.1. Bots are
/// <see cref="JanusBot"/>s; each room name gets a numeric VideoRoom id, the first bot in creates it.
/// Janus has no counters of its own here: <see cref="ReadFiguresAsync"/> returns null.
/// </summary>
internal sealed class JanusTarget : ILoadTarget
{
    private const string RtpPorts = "20000-29999";
    private readonly ChildProcess _process;
    private readonly Uri _api;
    private readonly int _maxPublishers;
    private readonly DtlsContext _dtls = new();
    private readonly BatchReceiver _receiver;
    private readonly ConcurrentDictionary<string, JanusRoom> _rooms = new(StringComparer.Ordinal);
    private long _lastRoom = 1000;

    private JanusTarget(ChildProcess process, Uri api, int maxPublishers, BatchReceiver receiver)
    {
        _receiver = receiver;
        _process = process;
        _api = api;
        _maxPublishers = maxPublishers;
    }

    public string Name => "janus";

    public BatchReceiver? Receiver => _receiver;

    public int? Pid => _process.Pid;

    public static async Task<JanusTarget> StartAsync(LoadOptions options)
    {
        string script = FindStartScript() ?? throw new InvalidOperationException(
            "load --target janus: bench/janus/start.sh not found (run from the repository, or set HUDDLE_JANUS_DIR to that folder)");
        int port = ChildProcess.FreePort(udp: false);
        string artifacts = Path.GetFullPath(Path.Combine("artifacts", "load"));
        // HUDDLE_JANUS_ARGS: more janus options, e.g. "--libnice-debug" (with JANUS_DEBUG_LEVEL=5 and NICE_DEBUG=all).
        string[] extra = (Environment.GetEnvironmentVariable("HUDDLE_JANUS_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var process = ChildProcess.StartProgram(script, [port.ToString(CultureInfo.InvariantCulture), RtpPorts, .. extra], Path.Combine(artifacts, "janus.log"),
            new Dictionary<string, string> { ["JANUS_RUN_DIR"] = Path.Combine(artifacts, "janus-config") });
        var target = new JanusTarget(process, new Uri($"ws://127.0.0.1:{port}/"), Math.Max(options.Participants, 2), options.BotReceiver());
        try
        {
            await target.WaitReadyAsync(port);
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
        return target;
    }

    private static string? FindStartScript()
    {
        if (Environment.GetEnvironmentVariable("HUDDLE_JANUS_DIR") is { Length: > 0 } dir) return Path.Combine(dir, "start.sh");
        foreach (string from in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(from); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "bench", "janus", "start.sh");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    // Janus opens the WebSockets port after loading the VideoRoom plugin: once it accepts, rooms can be made.
    private Task WaitReadyAsync(int port) =>
        _process.WaitReadyAsync(async () =>
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), "janus");

    public async Task<IMediaBot> JoinAsync(string room, uint index, LatencyHistogram latency, CancellationToken cancellationToken)
    {
        JanusRoom janusRoom = _rooms.GetOrAdd(room, _ => new JanusRoom(Interlocked.Increment(ref _lastRoom), _maxPublishers));
        return await JanusBot.JoinAsync(_api, _dtls, janusRoom, index, latency, cancellationToken, _receiver);
    }

    public Task<ServerFigures?> ReadFiguresAsync() => Task.FromResult<ServerFigures?>(null);

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        _receiver.Dispose();
        _dtls.Dispose();
        return ValueTask.CompletedTask;
    }
}
