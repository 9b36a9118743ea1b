"""Waits for "go", then starts children two ways: subprocess (fork + exec of burn.py) and a
multiprocessing pool with the fork start method. Prints their PIDs as the result.
Usage: spawner.py SECONDS"""
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time


def pool_work(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += 1
    return os.getpid()


def main():
    seconds = float(sys.argv[1])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    burn = os.path.join(os.path.dirname(os.path.abspath(__file__)), "burn.py")
    child = subprocess.Popen([sys.executable, burn, str(seconds)])
    with multiprocessing.get_context("fork").Pool(2) as pool:
        workers = pool.map(pool_work, [seconds, seconds])
    child.wait()
    print("result", json.dumps({"subprocess": child.pid, "pool": sorted(set(workers))}), flush=True)


main()
