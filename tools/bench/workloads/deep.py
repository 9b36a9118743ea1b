"""Spins at the bottom of a Python stack of exactly DEPTH frames (<module>, DEPTH-2 calls of
down(), spin()); DEPTH >= 3. Protocol: prints "ready PID" once at the bottom, waits for a line on stdin,
spins for SECONDS, prints "result {json}" with the thread's CPU time while spinning.
Usage: deep.py DEPTH SECONDS"""
import json
import os
import sys
import time


def spin(seconds):
    print("ready", os.getpid(), flush=True)
    sys.stdin.readline()
    start_cpu, end = time.thread_time(), time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        for i in range(2000):
            x += i
    return time.thread_time() - start_cpu


def down(n, seconds):
    if n > 0:
        return down(n - 1, seconds)
    return spin(seconds)


depth, seconds = int(sys.argv[1]), float(sys.argv[2])
sys.setrecursionlimit(depth + 1000)
cpu = down(depth - 3, seconds)  # down(k) .. down(0) are k+1 frames
print("result", json.dumps({"thread_cpu": cpu, "depth": depth}), flush=True)
