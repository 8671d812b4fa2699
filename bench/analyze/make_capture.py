#!/usr/bin/env python3
"""Writes a large synthetic pcap (Ethernet, microseconds) for measuring `rebound analyze` throughput and memory.

Traffic: clients 192.0.2.x with ever-changing source ports ask 198.51.100.13:53 and get the answer from the same
endpoint; every 1000th exchange is answered from 192.0.2.1 (the wrong-source bug) and rejected with ICMP port
unreachable. With "flood" as a third argument the capture is flow-heavy instead: every request comes from a new
client endpoint (address in 192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24, any port) and none is answered, the worst
case for the analyzer's flow table. Usage: make_capture.py OUT.pcap EXCHANGES [flood]
"""
import struct
import sys


def ipv4(src, dst, proto, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, bytes(src), bytes(dst))
    return header + payload


def udp(src, sport, dst, dport, size=32):
    return ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + size, 0) + b"q" * size)


def ethernet(packet):
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + packet


def main():
    out, exchanges = sys.argv[1], int(sys.argv[2])
    flood = len(sys.argv) > 3 and sys.argv[3] == "flood"
    nets = [[192, 0, 2], [198, 51, 100], [203, 0, 113]]
    server, bridge = [198, 51, 100, 13], [192, 0, 2, 1]
    t = 1_764_000_000 * 1_000_000  # microseconds
    with open(out, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

        def record(frame):
            nonlocal t
            t += 7
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
            f.write(frame)

        for i in range(exchanges):
            if flood:
                client, port = nets[i % 3] + [i // 3 % 256], 1024 + (i // 768) % 64000
                record(ethernet(udp(client, port, server, 53)))
                continue
            client, port = [192, 0, 2, 10 + i % 200], 1024 + (i * 7919) % 64000
            record(ethernet(udp(client, port, server, 53)))
            if i % 1000 == 999:
                reply = udp(bridge, 53, client, port)
                record(ethernet(reply))
                icmp = struct.pack("!BBHI", 3, 3, 0, 0) + reply
                record(ethernet(ipv4(client, bridge, 1, icmp)))
            else:
                record(ethernet(udp(server, 53, client, port)))


if __name__ == "__main__":
    main()
