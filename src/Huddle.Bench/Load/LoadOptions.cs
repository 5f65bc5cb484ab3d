using System.Globalization;

namespace Huddle.Bench.Load;

/// <summary>The command line of <c>load</c>; see <see cref="LoadCommand"/> for what each scenario runs.</summary>
internal sealed record LoadOptions
{
    public string Scenario { get; init; } = "meeting";

    public string Target { get; init; } = "huddle";

    /// <summary>Participants per room.</summary>
    public int Participants { get; init; } = 4;

    public int Rooms { get; init; } = 1;

    /// <summary>Audio publishers per room in the <c>audio</c> scenario.</summary>
    public int Publishers { get; init; } = 10;

    public int VideoBitrate { get; init; } = 500_000;

    public int FrameRate { get; init; } = 30;

    public double DurationSeconds { get; init; } = 20;

    /// <summary>Joins in flight at once.</summary>
    public int JoinConcurrency { get; init; } = 16;

    /// <summary>Chat messages per second per bot in the <c>signaling</c> scenario (fan-out latency).</summary>
    public double ChatRate { get; init; } = 0.2;

    /// <summary>An already running server (its URL); otherwise the run starts one.</summary>
    public Uri? Server { get; init; }

    /// <summary>The already running server's process, for its CPU time.</summary>
    public int? ServerPid { get; init; }

    public string? JsonPath { get; init; }

    public string? SvgPath { get; init; }

    /// <summary>
    /// The bots' sockets take UDP GRO (<see cref="Huddle.Media.Udp.BatchReceiver"/>): datagrams a target sent
    /// with GSO reach them in one piece instead of being split again on loopback. <c>--no-gro</c> turns it off.
    /// </summary>
    public bool ReceiveOffload { get; init; } = true;

    /// <summary>
    /// The bots' receive thread runs under SCHED_BATCH (<see cref="Huddle.Media.Udp.BatchReceiver"/>'s
    /// <c>yieldOnWake</c>), so a target's send that wakes it does not lose the core to it;
    /// <c>--receive-preempts</c> turns it off.
    /// </summary>
    public bool ReceiveYields { get; init; } = true;

    /// <summary>The bots' shared receive thread, as these options set it up.</summary>
    public Huddle.Media.Udp.BatchReceiver BotReceiver() => new("load-receive", settleMs: 1, coalesce: ReceiveOffload, yieldOnWake: ReceiveYields);

    /// <summary>Forwarding threads of the raw relay (<c>--relay-threads</c>), each on its own SO_REUSEPORT socket.</summary>
    public int RelayThreads { get; init; } = 1;

    /// <summary>Exit non-zero unless media flowed to every receiver from every sender and nothing was lost.</summary>
    public bool Check { get; init; }

    public static LoadOptions? Parse(string[] args, out string? error)
    {
        error = null;
        var options = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool takesValue = name is not ("--check" or "--no-gro" or "--receive-preempts");
            if (takesValue && value is null)
            {
                error = $"{name} needs a value";
                return null;
            }
            try
            {
                options = name switch
                {
                    "--scenario" => options with { Scenario = value! },
                    "--target" => options with { Target = value! },
                    "--participants" => options with { Participants = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--rooms" => options with { Rooms = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--publishers" => options with { Publishers = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--bitrate" => options with { VideoBitrate = ParseBitrate(value!) },
                    "--fps" => options with { FrameRate = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--duration" => options with { DurationSeconds = double.Parse(value!, CultureInfo.InvariantCulture) },
                    "--join-concurrency" => options with { JoinConcurrency = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--relay-threads" => options with { RelayThreads = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--chat-rate" => options with { ChatRate = double.Parse(value!, CultureInfo.InvariantCulture) },
                    "--server" => options with { Server = new Uri(value!) },
                    "--server-pid" => options with { ServerPid = int.Parse(value!, CultureInfo.InvariantCulture) },
                    "--out" => options with { JsonPath = value },
                    "--svg" => options with { SvgPath = value },
                    "--check" => options with { Check = true },
                    "--no-gro" => options with { ReceiveOffload = false },
                    "--receive-preempts" => options with { ReceiveYields = false },
                    _ => throw new ArgumentException($"unknown option {name}"),
                };
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or UriFormatException)
            {
                error = e is ArgumentException && e.Message.StartsWith("unknown", StringComparison.Ordinal) ? e.Message : $"{name}: '{value}' is not valid";
                return null;
            }
            if (takesValue) i++;
        }
        if (options.Scenario is not ("meeting" or "broadcast" or "audio" or "signaling")) error = "--scenario is one of meeting, broadcast, audio, signaling";
        else if (options.Target.Split(',').Any(t => t.Trim() is not ("huddle" or "relay" or "janus"))) error = "--target is huddle, janus, relay, or a list of them (huddle,janus,relay)";
        else if (options.Participants < 2 || options.Participants > 1000) error = "--participants: 2 to 1000 per room";
        else if (options.Rooms < 1 || options.Rooms > 10_000) error = "--rooms: 1 to 10000";
        else if (options.Publishers < 1) error = "--publishers: at least 1";
        else if (options.VideoBitrate < 10_000 || options.VideoBitrate > 50_000_000) error = "--bitrate: 10k to 50M bits per second";
        else if (options.FrameRate < 1 || options.FrameRate > 120) error = "--fps: 1 to 120";
        else if (options.DurationSeconds is < 1 or > 3600) error = "--duration: 1 to 3600 seconds";
        else if (options.JoinConcurrency < 1) error = "--join-concurrency: at least 1";
        else if (options.RelayThreads is < 1 or > 16) error = "--relay-threads: 1 to 16";
        return error is null ? options : null;
    }

    /// <summary>"500k", "2.5M" or a number of bits per second.</summary>
    private static int ParseBitrate(string text)
    {
        double factor = 1;
        if (text.EndsWith('k') || text.EndsWith('K')) factor = 1_000;
        else if (text.EndsWith('m') || text.EndsWith('M')) factor = 1_000_000;
        if (factor != 1) text = text[..^1];
        return checked((int)(double.Parse(text, CultureInfo.InvariantCulture) * factor));
    }

    public string Describe() => Scenario switch
    {
        "meeting" => $"meeting {Participants}×{Participants} in {Rooms} room(s): everyone publishes audio + video ({VideoBitrate / 1000} kbit/s, {FrameRate} fps) and receives everyone",
        "broadcast" => $"broadcast 1→{Participants - 1} in {Rooms} room(s): one publisher of audio + video ({VideoBitrate / 1000} kbit/s, {FrameRate} fps)",
        "audio" => $"audio {Math.Min(Publishers, Participants)}→{Participants} in {Rooms} room(s): Opus-sized packets, 50 per second per publisher",
        _ => $"signaling: {Participants * Rooms} connections in rooms of {Participants}, chat fan-out at {ChatRate} message/s per bot",
    };
}
