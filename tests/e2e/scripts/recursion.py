"""recurse() calls itself DEPTH times, then spin() burns CPU at the bottom of the stack. With
"distinct", DEPTH distinct functions level_<DEPTH-1>() down to level_0(), compiled from
generated source (file "<chain>", one line each), call each other down to spin() instead.
Usage: recursion.py DEPTH SECONDS [distinct]"""
import functools
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


def chain(depth):
    """level_<depth-1>, whose calls go down to level_0 and then spin."""
    source = ["def level_0(seconds): return spin(seconds)\n"]
    source += ["def level_%d(seconds): return level_%d(seconds)\n" % (i, i - 1)
               for i in range(1, depth)]
    namespace = {"spin": spin}
    exec(compile("".join(source), "<chain>", "exec"), namespace)
    return namespace["level_%d" % (depth - 1)]


def main():
    depth, seconds = int(sys.argv[1]), float(sys.argv[2])
    distinct = sys.argv[3:] == ["distinct"]
    sys.setrecursionlimit(depth + 100)
    work = chain(depth) if distinct else functools.partial(recurse, depth)  # no frame of its own
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    start = time.thread_time()
    work(seconds)
    cpu = time.thread_time() - start
    print("result", json.dumps({"depth": depth, "cpu_seconds": cpu}), flush=True)


main()
