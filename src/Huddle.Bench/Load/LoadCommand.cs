using System.Diagnostics;
using Huddle.Load;
using Huddle.Media.Udp;

namespace Huddle.Bench.Load;

/// <summary>
/// <c>load</c>: bots of our own stack join rooms on a server (Huddle's SFU, the raw UDP relay, or Janus),
/// publish synthetic media, receive one another, and measure. Scenarios carry the names the SFU world
/// uses: <c>meeting</c> K×K (everyone publishes audio and video and receives everyone), <c>broadcast</c>
/// 1→N, <c>audio</c> P→N (Opus-sized packets only), and <c>signaling</c> (see <see cref="SignalingLoad"/>).
/// Server CPU is read from /proc, so figures are per CPU-second of the server process, not of the bots
/// that share the machine.
/// </summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        LoadOptions? options = LoadOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine($"load: {error}");
            return 2;
        }
        if (options.Scenario == "signaling") return await SignalingLoad.RunAsync(options);

        // Several targets (--target huddle,relay,janus) run one after the other in this invocation, so their
        // ratios come from one run on one machine state.
        string[] targets = options.Target.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var results = new List<LoadResult>();
        int exit = 0;
        foreach (string target in targets)
        {
            (int code, LoadResult? result) = await RunOneAsync(options with { Target = target }, targets.Length > 1);
            if (result is not null) results.Add(result);
            if (code != 0) exit = code;
            if (code is 2 or 130) return code;
        }
        if (results.Count > 1) LoadResult.PrintComparison(Console.Out, results);
        if (options.JsonPath is { } json) await LoadResult.WriteJsonAsync(json, results);
        return exit;
    }

    private static async Task<(int Code, LoadResult? Result)> RunOneAsync(LoadOptions options, bool several)
    {
        int bots = options.Participants * options.Rooms;
        Console.WriteLine($"{options.Describe()}; target {options.Target}; {options.DurationSeconds:0.#} s");
        Console.WriteLine($"machine: {BrowserBench.CpuModel()}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        ILoadTarget started;
        try
        {
            started = options.Target switch
            {
                "huddle" => await HuddleTarget.StartAsync(options, bots),
                "janus" => await JanusTarget.StartAsync(options),
                _ => await RelayTarget.StartAsync(options),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"load: {options.Target} did not start: {e.Message}");
            return (1, null);
        }
        await using ILoadTarget target = started;
        var latency = new LatencyHistogram();
        var runId = Guid.NewGuid().ToString("N")[..8];
        var all = new List<Participant>();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        // Join: rooms fill in order, a few joins in flight at once.
        var joinWatch = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(options.JoinConcurrency))
        {
            var joins = new List<Task<Participant>>();
            for (int r = 0; r < options.Rooms; r++)
            {
                for (int p = 0; p < options.Participants; p++)
                {
                    // Copies for the closure below: the loop variables move on before the join runs.
                    int roomNumber = r;
                    string room = $"load-{runId}-{r}";
                    uint index = (uint)(r * options.Participants + p);
                    MediaProfile profile = ProfileFor(options, p);
                    joins.Add(Task.Run(async () =>
                    {
                        await gate.WaitAsync(cancel.Token);
                        try
                        {
                            IMediaBot bot = await target.JoinAsync(room, index, latency, cancel.Token);
                            return new Participant(bot, roomNumber, profile);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    }));
                }
            }
            try
            {
                all.AddRange(await Task.WhenAll(joins));
            }
            catch (Exception e)
            {
                foreach (Task<Participant> join in joins.Where(j => j.IsCompletedSuccessfully)) await join.Result.Bot.DisposeAsync();
                Console.Error.WriteLine($"load: joining failed: {e.GetBaseException().Message}");
                return (1, null);
            }
        }
        double joinSeconds = joinWatch.Elapsed.TotalSeconds;
        Console.WriteLine($"joined {all.Count} bots in {joinSeconds:F2} s; join time median {BrowserBench.Median(all.Select(b => b.Bot.JoinTime.TotalMilliseconds)):F1} ms");

        var result = new LoadResult { Options = options, Target = target.Name, Bots = all.Count, JoinSeconds = joinSeconds };
        string? threadsLine = null;
        result.JoinMs.AddRange(all.Select(b => b.Bot.JoinTime.TotalMilliseconds));
        try
        {
            // Publish, publishers in parallel, then wait until everyone hears everyone they should.
            var publishWatch = Stopwatch.StartNew();
            using (var gate = new SemaphoreSlim(options.JoinConcurrency))
            {
                await Task.WhenAll(all.Where(b => b.Profile.Publishes).Select(async b =>
                {
                    await gate.WaitAsync(cancel.Token);
                    try
                    {
                        await b.Bot.PublishAsync(b.Profile, cancel.Token);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }
            using var pacer = new Pacer([.. all.Select(b => b.Bot)]);
            pacer.Start();
            foreach (Participant b in all) b.ExpectedSenders = all.Count(o => o != b && o.Room == b.Room && o.Profile.Publishes);
            bool ready = await WaitUntilAsync(() => all.All(b => b.Bot.Received.SendersHeard >= b.ExpectedSenders), TimeSpan.FromSeconds(30), cancel.Token);
            result.MediaReadySeconds = publishWatch.Elapsed.TotalSeconds;
            if (!ready)
            {
                int deaf = all.Count(b => b.Bot.Received.SendersHeard < b.ExpectedSenders);
                result.Problems.Add($"{deaf} of {all.Count} bots did not hear every publisher of their room within 30 s");
                foreach (string e in all.SelectMany(b => b.Bot.Errors).Distinct().Take(5)) result.Problems.Add(e);
            }
            Console.WriteLine(ready
                ? $"media flowing to every receiver {result.MediaReadySeconds:F2} s after publishing started; measuring"
                : $"not every receiver hears every publisher after 30 s; measuring anyway");

            // Warm-up, then the measured window: at high load the server still drains a backlog from the
            // start of publishing, which would count as extra packets and make the window's tail.
            double warmup = await WarmUpAsync(all, cancel.Token);
            Console.WriteLine($"warm-up {warmup:F0} s (until the received rate held within 5 % for a second)");
            // Who gets in whose way: the server's forwarding thread preempted, the bots' threads waking.
            // (c243144 found bots' sockets waking .NET's socket thread 16,000 times a second this way.)
            var threadsFrom = ReadThreads(target);
            long threadsAt = Stopwatch.GetTimestamp();
            await Measure(options, target, all, latency, result, cancel.Token);
            pacer.Stop();
            threadsLine = DescribeThreads(threadsFrom, ReadThreads(target), Stopwatch.GetElapsedTime(threadsAt).TotalSeconds);
            Snapshot stopped = await Snapshot.TakeAsync(target, all, latency);
            // Packets still in flight arrive before the final count; the window ends when sending stopped.
            await Task.Delay(700, CancellationToken.None);
            Snapshot end = await Snapshot.TakeAsync(target, all, latency);
            result.Finish(stopped, end);
            result.Receivers = all.Count(b => b.ExpectedSenders > 0); // known once everyone has published
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("load: cancelled");
            return (130, null);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.Net.WebSockets.WebSocketException)
        {
            // A target that fails (e.g. Janus refusing an offer) ends its run, not the others of --target a,b.
            Console.Error.WriteLine($"load: {options.Target}: {e.GetBaseException().Message}");
            return (1, null);
        }
        finally
        {
            foreach (Participant b in all) await b.Bot.DisposeAsync();
        }

        result.PrintSummary(Console.Out);
        if (threadsLine is not null) Console.WriteLine(threadsLine);
        if (target.Receiver is { Datagrams: > 0 } receiver)
            Console.WriteLine($"bots' receive thread, whole run: {receiver.Datagrams:N0} datagrams in {receiver.Calls:N0} recvmmsg calls; {receiver.Coalesced:N0} buffers held several datagrams (UDP GRO{(options.ReceiveOffload ? "" : ", off")}); {(receiver.YieldsOnWake ? "SCHED_BATCH, wakes preempt no one" : "SCHED_OTHER")}");
        if (options.SvgPath is { } svg)
        {
            // One plot per target when several run: plot.svg → plot-huddle.svg.
            string path = several ? Path.Combine(Path.GetDirectoryName(svg) ?? "", $"{Path.GetFileNameWithoutExtension(svg)}-{options.Target}{Path.GetExtension(svg)}") : svg;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, LoadPlot.Svg(result));
        }
        if (options.Check)
        {
            var failures = result.CheckFailures();
            foreach (string f in failures) Console.Error.WriteLine($"load --check: {f}");
            if (failures.Count > 0) return (1, result);
            Console.WriteLine("load --check: media flowed from every publisher to every receiver, nothing lost");
        }
        return (0, result);
    }

    /// <summary>
    /// One second, then whole seconds until the packets received in one differ from the one before by
    /// under 5 % (so at least three seconds), at most ten. Returns the seconds spent.
    /// </summary>
    private static async Task<double> WarmUpAsync(List<Participant> all, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        long Received() => all.Sum(b => b.Bot.Received.Packets);
        await Task.Delay(1000, cancellationToken);
        long before = Received();
        double? lastRate = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(1000, cancellationToken);
            long now = Received();
            double rate = now - before;
            before = now;
            if (lastRate is { } last && last > 0 && Math.Abs(rate - last) / last < 0.05) break;
            lastRate = rate;
        }
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Context switches and CPU time of the target's forwarding thread (Huddle and the relay) and of this process's threads.</summary>
    private static (ThreadCounters Forwarding, ThreadCounters Bots) ReadThreads(ILoadTarget target) =>
        (target.Pid is { } pid ? ProcStats.Threads(pid, ForwardingThread) : default, ProcStats.Threads(Environment.ProcessId));

    private static string DescribeThreads((ThreadCounters Forwarding, ThreadCounters Bots) from,
        (ThreadCounters Forwarding, ThreadCounters Bots) to, double seconds)
    {
        string bots = $"bots' threads: {(to.Bots.Voluntary + to.Bots.Involuntary - from.Bots.Voluntary - from.Bots.Involuntary) / seconds:N0} context switches/s";
        // Janus has no thread of that name.
        if (to.Forwarding == default) return bots;
        // Clock ticks are hundredths of a second, so ticks per second are percent of a core.
        return $"server's forwarding thread: {(to.Forwarding.Involuntary - from.Forwarding.Involuntary) / seconds:N0} preemptions/s, " +
            $"{(to.Forwarding.Voluntary - from.Forwarding.Voluntary) / seconds:N0} waits/s, " +
            $"{(to.Forwarding.UserTicks - from.Forwarding.UserTicks) / seconds:F0} % of a core in user space and {(to.Forwarding.SystemTicks - from.Forwarding.SystemTicks) / seconds:F0} % in the kernel; {bots}";
    }

    /// <summary>Huddle's media port thread (<c>UdpMediaSocket</c>), as /proc names it.</summary>
    private const string ForwardingThread = "huddle-udp";

    private static async Task Measure(LoadOptions options, ILoadTarget target, List<Participant> all, LatencyHistogram latency, LoadResult result, CancellationToken cancellationToken)
    {
        Snapshot start = await Snapshot.TakeAsync(target, all, latency);
        result.Start = start;
        Snapshot previous = start;
        var watch = Stopwatch.StartNew();
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (watch.Elapsed.TotalSeconds < options.DurationSeconds - 0.01 && await tick.WaitForNextTickAsync(cancellationToken))
        {
            Snapshot now = await Snapshot.TakeAsync(target, all, latency);
            Sample sample = Sample.Between(previous, now, start);
            result.Samples.Add(sample);
            Console.WriteLine(sample.ProgressLine());
            previous = now;
        }
    }

    /// <summary>Who publishes what, by position in the room.</summary>
    private static MediaProfile ProfileFor(LoadOptions options, int position)
    {
        var video = new MediaProfile { VideoBitrate = options.VideoBitrate, FrameRate = options.FrameRate };
        return options.Scenario switch
        {
            "meeting" => video,
            "broadcast" => position == 0 ? video : MediaProfile.None,
            _ => position < options.Publishers ? MediaProfile.AudioOnly : MediaProfile.None,
        };
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50, cancellationToken);
        }
        return true;
    }

    internal sealed class Participant(IMediaBot bot, int room, MediaProfile profile)
    {
        public IMediaBot Bot { get; } = bot;

        public int Room { get; } = room;

        public MediaProfile Profile { get; } = profile;

        public int ExpectedSenders { get; set; }
    }
}

/// <summary>
/// One thread that sends every bot's media when due (audio every 20 ms, video frames at the frame rate),
/// sleeping in between: one thread keeps the bots' cost low and their timing honest. Bots may come and
/// go while it runs.
/// </summary>
internal sealed class Pacer : IDisposable
{
    private readonly object _gate = new();
    private volatile IMediaBot[] _bots;
    private volatile bool _running;
    private Thread? _loop;
    private long _passes;

    public Pacer(IEnumerable<IMediaBot> bots) => _bots = [.. bots];

    public void Add(IMediaBot bot)
    {
        lock (_gate) _bots = [.. _bots, bot];
    }

    /// <summary>Completes once no pass of the loop can still be sending for <paramref name="bot"/>, so it may be disposed.</summary>
    public async Task RemoveAsync(IMediaBot bot)
    {
        lock (_gate) _bots = [.. _bots.Where(b => b != bot)];
        long pass = Volatile.Read(ref _passes);
        // A pass that began before the removal has ended once the counter moved by two.
        while (_running && Volatile.Read(ref _passes) < pass + 2) await Task.Delay(1);
    }

    public void Start()
    {
        _running = true;
        _loop = new Thread(Run) { IsBackground = true, Name = "load-pacer", Priority = ThreadPriority.AboveNormal };
        _loop.Start();
    }

    private void Run()
    {
        while (_running)
        {
            long now = Stopwatch.GetTimestamp();
            long next = long.MaxValue;
            foreach (IMediaBot bot in _bots) next = Math.Min(next, bot.SendDue(now));
            Interlocked.Increment(ref _passes);
            long wait = next == long.MaxValue ? Stopwatch.Frequency / 100 : next - Stopwatch.GetTimestamp();
            // Whole milliseconds: Thread.Sleep rounds a shorter wait down to 0, a sched_yield, and the
            // loop spun on it (a fifth of the bots' CPU in perf). Packets leave up to ~1 ms late; each
            // carries its real send time, so latency figures are not flattered.
            if (wait > 0) Thread.Sleep(Math.Max(1, (int)(wait * 1000 / Stopwatch.Frequency)));
        }
    }

    public void Stop()
    {
        _running = false;
        _loop?.Join();
    }

    public void Dispose() => Stop();
}
