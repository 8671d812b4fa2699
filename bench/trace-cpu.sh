#!/usr/bin/env bash
# Trace CPU under unrelated traffic (see docs/benchmarks.md): two namespaces joined by a veth, a bounded nc stream
# (TCP, then UDP) for 3 s, trace -i any in the receiving namespace; CPU from /proc/PID/stat, rate from v0 rx_packets.
# Usage (root): bash bench/trace-cpu.sh BEFORE.dll AFTER.dll
set -e
BEFORE=$1; AFTER=$2
A=rbdk$$a; B=rbdk$$b
ip netns add $A; ip netns add $B
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link add v0 type veth peer name v1 netns $B
ip -n $A addr add 198.51.100.1/24 dev v0; ip -n $B addr add 198.51.100.2/24 dev v1
ip -n $A link set v0 up; ip -n $B link set v1 up
run() { # $1 label $2 dll $3 kind
  ip netns exec $A timeout 6 nc -l 5001 > /dev/null &
  ip netns exec $A timeout 6 nc -ul 5002 > /dev/null &
  sleep 0.5
  taskset -c 0 dotnet $2 trace --netns $A --duration 5 --json > /dev/null 2>&1 & T=$!
  sleep 1.2
  s0=$(ip netns exec $A cat /sys/class/net/v0/statistics/rx_packets)
  c0=$(awk '{print $14+$15}' /proc/$T/stat)
  if [ "$3" = tcp ]; then ip netns exec $B timeout 3 sh -c 'head -c 20000000000 /dev/zero | taskset -c 1 nc -N 198.51.100.1 5001' || true
  else ip netns exec $B timeout 3 sh -c 'head -c 20000000000 /dev/zero | taskset -c 1 nc -u 198.51.100.1 5002' 2>/dev/null || true; fi
  s1=$(ip netns exec $A cat /sys/class/net/v0/statistics/rx_packets)
  c1=$(awk '{print $14+$15}' /proc/$T/stat)
  echo "$1 $3: $(( (s1-s0)/3 )) pkt/s into v0; trace CPU $(( (c1-c0)*10 )) ms over 3 s"
  wait $T || true; wait || true
}
for round in 1 2; do
run before "$BEFORE" tcp
run after "$AFTER" tcp
run before "$BEFORE" udp
run after "$AFTER" udp
done
ip netns del $A; ip netns del $B
