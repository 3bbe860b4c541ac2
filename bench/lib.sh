# Shared by the bench/*.sh scripts (sourced, not run).

# A loopback port nobody listens on (a connect to it is refused). Below the kernel's ephemeral
# range (32768+), where an outgoing connection can hold a port that nothing listens on: a "free"
# port there can still fail to bind.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# write_omniroute_config FILE PORT REDIS_URL THREADS REDIS_CONNECTIONS: the daemon's config for
# the benchmarks — one Twilio endpoint for tenant "bench" at /webhooks/twilio/bench, its auth
# token read from BENCH_TWILIO_AUTH_TOKEN, warnings only in the log.
write_omniroute_config() {
  cat >"$1" <<YAML
listen: 127.0.0.1:$2
threads: $4
redis:
  url: $3
  connections: $5
log:
  level: warn
adapters:
  - name: twilio-bench
    vendor: twilio
    tenant: bench
    path: /webhooks/twilio/bench
    settings:
      auth_token: {env: BENCH_TWILIO_AUTH_TOKEN}
YAML
}

# webhooks_per_script_call PORT: from omniroute's /metrics on PORT, how many webhooks shared one
# dedup+XADD script call (group commit; warm-up included), e.g. "6.7"; nothing if unknown.
webhooks_per_script_call() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 &&
    awk '/^omniroute_webhook_requests_total.*status="200"/ { r += $NF }
         /^omniroute_ingest_script_calls_total/ { c = $NF }
         END { if (c > 0) printf "%.1f", r / c }' <&3) 2>/dev/null || true
}

# greater A B: whether the number A is greater than B (req/s are decimals: awk, not [[ ]]).
greater() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
