#!/usr/bin/env python3
"""Starts a server command and prints the seconds until GET URL first answers 200.

usage: startup.py URL -- COMMAND [ARGS...]
prints: startup_s=S pid=PID   (the server keeps running; the caller stops it)
"""
import subprocess
import sys
import time
import urllib.request


def main() -> None:
    url = sys.argv[1]
    cmd = sys.argv[sys.argv.index("--") + 1 :]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.perf_counter() - t0 > 60:
            sys.exit("server not ready after 60 s")
        time.sleep(0.005)
    print(f"startup_s={time.perf_counter() - t0:.3f} pid={proc.pid}")


if __name__ == "__main__":
    main()
