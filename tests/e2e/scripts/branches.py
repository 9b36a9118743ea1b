"""One hot function, compute(), called from three branches in a chosen proportion of CPU time,
so that two runs can move the hot spot from one branch to another (the diff test). The time in
each branch is measured with time.thread_time(), the truth the profile is compared with.
Usage: branches.py SECONDS WEIGHT_A WEIGHT_B WEIGHT_C (a weight of 0: that branch never runs)"""
import json
import random
import sys
import threading
import time


def compute(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)  # HOT
    return total


def branch_a(n):
    return compute(n)


def branch_b(n):
    return compute(n)


def branch_c(n):
    return compute(n)


def main():
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()
    seconds = float(sys.argv[1])
    weights = [float(w) for w in sys.argv[2:5]]
    branches = [("branch_a", branch_a), ("branch_b", branch_b), ("branch_c", branch_c)]
    spent = {name: 0.0 for name, _ in branches}
    # Call lengths vary at random, so that the rhythm does not beat against the sampling period.
    rng = random.Random(1)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for (name, branch), weight in zip(branches, weights):
            if weight == 0:
                continue
            start = time.thread_time()
            branch(int(rng.randint(5000, 15000) * weight))
            spent[name] += time.thread_time() - start
    print("result", json.dumps(spent), flush=True)


main()
