#!/usr/bin/env bash
# Shield benchmark: server CPU per echoed 64-byte datagram of the same naive C server (bench/c/echo_server recvfrom:
# recvfrom/sendto on 0.0.0.0) run three ways, rounds INTERLEAVED (naive, shielded, proxied, naive, …):
#   naive     in a plain cgroup this script makes;
#   shielded  in a second cgroup this script makes, with `rebound shield attach --cgroup` on it (every datagram is
#             recorded by the ingress program and every reply gets its source from the sendmsg program);
#   proxied   behind `rebound proxy --listen 0.0.0.0:P --to 127.0.0.1:Q`: the proxy's CPU plus the backend's.
# Servers (and proxy) on cpu0, the closed-loop C load generator (4 connected sockets × 64 in flight) on cpu1.
# CPU is utime+stime from /proc/PID/stat over the measured window, divided by the replies the load generator got.
# Loopback only; the cgroups are created under the cgroup v2 mount and removed on exit, the shield detached.
#   bench/shield/run.sh [ROUNDS=5] [SECONDS=3]
# REBOUND_BIN=path/to/Rebound.Cli (default: ./rebound, built from the checkout). Needs root, gcc, taskset, ss, python3.
# Bounded: ROUNDS × 3 × (WARMUP + SECONDS + ~1) seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-5}
seconds=${2:-3}
warmup=${WARMUP:-1}
server_cpu=${SERVER_CPU:-0}
load_cpu=${LOAD_CPU:-1}
port=${PORT:-47290}
hz=$(getconf CLK_TCK)
[[ $(id -u) == 0 ]] || { echo "run.sh: the shield needs root" >&2; exit 4; }
mount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
[[ -n $mount ]] || { echo "run.sh: no cgroup v2 mount" >&2; exit 2; }

work=$(mktemp -d /tmp/rebound-shield-bench.XXXXXX)
plain=$mount/rebound-bench-$$-plain
shielded=$mount/rebound-bench-$$-shielded
pids=()
rebound=${REBOUND_BIN:-}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n $rebound && -d $shielded ]] && "$rebound" shield detach --cgroup "$shielded" >/dev/null 2>&1 || true
  # The proxy drains for up to a second after SIGTERM and is not always this shell's child: wait for each cgroup to
  # empty before removing it (rmdir of a cgroup with processes fails with EBUSY and would leave it behind).
  for cg in "$plain" "$shielded"; do
    [[ -d $cg ]] || continue
    for _ in $(seq 50); do [[ -n $(cat "$cg/cgroup.procs" 2>/dev/null) ]] || break; sleep 0.1; done
    rmdir "$cg" 2>/dev/null || echo "bench/shield: could not remove $cg (still has processes)" >&2
  done
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -Wall -o "$work/echo_server" bench/c/echo_server.c
gcc -O2 -Wall -o "$work/loadgen" bench/c/loadgen.c
if [[ -z $rebound ]]; then
  ./rebound --version >/dev/null
  rebound=artifacts/cli/Rebound.Cli
fi
mkdir "$plain" "$shielded"
"$rebound" shield attach --cgroup "$shielded" >&2

wait_port() { for _ in $(seq 100); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 3; }
start_in() { # cgroup cpu command… ; prints the pid (the shell enters the cgroup, then execs the command)
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$1" taskset -c "$2" "${@:3}" >/dev/null 2>&1 &
  echo $!
}
ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

naive_port=$port; shielded_port=$((port + 1)); proxy_port=$((port + 2)); backend_port=$((port + 3))
naive_pid=$(start_in "$plain" "$server_cpu" "$work/echo_server" recvfrom "$naive_port"); pids+=("$naive_pid")
shielded_pid=$(start_in "$shielded" "$server_cpu" "$work/echo_server" recvfrom "$shielded_port"); pids+=("$shielded_pid")
backend_pid=$(start_in "$plain" "$server_cpu" "$work/echo_server" recvfrom "$backend_port"); pids+=("$backend_pid")
proxy_pid=$(start_in "$plain" "$server_cpu" "$rebound" proxy --listen "0.0.0.0:$proxy_port" --to "127.0.0.1:$backend_port"); pids+=("$proxy_pid")
for p in "$naive_port" "$shielded_port" "$backend_port" "$proxy_port"; do wait_port "$p"; done

results=$work/results.txt
measure() { # name port pids…
  taskset -c "$load_cpu" "$work/loadgen" 127.0.0.1 "$2" "$warmup" >/dev/null
  local before after line
  before=$(ticks "${@:3}")
  line=$(taskset -c "$load_cpu" "$work/loadgen" 127.0.0.1 "$2" "$seconds")
  after=$(ticks "${@:3}")
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); t=int(sys.argv[3]); hz=int(sys.argv[4]); r=d["replies"]
print("%-9s replies/s %9.0f  lost %5d  CPU µs per datagram %6.2f" % (sys.argv[2], r / d["seconds"], d["lost"], t / hz * 1e6 / r if r else 0))' \
    "$line" "$1" $((after - before)) "$hz" | tee -a "$results"
}

echo "machine: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); servers on cpu$server_cpu, load on cpu$load_cpu; $rounds rounds × ${seconds}s (+${warmup}s warm-up)"
for ((r = 1; r <= rounds; r++)); do
  measure naive "$naive_port" "$naive_pid"
  measure shielded "$shielded_port" "$shielded_pid"
  measure proxied "$proxy_port" "$proxy_pid" "$backend_pid"
done
"$rebound" shield status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); s=[x for x in d["shields"] if x["cgroup"] and x["cgroup"].endswith(sys.argv[1])][0]; print("shield counters:", json.dumps(s["counters"]))' "${shielded##*/}" || true

python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append(float(f[-1]))
m = {k: statistics.median(v) for k, v in rows.items()}
print("\n| server | CPU µs per datagram (median) | rounds | vs naive |\n|---|---|---|---|")
for k in ("naive", "shielded", "proxied"):
    print(f"| {k} | {m[k]:.2f} | {', '.join(f'{x:.2f}' for x in rows[k])} | {m[k] / m['naive']:.2f}× |")
extra_shield, extra_proxy = m['shielded'] - m['naive'], m['proxied'] - m['naive']
print(f"\nshielded / naive = {m['shielded'] / m['naive']:.3f} (target ≤ 1.05)")
print(f"per exchange, all CPU: proxied / shielded = {m['proxied'] / m['shielded']:.2f}×")
print(f"what the fix adds over the naive server: shield {extra_shield:+.2f} µs, proxy {extra_proxy:+.2f} µs"
      + (f" ({extra_proxy / extra_shield:.0f}×)" if extra_shield > 0 else " (the shield's cost is below the noise)"))
PY
