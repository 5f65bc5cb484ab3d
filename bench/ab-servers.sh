#!/usr/bin/env bash
# Alternates two builds of the server against the same bench, for before/after rows in
# docs/benchmarks.md: the host's speed drifts by tens of percent within an hour, so only runs taken
# in turn compare.
#
#   bench/ab-servers.sh A.dll B.dll PAIRS [load options...]
#
# A.dll and B.dll are Huddle.Bench.dll of the two builds (e.g. one from `git worktree add /tmp/before
# <commit>` built with `dotnet build -c Release`). Each run starts that build's `serve` apart
# (workstation GC, SFU mode, loopback, warnings only), runs this checkout's `load` against it with
# the options given (default: a 15-s 50×50 meeting at 1 Mbit/s), prints the summary and stops it.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 A.dll B.dll PAIRS [load options...]" >&2
  exit 2
fi
a=$(realpath "$1"); b=$(realpath "$2"); pairs=$3; shift 3
load_args=("$@")
[ ${#load_args[@]} -eq 0 ] && load_args=(--scenario meeting --participants 50 --bitrate 1M --duration 15)
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/src/Huddle.Bench/bin/Release/net10.0/Huddle.Bench.dll"
[ -f "$bench" ] || { echo "build first: dotnet build -c Release Huddle.slnx" >&2; exit 1; }
port=18080
server=""
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=""; }
trap stop EXIT
for pair in $(seq 1 "$pairs"); do
  for build in A B; do
    dll=$a; [ $build = B ] && dll=$b
    DOTNET_gcServer=0 dotnet "$dll" serve --urls "http://127.0.0.1:$port" --Huddle:Media:Port=0 \
      --Huddle:Media:BindAddress=127.0.0.1 --Huddle:RoomMode=sfu --Huddle:SfuCapacity=50 \
      --Huddle:SfuServerCapacity=10100 --Huddle:MaxConnections=10100 \
      --Logging:LogLevel:Default=Warning >"/tmp/ab-server-$build.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
      curl -sf "http://127.0.0.1:$port/api/media/stats" >/dev/null && break
      sleep 0.1
    done
    echo "== $build ($dll), pair $pair"
    (cd "$root" && dotnet "$bench" load "${load_args[@]}" --server "http://127.0.0.1:$port/" --server-pid "$server") |
      grep -E '^(sent|end-to-end|server|bots CPU)'
    stop
  done
done
