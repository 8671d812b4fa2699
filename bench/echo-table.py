#!/usr/bin/env python3
"""Markdown tables from run-echo.sh's JSON lines: medians, min-max, per-round ratios against same-run baselines.
Usage: echo-table.py RESULTS.jsonl CPUS KERNEL ROUNDS SECONDS "IMPL IMPL ..." (run-echo.sh passes these)."""
import json, statistics, sys
path, cpus, kernel, rounds, seconds, order = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split()
# `rebound bench --json` and bench/c/loadgen write camelCase (docs/output.md); results recorded before that are snake_case.
CAMEL = {"repliesPerSecond": "replies_per_second", "serverCpuMicrosecondsPerReply": "server_cpu_us_per_reply"}
rows = [{CAMEL.get(k, k): v for k, v in json.loads(l).items()} for l in open(path) if l.strip()]
main = [r for r in rows if r["generator"] == "rebound" and not r.get("crosscheck")]
cost = {}  # impl -> round -> µs
for r in main:
    us = r.get("server_cpu_us_per_reply")
    if us:
        cost.setdefault(r["impl"], {})[r["round"]] = us

def med(xs): return statistics.median(xs) if xs else float("nan")
def ratio(impl, base):
    per_round = [cost[impl][k] / cost[base][k] for k in cost.get(impl, {}) if k in cost.get(base, {})]
    return f"{med(per_round):.2f}×" if per_round else "–"

correct = {"c-recvfrom": "no", "naive-sync": "no", "naive-async": "no"}
print(f"Machine: {cpus} CPUs, Linux {kernel}. Server pinned to one CPU, load generator (`rebound bench`, 4 sockets × 64 in flight, "
      f"64-byte datagrams) on the other; {rounds} interleaved rounds of {seconds} s; medians.\n")
print("| implementation | server CPU µs/reply (median) | min–max | vs C recvmsg+pktinfo | vs .NET naive sync | replies/s (median) | loss | correct source? |")
print("|---|---|---|---|---|---|---|---|")
for impl in order:
    runs = [r for r in main if r["impl"] == impl]
    if not runs: continue
    us = list(cost.get(impl, {}).values())
    rate = med([r["replies_per_second"] for r in runs])
    lost = sum(r["lost"] for r in runs); sent = sum(r["sent"] for r in runs)
    print(f"| {impl} | {med(us):.2f} | {min(us):.2f}–{max(us):.2f} | {ratio(impl, 'c-recvmsg')} | {ratio(impl, 'naive-sync')} | "
          f"{rate:,.0f} | {100 * lost / max(sent, 1):.3f} % | {correct.get(impl, 'yes')} |")

cc = [r for r in rows if r["impl"] == "c-recvmsg" and (r["generator"] == "c-loadgen" or r.get("crosscheck"))]
if cc:
    print("\nCross-check, C recvmsg+pktinfo server (medians of alternating runs):\n")
    print("| load generator | replies/s | server CPU µs/reply |")
    print("|---|---|---|")
    for gen, label in (("c-loadgen", "bench/c/loadgen (C, 4 × 64, recvmmsg/sendmmsg)"), ("rebound", "rebound bench (4 × 64)")):
        rs = [r for r in cc if r["generator"] == gen]
        print(f"| {label} | {med([r['replies_per_second'] for r in rs]):,.0f} | {med([r['server_cpu_us_per_reply'] for r in rs if r.get('server_cpu_us_per_reply')]):.2f} |")
sc = [r for r in rows if r["generator"] == "scaling"]
if sc:
    print("\nScaling, batched ReboundServer (`rebound echo --batch 32`), load on cpu1 in both (medians of alternating runs):\n")
    print("| server | CPUs allowed | replies/s | server CPU µs/reply |")
    print("|---|---|---|---|")
    rates = {}
    for impl, cpus in (("rebound-batched", "cpu0"), ("rebound-server-2", "cpu0 + cpu1 (shared with the load)")):
        rs = [r for r in sc if r["impl"] == impl]
        rates[impl] = med([r["replies_per_second"] for r in rs])
        print(f"| {impl} ({'1 socket' if impl == 'rebound-batched' else '2 SO_REUSEPORT sockets'}) | {cpus} | {rates[impl]:,.0f} | "
              f"{med([r['server_cpu_us_per_reply'] for r in rs if r.get('server_cpu_us_per_reply')]):.2f} |")
    print(f"\n2 sockets ÷ 1 socket throughput: {rates['rebound-server-2'] / rates['rebound-batched']:.2f}×")
print(f"\nRaw results: {path}")
