#!/usr/bin/env bash
# Echo-server benchmark, one command: builds the C reference servers, the C load generator and the rebound CLI, then
# measures every implementation INTERLEAVED (A B C … A B C …) so drift and noise hit all alike, and prints a markdown
# table of medians: server CPU µs (user+sys from /proc/PID/stat) per echoed datagram, with ratios against the C
# recvmsg/sendmsg+IP_PKTINFO server and the .NET naive sync server measured in the same run.
#
# Usage: bench/run-echo.sh [ROUNDS=5] [SECONDS=2]
# Environment: SERVER_CPU=0 LOAD_CPU=1 PORT=47190 WARMUP=3 SIZE=64 AUX_ROUNDS=2 (cross-check and scaling)
#              IMPLS="c-recvfrom c-recvmsg …" to choose (names: c-MODE for bench/c/echo_server, else `rebound bench serve --impl`)
#              EXTRA_IMPLS="…" to append to the default list.  OUT=dir keeps the raw JSON lines (default: a temp dir).
#              SCALING=no skips the 1-vs-2-socket run (done when `rebound echo` has --sockets/--batch).
# Needs: gcc, dotnet, taskset, ss, python3. Bounded: ~(ROUNDS × implementations + 6 (+ 6)) × (SECONDS + WARMUP + 1) seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=${1:-5}
seconds=${2:-2}
server_cpu=${SERVER_CPU:-0}
load_cpu=${LOAD_CPU:-1}
port=${PORT:-47190}
# 3 s, not less: under full load a .NET server's tiered JIT is still compiling and swapping in its final code 1-3 s
# after start, and that work (on the JIT thread, charged to the server) was 10-20 % of a 0.8 s-warm-up window
# (docs/benchmarks/echo.md, "Issue 9, item 7: where the time goes"). The C servers have nothing to warm up.
warmup=${WARMUP:-3}
size=${SIZE:-64}
aux_rounds=${AUX_ROUNDS:-2}
impls=(${IMPLS:-c-recvfrom c-recvmsg c-recvmmsg naive-sync naive-async rebound-sync rebound-async} ${EXTRA_IMPLS:-})
scaling=${SCALING:-auto}   # auto: measure 1 vs 2 SO_REUSEPORT sockets when `rebound echo` has --sockets
out=${OUT:-$(mktemp -d /tmp/rebound-bench.XXXXXX)}
mkdir -p "$out" bench/c/build
results="$out/echo.jsonl"
: >"$results"

echo "building…" >&2
gcc -O2 -Wall -Wextra -o bench/c/build/echo_server bench/c/echo_server.c
gcc -O2 -Wall -Wextra -o bench/c/build/loadgen bench/c/loadgen.c
./rebound --version >/dev/null   # builds artifacts/cli when the sources changed
cli=artifacts/cli/Rebound.Cli
if "$cli" echo --help | grep -q -- --batch; then
  # The library's async loop as a library user's process runs it (no inline-completions switch), the batched server,
  # and `rebound echo` with no options (its default path, which should be the cheapest correct one).
  [[ -n ${IMPLS:-} ]] || impls+=(rebound-async-noinline rebound-batched rebound-echo-default)
else
  scaling=no
fi

server_pid=
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

start_server() { # impl [cpus]
  local cpus=${2:-$server_cpu} impl=$1 bin=$cli
  # base-NAME: NAME run by the CLI in $BASE_CLI (a build of the code before a change), for same-session before/after.
  if [[ $impl == base-* ]]; then impl=${impl#base-}; bin=${BASE_CLI:?base-* needs BASE_CLI=path/to/Rebound.Cli}; fi
  # NAME-noinline: the runtime's default socket engine (no inline completions), as a library user's process runs it.
  local inline=
  if [[ $impl == *-noinline ]]; then impl=${impl%-noinline}; inline=0; fi
  case $impl in
    c-*) taskset -c "$cpus" bench/c/build/echo_server "${impl#c-}" "$port" 2>/dev/null & ;;
    # The batched multi-core ReboundServer, through `rebound echo`: one socket, or two.
    rebound-batched) taskset -c "$cpus" env ${inline:+DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$inline} "$bin" echo -l "0.0.0.0:$port" --sockets 1 --batch 32 >/dev/null 2>&1 & ;;
    # The same ReboundServer on the per-address strategy (one socket per local address).
    portable-batched) taskset -c "$cpus" "$bin" echo -l "0.0.0.0:$port" --per-address --sockets 1 --batch 32 >/dev/null 2>&1 & ;;
    rebound-server-2) taskset -c "$cpus" "$bin" echo -l "0.0.0.0:$port" --sockets 2 --batch 32 >/dev/null 2>&1 & ;;
    # `rebound echo` with no options: whatever the CLI's default path is.
    rebound-echo-default) taskset -c "$cpus" env ${inline:+DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$inline} "$bin" echo -l "0.0.0.0:$port" >/dev/null 2>&1 & ;;
    *) taskset -c "$cpus" env ${inline:+DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$inline} "$bin" bench serve --impl "$impl" --listen "0.0.0.0:$port" 2>/dev/null & ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do
    ss -Hlun "sport = :$port" | grep -q . && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "run-echo.sh: $1 did not start listening on port $port" >&2
  exit 3
}

measure() { # impl round generator [server cpus]
  start_server "$1" "${4:-}"
  local line
  if [[ $3 == rebound ]]; then
    line=$("$cli" bench "127.0.0.1:$port" --cpu "$load_cpu" --server-pid "$server_pid" -d "$seconds" --warmup "$warmup" --size "$size" --json) || true
  else
    sleep "$warmup"
    line=$(taskset -c "$load_cpu" bench/c/build/loadgen 127.0.0.1 "$port" "$seconds" 4 64 "$size" "$server_pid") || true
  fi
  stop_server
  if [[ -z "$line" ]]; then
    echo "run-echo.sh: no result for $1 (round $2, $3)" >&2
    return
  fi
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(impl=sys.argv[2], round=int(sys.argv[3]), generator=sys.argv[4]); print(json.dumps(d))' \
    "$line" "$1" "$2" "$3" >>"$results"
}

echo "machine: $(nproc) CPUs, kernel $(uname -r); server on cpu$server_cpu, load on cpu$load_cpu; $rounds rounds × ${seconds}s (+${warmup}s warm-up)" >&2
for ((r = 1; r <= rounds; r++)); do
  for impl in "${impls[@]}"; do
    echo "round $r/$rounds: $impl" >&2
    measure "$impl" "$r" rebound
  done
done

# Cross-check: the same C server driven by the C load generator and by rebound bench, alternating.
for ((r = 1; r <= aux_rounds; r++)); do
  echo "cross-check $r/$aux_rounds" >&2
  measure c-recvmsg "$r" c-loadgen
  measure c-recvmsg "$r" rebound-crosscheck
done
sed -i 's/"generator": "rebound-crosscheck"/"generator": "rebound", "crosscheck": true/' "$results"

# Scaling: the batched server with 1 SO_REUSEPORT socket on cpu0 vs 2 sockets on cpu0+cpu1, load on cpu1 in both.
if [[ $scaling != no ]]; then
  for ((r = 1; r <= aux_rounds; r++)); do
    echo "scaling $r/$aux_rounds" >&2
    measure rebound-batched "$r" scaling "$server_cpu"
    measure rebound-server-2 "$r" scaling "$server_cpu,$load_cpu"
  done
fi

python3 bench/echo-table.py "$results" "$(nproc)" "$(uname -r)" "$rounds" "$seconds" "${impls[*]}"
