"""Known split between three leaves, measured by the script itself: each leaf call is timed
with time.thread_time(), so a profile's attribution is compared with the thread's own truth
(the style of tests/e2e/scripts/shares.py). Intended split 50/30/20 by work; the measured
seconds are the truth. Protocol: "ready PID", a line on stdin, SECONDS of work, then
"result {json}" with the seconds spent in each leaf. Usage: shares.py SECONDS"""
import json
import os
import sys
import time


def leaf_a(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)
    return total


def leaf_b(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)
    return total


def leaf_c(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)
    return total


def run(seconds):
    spent = {"leaf_a": 0.0, "leaf_b": 0.0, "leaf_c": 0.0}
    work = (("leaf_a", leaf_a, 25000), ("leaf_b", leaf_b, 15000), ("leaf_c", leaf_c, 10000))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, function, n in work:
            start = time.thread_time()
            function(n)
            spent[name] += time.thread_time() - start
    return spent


def main():
    print("ready", os.getpid(), flush=True)
    sys.stdin.readline()
    spent = run(float(sys.argv[1]))
    print("result", json.dumps(spent), flush=True)


main()
