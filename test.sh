#!/usr/bin/env bash
# Runs every Huddle test: the client type check, the protocol tests against a real Kestrel, and the
# browser tests in real Chromium. Installs what is missing where it can, and otherwise stops with a
# message that says what to install. Nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n== %s\n' "$*"; }
need_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

CHROMIUM="${HUDDLE_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  say "Chromium is missing: installing Debian's chromium"
  if ! { need_root apt-get -o DPkg::Lock::Timeout=300 update && need_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y chromium; }; then
    echo "test.sh: Chromium is required at $CHROMIUM. Install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null; then
  say "npm is missing: installing Debian's nodejs and npm"
  if ! { need_root apt-get -o DPkg::Lock::Timeout=300 update && need_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y nodejs npm; }; then
    echo "test.sh: npm is required for the client type check. Install it with: sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
fi
if ! command -v dotnet >/dev/null; then
  echo "test.sh: the .NET 10 SDK is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi

say "Client type check (tsc --checkJs)"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck

say "Build"
dotnet build Huddle.slnx -c Release -warnaserror --nologo -v quiet

mkdir -p artifacts
say "Media stack tests (RFC vectors, bad input, DTLS over OpenSSL, ICE/DTLS/SRTP over loopback UDP)"
dotnet test tests/Huddle.Media.Tests -c Release --no-build --nologo \
  --logger "console;verbosity=minimal" --logger "trx;LogFileName=media.trx" --results-directory artifacts/test-results

say "SFU helper tests (packet cache, sequence rewriting, NACK, keyframe requests, RTCP statistics, keyframe detection)"
dotnet test tests/Huddle.Sfu.Tests -c Release --no-build --nologo \
  --logger "console;verbosity=minimal" --logger "trx;LogFileName=sfu.trx" --results-directory artifacts/test-results

say "Protocol tests (real Kestrel, real WebSockets)"
dotnet test tests/Huddle.Server.Tests -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=server.trx" --results-directory artifacts/test-results

say "Load generator: a 10-second meeting of 3 bots against the server in its own process, then against the raw relay (media must flow everywhere, nothing lost on loopback, both forwarding histograms filled)"
dotnet src/Huddle.Bench/bin/Release/net10.0/Huddle.Bench.dll load --scenario meeting --target huddle,relay --participants 3 --bitrate 300k --fps 15 \
  --duration 10 --check --out artifacts/load/ci-meeting.json --svg artifacts/load/ci-meeting.svg

say "Load generator: 100 signaling bots in 10 rooms chat and change media state for 5 s (every delivery must arrive)"
dotnet src/Huddle.Bench/bin/Release/net10.0/Huddle.Bench.dll load --scenario signaling --participants 10 --rooms 10 --chat-rate 1 \
  --duration 5 --check --out artifacts/load/ci-signaling.json

say "Browser tests (real Chromium: $CHROMIUM)"
HUDDLE_CHROMIUM="$CHROMIUM" HUDDLE_ARTIFACTS="$PWD/artifacts" \
dotnet test tests/Huddle.Browser.Tests -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=browser.trx" --results-directory artifacts/test-results

say "All tests passed. Screenshots: artifacts/screenshots"
