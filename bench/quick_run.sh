#!/usr/bin/env bash
# One quick run against omniroute or bare_xadd_server, for A/B work while changing the ingest
# path: throughput and latency, where the CPU went (each thread's time on CPU and waiting in the
# run queue, from /proc/<pid>/task/*/schedstat), how idle the machine was, and for omniroute how
# many webhooks shared one script call. Not the benchmark of record: run_ingest_bench.sh is.
#
# Usage: bench/quick_run.sh omniroute|bare_xadd [connections (32)] [seconds (5)]
# Environment: BENCH_BUILD_DIR (default <repo>/build-bench, built by run_ingest_bench.sh),
# QUICK_THREADS (2 server threads and Redis connections), QUICK_RATE (open loop at this rate;
# unset: closed loop), QUICK_TICK (loadgen --tick-us in open loop), QUICK_PERF (e.g.
# "perf record -g -o /tmp/omni.data": run under that for the measured window, attached to the
# server).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
TARGET=${1:?omniroute or bare_xadd}
CONNS=${2:-32}
SECS=${3:-5}
THREADS=${QUICK_THREADS:-2}
WORK=$(mktemp -d /tmp/omniroute-quick.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "quick_run: nothing listens on $1; log: $(cat "$WORK"/*.log)" >&2
  exit 1
}

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
  >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
wait_port "$REDIS_PORT"

PORT=$(free_port)
if [[ $TARGET == omniroute ]]; then
  write_omniroute_config "$WORK/omniroute.yaml" "$PORT" "redis://127.0.0.1:$REDIS_PORT" "$THREADS" "$THREADS"
  BENCH_TWILIO_AUTH_TOKEN=bench-auth-token "$BUILD/daemon/omniroute" run -c "$WORK/omniroute.yaml" \
    >"$WORK/server.log" 2>&1 &
else
  "$BUILD/bench/bare_xadd_server" --port "$PORT" --threads "$THREADS" \
    --redis-url "redis://127.0.0.1:$REDIS_PORT" --connections "$THREADS" >"$WORK/server.log" 2>&1 &
fi
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_port "$PORT"

"$BUILD/bench/loadgen" --url "http://127.0.0.1:$PORT/webhooks/twilio/bench" --connections "$CONNS" \
  --threads 1 --duration-secs "$SECS" --warmup-secs 1 --token bench-auth-token \
  ${QUICK_RATE:+--rate "$QUICK_RATE"} ${QUICK_TICK:+--tick-us "$QUICK_TICK"} --json >"$WORK/loadgen.json" 2>"$WORK/loadgen.log" &
LOADGEN_PID=$!
PIDS+=("$LOADGEN_PID")
sleep 1.5  # past the warm-up

# Per thread: time on CPU and waiting to run, over the middle of the measured window.
python3 - "$((SECS > 3 ? SECS - 2 : 1))" "$SERVER_PID" "$REDIS_PID" "$LOADGEN_PID" \
  >"$WORK/sched.txt" <<'EOF' &
import glob, sys, time
secs, pids = float(sys.argv[1]), sys.argv[2:]
def snap():
    out = {}
    for pid in pids:
        for task in glob.glob(f"/proc/{pid}/task/*"):
            try:
                out[task] = (open(task + "/comm").read().strip(),
                             [int(x) for x in open(task + "/schedstat").read().split()])
            except OSError:
                pass
    return out
def cpu_times():
    return [int(x) for x in open("/proc/stat").readline().split()[1:9]]
a, ca = snap(), cpu_times()
time.sleep(secs)
b, cb = snap(), cpu_times()
for task, (comm, v1) in sorted(b.items()):
    if task not in a:
        continue
    v0 = a[task][1]
    run, wait = (v1[0] - v0[0]) / secs / 1e7, (v1[1] - v0[1]) / secs / 1e7
    if run > 1:
        print(f"  {comm + '/' + task.split('/')[-1]:24s} on CPU {run:5.1f} %   run-queue wait {wait:5.1f} %")
delta = [y - x for x, y in zip(ca, cb)]
print(f"  machine idle {100 * delta[3] / sum(delta):.0f} % of all cores")
EOF
SCHED_PID=$!
if [[ -n ${QUICK_PERF:-} ]]; then
  $QUICK_PERF -p "$SERVER_PID" -- sleep "$((SECS > 3 ? SECS - 2 : 1))" >"$WORK/perf.log" 2>&1 || true
fi
wait "$SCHED_PID"
wait "$LOADGEN_PID" || true

sed 's/.*"rps":\([0-9.]*\).*"p50_ms":\([0-9.]*\).*"p99_ms":\([0-9.]*\),"p999_ms":\([0-9.]*\).*"non2xx":\([0-9]*\).*/'"$TARGET"': \1 req\/s, p50 \2 ms, p99 \3 ms, p99.9 \4 ms, non-2xx \5/' \
  "$WORK/loadgen.json"
cat "$WORK/sched.txt"
if [[ $TARGET == omniroute ]]; then
  BATCH=$(webhooks_per_script_call "$PORT")
  [[ -n $BATCH ]] && echo "  $BATCH webhooks per script call"
fi
