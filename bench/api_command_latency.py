#!/usr/bin/env python3
"""Round-trip latency of an API command through the routing core.

Each request is PUT /agents/{agent}/presence: the API instance XADDs a command, the active
router applies it and commits effect + result in one fenced script, the instance's tail reads
the result and answers. One client, one keep-alive connection, sequential requests: the
latency an agent's click sees, not a throughput figure.

Usage (with `scripts/run.sh` running on the example config):
    bench/api_command_latency.py [--base http://127.0.0.1:8080] [--requests 1000]
"""
import argparse
import http.client
import json
import statistics
import time
import urllib.parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--agent", default="alice")
    parser.add_argument("--token", default="demo-alice-token")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.base)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80)
    path = f"/api/v1/tenants/{args.tenant}/agents/{args.agent}/presence"
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}

    def put(presence: str) -> float:
        body = {"presence": presence}
        if presence == "away":
            body["reason"] = "bench"
        started = time.perf_counter()
        conn.request("PUT", path, json.dumps(body), headers)
        reply = conn.getresponse()
        data = reply.read()
        took = time.perf_counter() - started
        if reply.status != 200:
            raise SystemExit(f"PUT {path} -> {reply.status}: {data.decode(errors='replace')}")
        return took

    for i in range(20):  # warm-up: connections, scripts loaded, caches
        put("away" if i % 2 else "offline")
    samples = sorted(put("away" if i % 2 else "offline") for i in range(args.requests))
    put("offline")  # leave the agent signed out, as a bench should find and leave it

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(p * len(samples)))] * 1000

    print(f"{len(samples)} sequential presence commands: "
          f"p50 {pct(0.50):.2f} ms, p90 {pct(0.90):.2f} ms, p99 {pct(0.99):.2f} ms, "
          f"max {samples[-1] * 1000:.2f} ms, mean {statistics.mean(samples) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
