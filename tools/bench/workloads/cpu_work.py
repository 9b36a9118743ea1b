"""A fixed amount of CPU-bound pure-Python work (recursion, loops, dict and string work, method
calls), timed by the process itself so that profiler start-up and shutdown are outside the
measurement. Protocol: prints "ready PID", waits for a line on stdin, does the work, prints
"result {json}" with its CPU time (time.process_time) and wall time (time.perf_counter).
Usage: cpu_work.py SCALE   (SCALE 1 is about 30 ms of CPU on CPython 3.11 here)"""
import json
import os
import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def loops(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)
    return total


def dicts(n):
    table = {}
    for i in range(n):
        key = "k%d" % (i % 997)
        table[key] = table.get(key, 0) + i
    return sum(table.values())


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y

    def moved(self, dx):
        return Point(self.x + dx, self.y - dx)


def objects(n):
    point = Point(0, 0)
    for i in range(n):
        point = point.moved(i & 3)
    return point.x


def nested(level, n):
    # a few more frames on the stack, as real programs have
    if level == 0:
        return loops(n) + dicts(n // 2) + objects(n // 2)
    return nested(level - 1, n)


def unit():
    return fib(20) + nested(8, 150000)


def main():
    scale = int(sys.argv[1])
    unit()  # warm up: specialise the bytecode before the timed part
    print("ready", os.getpid(), flush=True)
    sys.stdin.readline()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(scale):
        unit()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    print("result", json.dumps({"cpu": cpu1 - cpu0, "wall": wall1 - wall0}), flush=True)


main()
