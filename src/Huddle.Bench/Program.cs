using Huddle.Bench;

return args.FirstOrDefault() switch
{
    "join-latency" => await JoinLatency.RunAsync(args[1..]),
    "switch-freeze" => await SwitchFreeze.RunAsync(args[1..]),
    "churn" => await SfuChurn.RunAsync(args[1..]),
    "media" => Huddle.Bench.Media.MediaBenchmarks.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project src/Huddle.Bench -- <benchmark> [options]

        benchmarks:
          join-latency --participants N --runs R [--mode mesh|sfu] [--marks] [--out results.json]
              Time from a newcomer's join to the first decoded frame of every other participant,
              in headless Chromium against an in-process server on 127.0.0.1.
          switch-freeze --runs R [--out results.json]
              The longest pause of each remote picture while an auto room moves from peer to peer to
              the SFU (3 → 4 people) and back (4 → 2).
          churn --cycles N [--resident R] [--warmup W] [--out results.json]
              SFU memory and handles after N join/publish/receive/leave cycles next to R resident
              publishers (bots of our own stack, server in-process).
          media [BenchmarkDotNet arguments, e.g. --filter *Srtp*]
              Per-packet costs of the media stack (SRTP, RTP rewrite) and the DTLS handshake, with
              allocations.
        """);
    return 2;
}
