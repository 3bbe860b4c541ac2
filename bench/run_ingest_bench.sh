#!/usr/bin/env bash
# The ingest benchmark of issue 2 in one command: builds the tools (Release), starts a private
# redis-server, measures the bare ceilings and omniroute in one run, and prints a markdown table.
#
# Usage: bench/run_ingest_bench.sh            (about 3.5 minutes after the build)
# Knobs (environment): BENCH_BUILD_DIR (default <repo>/build-bench), BENCH_DURATION_SECS (10),
# BENCH_WARMUP_SECS (2), BENCH_CONNECTIONS (32), BENCH_SERVER_THREADS ("1 2": the thread counts
# both servers are measured at; each is compared at its best), BENCH_REDIS_CONNECTIONS (one per
# server thread), BENCH_PAYLOAD_BYTES (500, redis-benchmark's XADD value), BENCH_SKIP_BUILD=1,
# BENCH_NICE (e.g. -10 as root: run every measured process at that niceness, to shield it from
# a busy host).
#
# Nothing is pinned: load generator, server and redis-server share all cores, as they would on a
# small VM. The report is also written to bench/results/ingest-<UTC time>.md (git-ignored).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
DURATION=${BENCH_DURATION_SECS:-10}
WARMUP=${BENCH_WARMUP_SECS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
read -r -a THREAD_COUNTS <<<"${BENCH_SERVER_THREADS:-1 2}"
# The HTTP-only ceilings run at the largest thread count.
SERVER_THREADS=$(printf '%s\n' "${THREAD_COUNTS[@]}" | sort -n | tail -n1)
redis_conns() { echo "${BENCH_REDIS_CONNECTIONS:-$1}"; }
PAYLOAD=${BENCH_PAYLOAD_BYTES:-500}
TOKEN=bench-auth-token
WORK=$(mktemp -d /tmp/omniroute-bench.XXXXXX)
PIDS=()
RUN=()
[[ -n ${BENCH_NICE:-} ]] && RUN=(nice -n "$BENCH_NICE")
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "== $*" >&2; }
die() { echo "run_ingest_bench: $*" >&2; exit 1; }

# Status code of GET http://127.0.0.1:PORT/PATH, or nothing if the connection fails.
http_status() {
  local line
  line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 &&
    head -n1 <&3) 2>/dev/null) || return 0
  echo "$line" | awk '{print $2}'
}

# Polls (deadline 20 s) until PORT answers PATH with 200, or, without PATH, accepts connections.
wait_ready() {
  local port=$1 path=${2:-} pid=$3 name=$4
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up; log: $(cat "$WORK/$name.log")"
    if [[ -n $path ]]; then
      [[ $(http_status "$port" "$path") == 200 ]] && return 0
    elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  die "$name is not ready after 20 s; log: $(cat "$WORK/$name.log")"
}

start() {  # start NAME CMD... : runs CMD in the background, logging to $WORK/NAME.log
  local name=$1
  shift
  "${RUN[@]}" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  LAST_PID=$!
}

stop() {  # stop PID: SIGTERM and wait
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Build

HAVE_BARE_HTTP=0
[[ -f $ROOT/bench/bare_http_server.cc ]] && HAVE_BARE_HTTP=1
HAVE_OMNIROUTE=0
[[ -f $ROOT/daemon/app/main.cc ]] && HAVE_OMNIROUTE=1
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  say "building (Release) in $BUILD"
  targets=(loadgen bare_xadd_server)
  ((HAVE_BARE_HTTP)) && targets+=(bare_http_server)
  ((HAVE_OMNIROUTE)) && targets+=(omniroute)
  # -Werror stays off here: a benchmark build must not fail on an optimizer-only warning.
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DOMNIROUTE_WERROR=OFF \
    -DOMNIROUTE_BUILD_TESTS=OFF >"$WORK/cmake.log" 2>&1 || die "cmake failed: $(cat "$WORK/cmake.log")"
  cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}" >"$WORK/build.log" 2>&1 ||
    die "build failed: $(tail -40 "$WORK/build.log")"
fi
LOADGEN=$BUILD/bench/loadgen
[[ -x $LOADGEN && -x $BUILD/bench/bare_xadd_server ]] || die "tools missing in $BUILD/bench"
[[ -x $BUILD/bench/bare_http_server ]] || HAVE_BARE_HTTP=0
[[ -x $BUILD/daemon/omniroute ]] || HAVE_OMNIROUTE=0

# ---------------------------------------------------------------------------------------------
# Redis

REDIS_PORT=$(free_port)
start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$WORK" --daemonize no
REDIS_PID=$LAST_PID
wait_ready "$REDIS_PORT" "" "$REDIS_PID" redis
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
flush() { redis-cli -p "$REDIS_PORT" flushall >/dev/null; }

ROWS=()
COMMANDS=()
NGINX_RPS=0
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); }
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }

# run_loadgen NAME URL [extra loadgen args...]: loads the server whose pid is $pid, adds a table
# row with the CPU client, server and redis-server used (in % of one core), leaves JSON in $RESULT.
run_loadgen() {
  local name=$1 url=$2 note pids
  shift 2
  local cmd=("$LOADGEN" --url "$url" --connections "$CONNS" --threads 1 \
    --duration-secs "$DURATION" --warmup-secs "$WARMUP" "$@")
  COMMANDS+=("${cmd[*]} --cpu-of <server pid>,<redis pid> --json")
  say "$name"
  # The server's CPU includes its children (nginx workers).
  pids=$(cat "/proc/$pid/task/"*/children 2>/dev/null | tr -s ' \n' ',' || true)
  RESULT=$("${RUN[@]}" "${cmd[@]}" --cpu-of "$pid,$pids$REDIS_PID" --json 2>"$WORK/loadgen.err") ||
    true
  [[ -n $RESULT ]] || die "loadgen failed for $name: $(cat "$WORK/loadgen.err")"
  # Per request, CPU is a steadier measure than throughput on a shared machine.
  read -r CPU_SERVER_US CPU_REDIS_US note < <(sed -n 's/.*"cpu_pct":\[\([0-9,-]*\)\].*/\1/p' \
    <<<"$RESULT" | awk -F, -v rps="$(field "$RESULT" rps)" -v client="$(field "$RESULT" client_cpu_pct)" '{
      for (i = 1; i < NF; ++i) server += $i
      us = rps > 0 ? 1e4 / rps : 0
      printf "%.1f %.1f CPU %% server %.0f, redis %.0f, client %.0f (µs/req: server %.1f, redis %.1f)\n",
        server * us, $NF * us, server, $NF, client, server * us, $NF * us }')
  note+="; $CONNS conns, $(field "$RESULT" mode), $(field "$RESULT" body_bytes) B body"
  [[ $(field "$RESULT" rate) != 0 ]] && note+=", open loop at $(field "$RESULT" rate)/s"
  [[ $(field "$RESULT" non2xx) != 0 ]] &&
    note+=", **$(field "$RESULT" non2xx) non-2xx (last $(field "$RESULT" last_non2xx_status))**"
  [[ $(field "$RESULT" errors) != 0 ]] && note+=", **$(field "$RESULT" errors) errors**"
  row "$name" "$(printf '%.0f' "$(field "$RESULT" rps)")" "$(field "$RESULT" p50_ms)" \
    "$(field "$RESULT" p99_ms)" "$note; p99.9 $(field "$RESULT" p999_ms) ms"
}

# ---------------------------------------------------------------------------------------------
# (a) redis-benchmark: XADD of a PAYLOAD-byte value, pipelined and not

VALUE=$(head -c "$PAYLOAD" </dev/zero | tr '\0' 'x')
redis_bench() {  # redis_bench NAME REQUESTS PIPELINE
  local cmd=(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$CONNS" -n "$2" -P "$3" --csv
    XADD bench:rb MAXLEN '~' 1000000 '*' e "<$PAYLOAD-byte value>")
  COMMANDS+=("${cmd[*]}")
  say "$1"
  flush
  local csv
  csv=$("${RUN[@]}" "${cmd[@]:0:${#cmd[@]}-1}" "$VALUE" | tail -n1 | tr -d '"')
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95","p99","max"
  IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$csv"
  row "$1" "$(printf '%.0f' "$rps")" "$p50" "$p99" "$CONNS conns, -P $3, $PAYLOAD B value, $2 requests"
}
redis_bench "redis-benchmark XADD, pipelined" 500000 16
redis_bench "redis-benchmark XADD, unpipelined" 300000 1

# ---------------------------------------------------------------------------------------------
# (b) servers that only answer 200

if ((HAVE_BARE_HTTP)); then
  port=$(free_port)
  start bare_http "$BUILD/bench/bare_http_server" --port "$port" --threads "$SERVER_THREADS"
  pid=$LAST_PID
  wait_ready "$port" "" "$pid" bare_http
  run_loadgen "bare_http_server (Beast, 200)" "http://127.0.0.1:$port/" --plain
  stop "$pid"
else
  row "bare_http_server (Beast, 200)" "-" "-" "-" "skipped: bench/bare_http_server not built"
fi

if command -v nginx >/dev/null; then
  port=$(free_port)
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes $SERVER_THREADS;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  server { listen 127.0.0.1:$port; location / { return 200; } }
}
EOF
  start nginx nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
  pid=$LAST_PID
  wait_ready "$port" "" "$pid" nginx
  run_loadgen "nginx \`return 200\` ($SERVER_THREADS workers)" "http://127.0.0.1:$port/" --plain
  NGINX_RPS=$(field "$RESULT" rps)
  stop "$pid"
else
  row "nginx \`return 200\`" "-" "-" "-" "skipped: nginx not installed"
fi

# ---------------------------------------------------------------------------------------------
# (c) the ceiling: HttpServer + RedisClient + one pipelined XADD per request

start_bare_xadd() {  # start_bare_xadd THREADS: leaves the port in $port and the pid in $pid
  flush
  port=$(free_port)
  start bare_xadd "$BUILD/bench/bare_xadd_server" --port "$port" --threads "$1" \
    --redis-url "$REDIS_URL" --connections "$(redis_conns "$1")"
  pid=$LAST_PID
  wait_ready "$port" "" "$pid" bare_xadd
}
# Per thread count: req/s and CPU per request (server + redis-server, µs); then the best.
declare -A BARE_RPS BARE_US OMNI_RPS_AT OMNI_US_AT OMNI_BATCH_AT
BARE_XADD_RPS=0 BARE_BEST_THREADS=""
for threads in "${THREAD_COUNTS[@]}"; do
  start_bare_xadd "$threads"
  run_loadgen "bare_xadd_server (HttpServer + XADD), $threads thread(s)" \
    "http://127.0.0.1:$port/webhooks/twilio/bench" --token "$TOKEN"
  BARE_RPS[$threads]=$(field "$RESULT" rps)
  BARE_US[$threads]=$(awk -v a="$CPU_SERVER_US" -v b="$CPU_REDIS_US" 'BEGIN { print a + b }')
  if greater "${BARE_RPS[$threads]}" "$BARE_XADD_RPS"; then
    BARE_XADD_RPS=${BARE_RPS[$threads]} BARE_BEST_THREADS=$threads
  fi
  stop "$pid"
done
BARE_XADD_US=${BARE_US[$BARE_BEST_THREADS]}

# For reference: the comparator as issue 2 words it, a minimal Beast server (Beast's example
# model: one io_context, strands, Beast's serializer) doing one pipelined XADD per request.
BEAST_XADD_RPS=0 BEAST_BEST_THREADS=""
if ((HAVE_BARE_HTTP)); then
  for threads in "${THREAD_COUNTS[@]}"; do
    flush
    port=$(free_port)
    start bare_http "$BUILD/bench/bare_http_server" --port "$port" --threads "$threads" \
      --redis-url "$REDIS_URL"
    pid=$LAST_PID
    wait_ready "$port" "" "$pid" bare_http
    run_loadgen "bare_http_server --redis-url (textbook Beast + XADD), $threads thread(s)" \
      "http://127.0.0.1:$port/webhooks/twilio/bench" --token "$TOKEN"
    if greater "$(field "$RESULT" rps)" "$BEAST_XADD_RPS"; then
      BEAST_XADD_RPS=$(field "$RESULT" rps) BEAST_BEST_THREADS=$threads
    fi
    stop "$pid"
  done
fi

# ---------------------------------------------------------------------------------------------
# (d, e) omniroute: closed loop for its maximum, then open loop at half of it

OMNI_RPS="" OMNI_BEST_THREADS="" EVENT_BYTES="" BATCH=""
start_omniroute() {  # start_omniroute THREADS: leaves the port in $port, the pid in $pid, $url
  flush
  port=$(free_port)
  write_omniroute_config "$WORK/omniroute.yaml" "$port" "$REDIS_URL" "$1" "$(redis_conns "$1")"
  BENCH_TWILIO_AUTH_TOKEN=$TOKEN start omniroute "$BUILD/daemon/omniroute" run -c "$WORK/omniroute.yaml"
  pid=$LAST_PID
  wait_ready "$port" /readyz "$pid" omniroute
  url="http://127.0.0.1:$port/webhooks/twilio/bench"
}
if ((HAVE_OMNIROUTE)); then
  OMNI_RPS=0
  for threads in "${THREAD_COUNTS[@]}"; do
    start_omniroute "$threads"
    run_loadgen "omniroute, signed Twilio webhooks, $threads thread(s)" "$url" --token "$TOKEN"
    OMNI_RPS_AT[$threads]=$(field "$RESULT" rps)
    OMNI_US_AT[$threads]=$(awk -v a="$CPU_SERVER_US" -v b="$CPU_REDIS_US" 'BEGIN { print a + b }')
    OMNI_BATCH_AT[$threads]=$(webhooks_per_script_call "$port")
    if greater "${OMNI_RPS_AT[$threads]}" "$OMNI_RPS"; then
      OMNI_RPS=${OMNI_RPS_AT[$threads]} OMNI_BEST_THREADS=$threads
    fi
    stop "$pid"
  done
  OMNI_US=${OMNI_US_AT[$OMNI_BEST_THREADS]}
  BATCH=${OMNI_BATCH_AT[$OMNI_BEST_THREADS]}
  # The latency target: open loop at half the maximum, with omniroute's best thread count.
  start_omniroute "$OMNI_BEST_THREADS"
  half=$(awk -v r="$OMNI_RPS" 'BEGIN { printf "%d", r / 2 }')
  run_loadgen "omniroute at half its max (open loop), $OMNI_BEST_THREADS thread(s)" "$url" \
    --token "$TOKEN" --rate "$half"
  HALF_P99=$(field "$RESULT" p99_ms)
  # The size of what omniroute actually stores per event, to compare with PAYLOAD.
  EVENT_BYTES=$(redis-cli -p "$REDIS_PORT" --raw eval \
    "local last = redis.call('xrevrange', KEYS[1], '+', '-', 'count', 1)[1]
     if not last then return -1 end
     local f = last[2]
     for i = 1, #f, 2 do if f[i] == 'e' then return string.len(f[i + 1]) end end
     return -1" 1 'omni:{bench}:inbound')
  stop "$pid"
  # The same open-loop rate against the ceiling: how much of that p99 the machine alone causes.
  start_bare_xadd "$BARE_BEST_THREADS"
  run_loadgen "bare_xadd_server at the same rate (open loop), $BARE_BEST_THREADS thread(s)" \
    "http://127.0.0.1:$port/webhooks/twilio/bench" --token "$TOKEN" --rate "$half"
  BARE_HALF_P99=$(field "$RESULT" p99_ms)
  stop "$pid"
else
  row "omniroute, signed Twilio webhooks" "-" "-" "-" "skipped: build/daemon/omniroute not built"
fi

# ---------------------------------------------------------------------------------------------
# Report

report() {
  echo "## Ingest benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' (dirty tree)'),"
  echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), $(uname -r)," \
    "redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'); load average before the" \
    "run: $LOADAVG, after: $(cut -d' ' -f1-3 /proc/loadavg). Nothing pinned: client, server and redis-server share all cores${BENCH_NICE:+; all at nice $BENCH_NICE}."
  echo
  echo "| target | req/s | p50 ms | p99 ms | notes |"
  echo "| --- | ---: | ---: | ---: | --- |"
  printf '%s\n' "${ROWS[@]}"
  echo
  if [[ -n $OMNI_RPS ]]; then
    awk -v o="$OMNI_RPS" -v b="$BARE_XADD_RPS" -v ot="$OMNI_BEST_THREADS" -v bt="$BARE_BEST_THREADS" \
      'BEGIN { printf "omniroute / bare_xadd_server, each at its best thread count (%s / %s) = %.0f / %.0f = **%.0f %%** (target >= 70 %%)\n", ot, bt, o, b, 100 * o / b }'
    echo
    for threads in "${THREAD_COUNTS[@]}"; do
      awk -v o="${OMNI_RPS_AT[$threads]}" -v b="${BARE_RPS[$threads]}" -v t="$threads" \
        -v n="${OMNI_BATCH_AT[$threads]:-?}" \
        'BEGIN { printf "- both at %s thread(s): %.0f / %.0f = %.0f %% (%s webhooks per script call)\n", t, o, b, 100 * o / b, n }'
    done
    echo
    if [[ -n $BEAST_BEST_THREADS ]]; then
      awk -v o="$OMNI_RPS" -v b="$BEAST_XADD_RPS" -v t="$BEAST_BEST_THREADS" -v c="$BARE_XADD_RPS" \
        -v n="$NGINX_RPS" 'BEGIN {
          printf "For reference, against a textbook Beast server doing the same XADD (the issue'"'"'s wording; best at %s thread(s)): %.0f / %.0f = %.0f %%.", t, o, b, 100 * o / b
          if (n > 0) printf " Relative to nginx: textbook %.2f, bare_xadd_server %.2f; the issue'"'"'s figures put its comparator at 0.52-0.62 (30-36 k against 58 k).", b / n, c / n
          printf "\n" }'
      echo
    fi
    awk -v o="$OMNI_US" -v b="$BARE_XADD_US" 'BEGIN { printf "CPU per request (server + redis-server) at the best thread counts: omniroute %.1f µs, bare_xadd_server %.1f µs; if both were CPU-bound on the same cores, omniroute would reach %.0f %% of bare_xadd_server (steadier than the throughput ratio on a busy machine)\n", o, b, 100 * b / o }'
    echo
    echo "p99 at half of omniroute's max: **$HALF_P99 ms** (target < 2 ms);" \
      "bare_xadd_server at the same rate: $BARE_HALF_P99 ms"
    echo
    [[ -n $EVENT_BYTES ]] && echo "one stored event (stream field \"e\") is $EVENT_BYTES bytes; redis-benchmark used $PAYLOAD." && echo
    [[ -n $BATCH ]] && echo "group commit: $BATCH webhooks per dedup+XADD script call at omniroute's max." && echo
  fi
  echo "Each loadgen row: $WARMUP s warm-up, then $DURATION s measured; 1 client thread; servers at" \
    "${THREAD_COUNTS[*]} thread(s) with one Redis connection per thread${BENCH_REDIS_CONNECTIONS:+ (here $BENCH_REDIS_CONNECTIONS)}; HTTP-only ceilings at $SERVER_THREADS. Commands:"
  echo
  echo '```'
  echo "bench/run_ingest_bench.sh"
  printf '%s\n' "${COMMANDS[@]}" | sed "s|$BUILD/||; s|$ROOT/||"
  echo '```'
}
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/ingest-$(date -u +%Y%m%dT%H%M%SZ).md
report | tee "$OUT"
say "report written to $OUT"
