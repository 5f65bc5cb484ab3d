using Huddle.Bench;

return args.FirstOrDefault() switch
{
    "join-latency" => await JoinLatency.RunAsync(args[1..]),
    "media" => Huddle.Bench.Media.MediaBenchmarks.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project src/Huddle.Bench -- <benchmark> [options]

        benchmarks:
          join-latency --participants N --runs R [--mode mesh|sfu] [--out results.json]
              Time from a newcomer's join to the first decoded frame of every other participant,
              in headless Chromium against an in-process server on 127.0.0.1.
          media [BenchmarkDotNet arguments, e.g. --filter *Srtp*]
              Per-packet costs of the media stack (SRTP, RTP rewrite) and the DTLS handshake, with
              allocations.
        """);
    return 2;
}
