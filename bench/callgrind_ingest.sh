#!/usr/bin/env bash
# Instructions per request of the ingest path, counted by callgrind: steady on a busy machine,
# where wall-clock throughput is not. Runs redis-server and the server (omniroute or
# bare_xadd_server) under callgrind, sends a warm-up, zeroes the counters, sends a fixed number
# of signed Twilio webhooks at a low rate, and prints instructions per request for each.
#
# Usage: bench/callgrind_ingest.sh [omniroute|bare_xadd]     (default omniroute)
# Environment: BENCH_BUILD_DIR (default <repo>/build-bench, built as run_ingest_bench.sh does),
# CG_REQUESTS (1000), CG_RATE (100 requests/s), CG_THREADS (2 server threads), CG_KEEP=1 keeps
# the callgrind files (their folder is printed) for callgrind_annotate.
# Counts are user-space instructions only: the kernel's share (syscalls, scheduling) is not in
# them; run_ingest_bench.sh's CPU-per-request numbers include it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
TARGET=${1:-omniroute}
REQUESTS=${CG_REQUESTS:-1000}
RATE=${CG_RATE:-100}
THREADS=${CG_THREADS:-2}
TOKEN=bench-auth-token
WORK=$(mktemp -d /tmp/omniroute-callgrind.XXXXXX)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ ${CG_KEEP:-0} == 1 ]]; then echo "callgrind files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "callgrind_ingest: $*" >&2; exit 1; }

wait_port() {  # wait_port PORT PID NAME: until PORT accepts connections (60 s: valgrind is slow)
  for _ in $(seq 600); do
    kill -0 "$2" 2>/dev/null || die "$3 exited; log: $(cat "$WORK/$3.log")"
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$3 is not listening after 60 s"
}
grind() {  # grind NAME CMD...: runs CMD under callgrind, counting from the start
  local name=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.%p" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  LAST_PID=$!
}

[[ -x $BUILD/bench/loadgen ]] || die "no $BUILD/bench/loadgen: build it (bench/README.md)"
REDIS_PORT=$(free_port)
grind redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$WORK"
REDIS_PID=$LAST_PID
wait_port "$REDIS_PORT" "$REDIS_PID" redis
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done

PORT=$(free_port)
if [[ $TARGET == omniroute ]]; then
  write_omniroute_config "$WORK/omniroute.yaml" "$PORT" "redis://127.0.0.1:$REDIS_PORT" "$THREADS" "$THREADS"
  BENCH_TWILIO_AUTH_TOKEN=$TOKEN grind server "$BUILD/daemon/omniroute" run -c "$WORK/omniroute.yaml"
else
  grind server "$BUILD/bench/bare_xadd_server" --port "$PORT" --threads "$THREADS" \
    --redis-url "redis://127.0.0.1:$REDIS_PORT" --connections "$THREADS"
fi
SERVER_PID=$LAST_PID
wait_port "$PORT" "$SERVER_PID" server

url="http://127.0.0.1:$PORT/webhooks/twilio/bench"
load() {  # load SECONDS: signed webhooks at RATE/s on 4 connections, no warm-up
  "$BUILD/bench/loadgen" --url "$url" --token "$TOKEN" --connections 4 --rate "$RATE" \
    --duration-secs "$1" --warmup-secs 0 --json
}
load 2 >/dev/null  # warm-up: connections, script cache, first allocations
callgrind_control -z "$SERVER_PID" >/dev/null
callgrind_control -z "$REDIS_PID" >/dev/null
result=$(load "$(awk -v n="$REQUESTS" -v r="$RATE" 'BEGIN { printf "%.1f", n / r }')")
callgrind_control -d "$SERVER_PID" >/dev/null
callgrind_control -d "$REDIS_PID" >/dev/null
sent=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$result")
non2xx=$(sed -n 's/.*"non2xx":\([0-9]*\).*/\1/p' <<<"$result")
[[ $sent -gt 0 ]] || die "loadgen sent nothing: $result"

# A dump after -z holds only the measured window; sum every thread's part file.
total() {
  local sum=0 f n
  for f in "$WORK/$1".*.*; do
    [[ $f == *.log ]] && continue
    n=$(sed -n 's/^totals: \([0-9]*\).*/\1/p; s/^summary: \([0-9]*\).*/\1/p' "$f" | head -n1)
    sum=$((sum + ${n:-0}))
  done
  echo "$sum"
}
server_ir=$(total server)
redis_ir=$(total redis)
awk -v t="$TARGET" -v s="$server_ir" -v r="$redis_ir" -v n="$sent" -v bad="$non2xx" 'BEGIN {
  printf "%s: %d requests (%d non-2xx); instructions per request: server %.0f, redis-server %.0f\n",
    t, n, bad, s / n, r / n }'
