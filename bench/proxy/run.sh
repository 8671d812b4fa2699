#!/usr/bin/env bash
# Proxy benchmark: CPU per proxied 64-byte request+reply of `rebound proxy` and of nginx's stream UDP proxy, measured in
# the same session on the same load, rounds interleaved. The proxy under test is pinned to cpu0; the C echo backend and
# the closed-loop load generator share cpu1. Then the memory of 10,000 idle flows in `rebound proxy`.
# Loopback only; bounded in time (ROUNDS x 2 x (WARMUP+SECONDS) s plus the memory step). Needs gcc, taskset, nginx +
# libnginx-mod-stream (apt-get install nginx-light libnginx-mod-stream, or nginx).
#   bench/proxy/run.sh [ROUNDS] [SECONDS]
# REBOUND_BIN=path runs that rebound (e.g. the NativeAOT binary from scripts/release.sh) instead of a Release build;
# METRICS_PORT=P adds --metrics-listen 127.0.0.1:P and scrapes it once a second (curl, on cpu1) during every run, after
# 40 warm-up scrapes. BASE_CLI=path measures another build as "base" in the same rounds (BASE_METRICS_PORT=P: scraped too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-3}
WARMUP=${WARMUP:-3}
SOCKETS=4
INFLIGHT=64
BACKEND_PORT=${BACKEND_PORT:-17188}
REBOUND_PORT=${REBOUND_PORT:-17189}
NGINX_PORT=${NGINX_PORT:-17190}
BASE_PORT=${BASE_PORT:-17192}
BASE_CLI=${BASE_CLI:-}   # optional: another build's Rebound.Cli, measured as "base" in the same rounds (before/after)
FLOW_PORT=${FLOW_PORT:-17191}
HZ=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/rebound-proxy-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -o "$work/echo" bench/proxy/echo.c
gcc -O2 -o "$work/load" bench/proxy/load.c
if [[ -n ${REBOUND_BIN:-} ]]; then
  rebound_bin=$REBOUND_BIN
else
  dotnet build src/Rebound.Cli/Rebound.Cli.csproj -c Release -o "$work/cli" --nologo -v quiet -clp:"ErrorsOnly;NoSummary" >&2
  rebound_bin=$work/cli/Rebound.Cli
fi
metrics_args=()
[[ -n ${METRICS_PORT:-} ]] && metrics_args=(--metrics-listen "127.0.0.1:$METRICS_PORT")
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
stream_module=$(ls /usr/lib/nginx/modules/ngx_stream_module.so 2>/dev/null || true)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 100); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }

taskset -c 1 "$work/echo" 127.0.0.1 "$BACKEND_PORT" & pids+=($!)
wait_port "$BACKEND_PORT"

taskset -c 0 "$rebound_bin" proxy --listen "[::]:$REBOUND_PORT" --to "127.0.0.1:$BACKEND_PORT" "${metrics_args[@]}" 2>"$work/rebound.log" & rebound_pid=$!
pids+=($rebound_pid)
wait_port "$REBOUND_PORT"
# A Prometheus stand-in: one scrape a second for the whole benchmark, checked to return the proxy's counters. A
# daemon has been scraped many times before anyone measures it: 40 scrapes first let the runtime compile the scrape
# path's code fully (tiered JIT recompiles a method after 30 calls), which a 1/s scrape would otherwise do during the
# first rounds' measurements.
scrape() { # port
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/metrics" | grep -q rebound_proxy_datagrams_total && break; sleep 0.1; done
  for _ in $(seq 40); do taskset -c 1 curl -sf "http://127.0.0.1:$1/metrics" >/dev/null; done
  (while sleep 1; do taskset -c 1 curl -sf "http://127.0.0.1:$1/metrics" >/dev/null || echo "scrape failed" >&2; done) & pids+=($!)
}
[[ -n ${METRICS_PORT:-} ]] && scrape "$METRICS_PORT"

base_pid=
if [[ -n "$BASE_CLI" ]]; then
  # BASE_METRICS_PORT=P: the base build is exported and scraped the same way (a build that has --metrics-listen).
  base_metrics=()
  [[ -n ${BASE_METRICS_PORT:-} ]] && base_metrics=(--metrics-listen "127.0.0.1:$BASE_METRICS_PORT")
  taskset -c 0 "$BASE_CLI" proxy --listen "[::]:$BASE_PORT" --to "127.0.0.1:$BACKEND_PORT" "${base_metrics[@]}" 2>"$work/base.log" & base_pid=$!
  pids+=($base_pid)
  wait_port "$BASE_PORT"
  [[ -n ${BASE_METRICS_PORT:-} ]] && scrape "$BASE_METRICS_PORT"
fi

nginx_pid=
if [[ -x "$nginx_bin" && -n "$stream_module" ]]; then
  mkdir -p "$work/nginx/logs"
  cat >"$work/nginx/nginx.conf" <<CONF
load_module $stream_module;
worker_processes 1;
master_process off;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 8192; }
stream {
  server {
    listen 127.0.0.1:$NGINX_PORT udp;
    proxy_pass 127.0.0.1:$BACKEND_PORT;
    proxy_responses 1;
    proxy_timeout 5s;
  }
}
CONF
  taskset -c 0 "$nginx_bin" -e "$work/nginx/logs/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" & nginx_pid=$!
  pids+=($nginx_pid)
  wait_port "$NGINX_PORT"
else
  echo "nginx or its stream module is missing: nginx rows skipped" >&2
fi

# One run: warm up, then measure the proxy's user+system CPU over SECONDS_PER_RUN and divide by replies received.
measure() { # name pid port
  taskset -c 1 "$work/load" exchange 127.0.0.1 "$3" "$WARMUP" "$SOCKETS" "$INFLIGHT" >/dev/null
  local before after replies
  before=$(cpu_ticks "$2")
  replies=$(taskset -c 1 "$work/load" exchange 127.0.0.1 "$3" "$SECONDS_PER_RUN" "$SOCKETS" "$INFLIGHT")
  after=$(cpu_ticks "$2")
  awk -v n="$1" -v t=$((after - before)) -v hz="$HZ" -v r="$replies" -v s="$SECONDS_PER_RUN" \
    'BEGIN { printf "%-8s replies/s %9.0f   CPU µs per exchange %6.2f\n", n, r / s, (r > 0 ? t / hz * 1e6 / r : 0) }'
}

echo "machine: nproc $(nproc), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load: $SOCKETS connected sockets x $INFLIGHT in flight, 64-byte payloads, $SECONDS_PER_RUN s per run after ${WARMUP} s warm-up"
results="$work/results.txt"
for round in $(seq "$ROUNDS"); do
  measure rebound "$rebound_pid" "$REBOUND_PORT" | tee -a "$results"
  [[ -n "$base_pid" ]] && measure base "$base_pid" "$BASE_PORT" | tee -a "$results"
  [[ -n "$nginx_pid" ]] && measure nginx "$nginx_pid" "$NGINX_PORT" | tee -a "$results"
done
median() { grep "^$1 " "$results" | awk '{print $NF}' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
rebound_median=$(median rebound)
echo "median rebound ${rebound_median} µs per exchange"
if [[ -n "$base_pid" ]]; then
  base_median=$(median base)
  echo "median base    ${base_median} µs per exchange"
  awk -v r="$rebound_median" -v b="$base_median" 'BEGIN { printf "ratio rebound/base %.2f\n", r / b }'
fi
if [[ -n "$nginx_pid" ]]; then
  nginx_median=$(median nginx)
  echo "median nginx   ${nginx_median} µs per exchange"
  awk -v r="$rebound_median" -v n="$nginx_median" 'BEGIN { printf "ratio rebound/nginx %.2f (target <= 0.60: %s)\n", r / n, (r / n <= 0.6 ? "met" : "MISSED") }'
fi

# Memory of 10,000 idle flows: a fresh proxy (idle timeout long enough to hold them), RSS before and after.
taskset -c 0 "$rebound_bin" proxy --listen "[::]:$FLOW_PORT" --to "127.0.0.1:$BACKEND_PORT" --idle-timeout 120 --max-flows-per-client 20000 2>"$work/flows.log" & flow_pid=$!
pids+=($flow_pid)
wait_port "$FLOW_PORT"
taskset -c 1 "$work/load" exchange 127.0.0.1 "$FLOW_PORT" 1 4 64 >/dev/null   # warm the code paths (4 flows)
sleep 0.5
rss_before=$(rss_kb "$flow_pid"); fds_before=$(ls "/proc/$flow_pid/fd" | wc -l)
taskset -c 1 "$work/load" flows 127.0.0.1 "$FLOW_PORT" 10000 8 >"$work/flows.out" & holder=$!
pids+=($holder)
for _ in $(seq 100); do [[ -s "$work/flows.out" ]] && break; sleep 0.1; done
sleep 0.5
rss_after=$(rss_kb "$flow_pid"); fds_after=$(ls "/proc/$flow_pid/fd" | wc -l)
wait "$holder" || true
echo "10,000 idle flows: answered $(cat "$work/flows.out"), proxy fds +$((fds_after - fds_before)), RSS +$(( (rss_after - rss_before) / 1024 )) MiB ($(( (rss_after - rss_before) * 1024 / 10000 )) bytes per flow, user space; kernel socket memory comes on top)"
