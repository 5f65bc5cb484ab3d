#!/bin/sh
# Runs Janus with this folder's loopback-only benchmark configuration, in the foreground (exec: the PID
# is janus's own, so its CPU time can be read from /proc). Needs a C compiler once, for the
# loopback-ifaddrs.c shim (LD_PRELOAD) without which Janus offers no 127.0.0.1 candidate.
#   start.sh [WS_PORT [RTP_RANGE [janus options…]]]   e.g. start.sh 8188 20000-40000 --libnice-debug
# Environment: JANUS_WS_PORT, JANUS_RTP_RANGE, JANUS_DEBUG_LEVEL (default 2: errors and warnings),
# JANUS_RUN_DIR (where the filled-in configuration goes; default a new folder under ${TMPDIR:-/tmp}).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-${JANUS_WS_PORT:-8188}}
range=${2:-${JANUS_RTP_RANGE:-20000-40000}}
[ $# -ge 2 ] && shift 2 || shift $#
level=${JANUS_DEBUG_LEVEL:-2}
dir=${JANUS_RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/huddle-janus.XXXXXX")}
mkdir -p "$dir"
for f in "$here"/*.jcfg; do
	sed -e "s|@WS_PORT@|$port|g" -e "s|@RTP_RANGE@|$range|g" -e "s|@DEBUG_LEVEL@|$level|g" -e "s|@CONFIG_DIR@|$dir|g" "$f" > "$dir/$(basename "$f")"
done
# Janus never gathers candidates on loopback interfaces (see loopback-ifaddrs.c): the shim lets it see lo.
shim="$dir/loopback-ifaddrs.so"
if [ ! -f "$shim" ] || [ "$here/loopback-ifaddrs.c" -nt "$shim" ]; then
	${CC:-cc} -O2 -shared -fPIC -o "$shim.tmp" "$here/loopback-ifaddrs.c" -ldl
	mv "$shim.tmp" "$shim"
fi
LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}" exec janus -F "$dir" -C "$dir/janus.jcfg" --disable-colors "$@"
