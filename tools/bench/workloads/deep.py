"""Spins at the bottom of a Python stack of exactly DEPTH frames (<module>, DEPTH-2 calls, spin());
DEPTH >= 3. SHAPE "distinct" (the default) makes every one of those calls a function of its own,
the worst case for a profiler that reads each code object once per stack; "recursive" calls one
function DEPTH-2 times. Protocol: prints "ready PID" once at the bottom, waits for a line on
stdin, spins for SECONDS, prints "result {json}" with the thread's CPU time while spinning.
Usage: deep.py DEPTH SECONDS [distinct|recursive]"""
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


def distinct_chain(length):
    """Functions level_<length-1> .. level_0, each calling the next; level_0 calls spin()."""
    namespace = {"spin": spin}
    source = ["def level_0(seconds):\n    return spin(seconds)\n"]
    for i in range(1, length):
        source.append("def level_%d(seconds):\n    return level_%d(seconds)\n" % (i, i - 1))
    exec(compile("".join(source), __file__, "exec"), namespace)
    return namespace["level_%d" % (length - 1)]


with open("/proc/self/comm", "w") as comm:  # so that the benchmark can select it (--comm)
    comm.write("deep.py")
depth, seconds = int(sys.argv[1]), float(sys.argv[2])
shape = sys.argv[3] if len(sys.argv) > 3 else "distinct"
sys.setrecursionlimit(depth + 1000)
if shape == "recursive":
    cpu = down(depth - 3, seconds)  # down(k) .. down(0) are k+1 frames
else:
    cpu = distinct_chain(depth - 2)(seconds)
print("result", json.dumps({"thread_cpu": cpu, "depth": depth, "shape": shape}), flush=True)
