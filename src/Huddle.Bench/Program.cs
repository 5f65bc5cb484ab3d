using Huddle.Bench;

return args.FirstOrDefault() switch
{
    "join-latency" => await JoinLatency.RunAsync(args[1..]),
    "switch-freeze" => await SwitchFreeze.RunAsync(args[1..]),
    "churn" => await SfuChurn.RunAsync(args[1..]),
    "record-clip" => await RecordClip.RunAsync(args[1..]),
    "load" => await Huddle.Bench.Load.LoadCommand.RunAsync(args[1..]),
    "serve" => await Serve(args[1..]),
    "relay" => Huddle.Bench.Load.RawRelay.Run(args[1..]),
    "media" => Huddle.Bench.Media.MediaBenchmarks.Run(args[1..]),
    _ => Usage(),
};

// The server under test in its own process, so the load generator can read its CPU time apart from the bots'.
static async Task<int> Serve(string[] args)
{
    await Huddle.Server.HuddleApp.Build(args).RunAsync();
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project src/Huddle.Bench -- <benchmark> [options]

        benchmarks:
          join-latency --participants N --runs R [--mode mesh|sfu] [--early pages|bots [--clip f.ivf]]
                       [--marks] [--out results.json]
              Time from a newcomer's join to the first decoded frame of every other participant,
              in headless Chromium against an in-process server on 127.0.0.1. With --early bots
              (SFU only) the people already there are bots publishing a recorded VP8 clip, so only
              the newcomer is a browser.
          switch-freeze --runs R [--out results.json]
              The longest pause of each remote picture while an auto room moves from peer to peer to
              the SFU (3 → 4 people) and back (4 → 2).
          churn --cycles N [--resident R] [--warmup W] [--out results.json]
              SFU memory and handles after N join/publish/receive/leave cycles next to R resident
              publishers (bots of our own stack, server in-process).
          record-clip [--seconds S] [--out clip.ivf]
              Records Chromium's fake camera (160x120 VP8, through the SFU) into the IVF clip that bots
              publish with join-latency --early bots (default bench/clips/chromium-fake-camera-160x120.ivf).
          load --scenario meeting|broadcast|audio|signaling [--participants K] [--rooms R]
               [--publishers P] [--bitrate 500k] [--fps 30] [--duration S] [--target huddle|janus|relay]
               [--out result.json] [--svg plot.svg] [--check] [--no-gro] [--receive-preempts] [--relay-threads N]
              Bots of our own stack join rooms over the real protocols, publish synthetic media and
              measure what they receive (rate, loss, latency from a send time in each packet), with the
              server in its own process and its CPU time read from /proc. --target janus runs them against
              Janus's VideoRoom (bench/janus/start.sh: loopback only, ICE-lite); --target relay against a
              plain UDP relay (no crypto): the machine's limit (--relay-threads N: N forwarding threads on
              SO_REUSEPORT sockets). The bots' receive thread runs under SCHED_BATCH so its wake-ups do
              not take the core from the target (--receive-preempts: as before). A list (huddle,janus,relay) runs each in
              turn and compares. --check fails unless media flowed everywhere and nothing was lost.
          media [BenchmarkDotNet arguments, e.g. --filter *Srtp*]
              Per-packet costs of the media stack (SRTP, RTP rewrite) and the DTLS handshake, with
              allocations.
        """);
    return 2;
}
