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
