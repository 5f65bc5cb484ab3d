using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Huddle.Bench.Load;

/// <summary>
/// A server under test in its own process (this program started again with another command, or another
/// server such as Janus), so its CPU time can be read from /proc apart from the bots'. Output goes to a log file; the process is
/// killed on dispose.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, string log)
    {
        _process = process;
        Log = log;
    }

    public int Pid => _process.Id;

    public string Log { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>Huddle.Bench &lt;command&gt; args…</c>.</summary>
    public static ChildProcess Start(string command, IEnumerable<string> args, string log)
    {
        var arguments = new List<string>();
        // Under `dotnet Huddle.Bench.dll` the process is dotnet itself and needs the assembly first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") arguments.Add(typeof(ChildProcess).Assembly.Location);
        arguments.Add(command);
        arguments.AddRange(args);
        return StartProgram(Environment.ProcessPath!, arguments, log, new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" });
    }

    /// <summary>Starts another program (e.g. a script that execs another server, so the PID is the server's).</summary>
    public static ChildProcess StartProgram(string file, IEnumerable<string> args, string log, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo
        {
            FileName = file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args) info.ArgumentList.Add(arg);
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(log))!);
        var writer = new StreamWriter(log) { AutoFlush = true };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, log);
    }

    /// <summary>
    /// Polls <paramref name="ready"/> every <paramref name="interval"/> until it says yes; throws when the
    /// process exits first or <paramref name="timeout"/> passes (naming <paramref name="what"/> and the log).
    /// </summary>
    public async Task WaitReadyAsync(Func<Task<bool>> ready, TimeSpan timeout, TimeSpan interval, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (HasExited) throw new InvalidOperationException($"{what} exited; see {Log}");
            if (await ready()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} was not ready within {timeout.TotalSeconds:0} s; see {Log}");
            await Task.Delay(interval);
        }
    }

    /// <summary>A TCP or UDP port on 127.0.0.1 that nothing holds right now.</summary>
    public static int FreePort(bool udp)
    {
        using var socket = udp ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

/// <summary>
/// CPU time of a process from /proc/&lt;pid&gt;/stat (utime + stime, fields 14 and 15, in clock ticks of 1/100 s),
/// and its resident memory.
/// </summary>
internal static class ProcStats
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static double Seconds(int pid)
    {
        try
        {
            (long user, long system) = CpuTicks($"/proc/{pid}/stat");
            return (user + system) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    public static double Self() => Seconds(Environment.ProcessId);

    /// <summary>utime and stime (fields 14 and 15) of a process's or thread's stat file, in clock ticks.</summary>
    private static (long User, long System) CpuTicks(string statFile)
    {
        string stat = File.ReadAllText(statFile);
        // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[14 - 3], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(fields[15 - 3], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Resident memory of a process in KiB (VmRSS in /proc/&lt;pid&gt;/status), 0 when unknown.</summary>
    public static long RssKb(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>
    /// Context switches (voluntary: it waited; involuntary: it was preempted) and CPU time (user and
    /// system, in clock ticks) of a process's threads, summed over those whose name starts with
    /// <paramref name="threadPrefix"/> (all when null), from /proc/&lt;pid&gt;/task/*/status and stat.
    /// A thread that ended meanwhile drops out of the sum.
    /// </summary>
    public static ThreadCounters Threads(int pid, string? threadPrefix = null)
    {
        long voluntary = 0, involuntary = 0, user = 0, system = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    if (threadPrefix is not null && !File.ReadAllText(Path.Combine(task, "comm")).StartsWith(threadPrefix, StringComparison.Ordinal)) continue;
                    foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)) voluntary += long.Parse(line.AsSpan(24).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                        else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal)) involuntary += long.Parse(line.AsSpan(27).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                    (long threadUser, long threadSystem) = CpuTicks(Path.Combine(task, "stat"));
                    user += threadUser;
                    system += threadSystem;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
                {
                    // The thread ended while we read it.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return new ThreadCounters(voluntary, involuntary, user, system);
    }
}

/// <summary>
/// What the kernel counts for threads: they waited (voluntary) or were preempted (involuntary), and
/// their CPU time in user space and in the kernel, in clock ticks (USER_HZ, 100 a second on Linux).
/// </summary>
internal readonly record struct ThreadCounters(long Voluntary, long Involuntary, long UserTicks, long SystemTicks);
