"""recurse() calls itself DEPTH times, then spin() burns CPU at the bottom of the stack.
Usage: recursion.py DEPTH SECONDS"""
import json
import sys
import threading
import time


def spin(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i  # SPIN
    return total


def recurse(depth, seconds):
    if depth == 0:
        return spin(seconds)
    return recurse(depth - 1, seconds)


def main():
    depth, seconds = int(sys.argv[1]), float(sys.argv[2])
    sys.setrecursionlimit(depth + 100)
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.readline()
    recurse(depth, seconds)
    print("result", json.dumps({"depth": depth}), flush=True)


main()
