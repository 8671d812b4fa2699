#!/usr/bin/env bash
# Server CPU per DNS query under the same dnsperf load: DnsResponder's single-socket loop (--threads 0: ReboundSocket
# Receive/Reply) and batched server (--threads 1: ReboundServer, recvmmsg/sendmmsg), dnsmasq 2.90, and DnsResponder --naive.
# Everything runs inside a throwaway network namespace (loopback only); the server is pinned to cpu0, dnsperf to cpu1.
# CPU comes from /proc/PID/stat (utime+stime, all threads) before and after the measured run, divided by the queries
# dnsperf saw answered. Runs are interleaved (single, batched, dnsmasq, naive, single, …) so machine noise hits all alike.
#   usage: sudo samples/DnsResponder/bench.sh [ROUNDS] [SECONDS]      (defaults: 5 rounds of 5 s, after a 1 s warm-up)
#   SERVERS="single batched dnsmasq naive dnsmasq-bind" picks the servers; dnsmasq-bind is dnsmasq with --bind-interfaces
#   (a socket bound to 127.0.0.1 itself, no pktinfo needed). Ratios are against "dnsmasq" (wildcard + pktinfo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-5}
seconds=${2:-5}
port=5353
servers=${SERVERS:-single batched dnsmasq naive}
ns="rb$$-dnsbench"
work=$(mktemp -d)
server_pid=""

cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in dnsperf dnsmasq dig taskset ip; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool is not installed (apt-get install dnsperf dnsmasq-base bind9-dnsutils)" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench.sh: needs root (it creates a network namespace)" >&2; exit 2; }

# 50 names with an A and an AAAA record each; the query file asks for all of them, both types.
for i in $(seq 1 50); do
  echo "192.0.2.$i host$i.example.test"
  echo "2001:db8::$i host$i.example.test"
done > "$work/hosts"
for i in $(seq 1 50); do echo "host$i.example.test A"; echo "host$i.example.test AAAA"; done > "$work/queries"

dotnet build samples/DnsResponder -c Release -o "$work/bin" --nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
ip netns add "$ns"
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

start_server() {
  case "$1" in
    single) ip netns exec "$ns" taskset -c 0 "$work/bin/DnsResponder" --threads 0 --listen "[::]:$port" --zone example.test --hosts "$work/hosts" >/dev/null 2>&1 & ;;
    batched) ip netns exec "$ns" taskset -c 0 "$work/bin/DnsResponder" --threads 1 --listen "[::]:$port" --zone example.test --hosts "$work/hosts" >/dev/null 2>&1 & ;;
    naive) ip netns exec "$ns" taskset -c 0 "$work/bin/DnsResponder" --naive --threads 0 --listen "[::]:$port" --zone example.test --hosts "$work/hosts" >/dev/null 2>&1 & ;;
    dnsmasq) ip netns exec "$ns" taskset -c 0 dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$work/hosts" --local=/example.test/ \
               --port="$port" --listen-address=127.0.0.1 --user=root --pid-file="$work/dnsmasq.pid" --log-facility=- 2>/dev/null & ;;
    dnsmasq-bind) ip netns exec "$ns" taskset -c 0 dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$work/hosts" --local=/example.test/ \
               --port="$port" --listen-address=127.0.0.1 --bind-interfaces --user=root --pid-file="$work/dnsmasq.pid" --log-facility=- 2>/dev/null & ;;
  esac
  server_pid=$! # ip netns exec and taskset exec() the server, so this is its pid (not a shell function's subshell)
  for _ in $(seq 1 100); do
    in_ns dig @127.0.0.1 -p "$port" +tries=1 +time=1 +short host1.example.test 2>/dev/null | grep -q 192.0.2.1 && return 0
    sleep 0.1
  done
  echo "bench.sh: $1 did not start" >&2
  exit 3
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)

measure() {
  local name=$1
  start_server "$name"
  in_ns taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l 1 -c 4 -q 64 >/dev/null 2>&1 # warm-up (JIT tiers)
  local before after
  before=$(cpu_ticks "$server_pid")
  in_ns taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$seconds" -c 4 -q 64 > "$work/out" 2>&1
  after=$(cpu_ticks "$server_pid")
  stop_server
  local completed lost qps
  completed=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$work/out")
  lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$work/out")
  qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$work/out")
  awk -v n="$name" -v t=$((after - before)) -v hz="$ticks_per_second" -v c="$completed" -v l="$lost" -v q="$qps" \
    'BEGIN { printf "%-12s %8.2f us/query  %9.0f qps  %8d answered  %d lost\n", n, t * 1e6 / hz / c, q, c, l }' | tee -a "$work/results"
}

echo "machine: $(nproc) cpus, kernel $(uname -r), $(dnsmasq --version | head -1 | cut -d' ' -f1-3), dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p')"
echo "load: dnsperf -c 4 -q 64 -l $seconds, 100 names (A+AAAA), server on cpu0, dnsperf on cpu1; $rounds interleaved rounds"
for round in $(seq 1 "$rounds"); do
  for name in $servers; do measure "$name"; done
done

median() { grep "^$1 " "$work/results" | awk '{print $2}' | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
base=$(median dnsmasq)
echo "medians (server CPU per answered query):"
for name in $servers; do
  m=$(median "$name")
  awk -v n="$name" -v m="$m" -v b="$base" 'BEGIN { printf "  %-12s %6.2f us/query  %.2fx dnsmasq\n", n, m, m / b }'
done
