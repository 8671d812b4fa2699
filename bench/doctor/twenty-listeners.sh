#!/usr/bin/env bash
# Times `rebound doctor` against 20 wildcard listeners in a throwaway network namespace with 4 documentation
# addresses: 8 naive echo sockets, 8 silent sockets (never answer: every probe waits the full timeout), and
# 4 `rebound echo` processes. Needs root and iproute2. Cleans up after itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ns="rbbench$$-doctor"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up
ip -n "$ns" addr add 192.0.2.10/24 dev eth0
ip -n "$ns" addr add 198.51.100.10/24 dev eth0
ip -n "$ns" addr add 2001:db8::10/64 dev eth0 nodad
ip -n "$ns" addr add 2001:db8:1::10/64 dev eth0 nodad

./rebound --version >/dev/null   # build once, outside the timing
ip netns exec "$ns" python3 - <<'PY' &
import socket, selectors
sel = selectors.DefaultSelector()
for i in range(16):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", 46000 + i))
    sel.register(s, selectors.EVENT_READ, i < 8)   # the first 8 echo naively, the rest stay silent
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(2048)
        if key.data:
            key.fileobj.sendto(data, peer)
PY
pids+=($!)
for i in 0 1 2 3; do
  ip netns exec "$ns" ./artifacts/cli/Rebound.Cli echo -l "[::]:4610$i" 2>/dev/null &
  pids+=($!)
done
sleep 2
echo "listeners: $(ip netns exec "$ns" ss -uln | tail -n +2 | wc -l) sockets; nproc $(nproc); kernel $(uname -r)"
for run in 1 2 3; do
  start=$(date +%s.%N)
  set +e
  ./artifacts/cli/Rebound.Cli doctor --netns "$ns" --json > /tmp/doctor-bench-$$.json
  code=$?
  set -e
  end=$(date +%s.%N)
  verdicts=$(grep -o '"verdict":"[a-z-]*"' /tmp/doctor-bench-$$.json | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  printf 'run %d: %.2f s wall, exit %d, verdicts:%s\n' "$run" "$(echo "$end - $start" | bc)" "$code" "$verdicts"
done
rm -f /tmp/doctor-bench-$$.json
