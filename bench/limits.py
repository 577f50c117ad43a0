#!/usr/bin/env python3
"""Measures this machine's limits for the load benchmark, printing `name value` lines:
fsync_p50_us (4 KiB write + fsync of a new file, as a durable small PUT does), md5_mbps (one
core), loopback_mbps (one TCP stream over 127.0.0.1).

usage: limits.py DIR
"""
import hashlib
import os
import socket
import statistics
import sys
import threading
import time


def fsync_p50_us(d: str, n: int = 500) -> float:
    data = os.urandom(4096)
    times = []
    for i in range(n):
        path = os.path.join(d, f"fsync-{i}")
        t = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        times.append(time.perf_counter() - t)
        os.unlink(path)
    return statistics.median(times) * 1e6


def md5_mbps(total: int = 1 << 30) -> float:
    buf = os.urandom(1 << 20)
    h = hashlib.md5()
    t = time.perf_counter()
    for _ in range(total >> 20):
        h.update(buf)
    return total / (time.perf_counter() - t) / 1e6


def loopback_mbps(total: int = 4 << 30) -> float:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def sink() -> None:
        conn, _ = srv.accept()
        buf = bytearray(1 << 20)
        while conn.recv_into(buf):
            pass
        conn.close()

    th = threading.Thread(target=sink)
    th.start()
    c = socket.create_connection(("127.0.0.1", port))
    buf = b"\0" * (1 << 20)
    t = time.perf_counter()
    sent = 0
    while sent < total:
        c.sendall(buf)
        sent += len(buf)
    c.close()
    th.join()
    return total / (time.perf_counter() - t) / 1e6


def main() -> None:
    d = sys.argv[1]
    print(f"fsync_p50_us {fsync_p50_us(d):.0f}")
    print(f"md5_mbps {md5_mbps():.0f}")
    print(f"loopback_mbps {loopback_mbps():.0f}")


if __name__ == "__main__":
    main()
