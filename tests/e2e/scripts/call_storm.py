"""Frames pushed and popped at a high rate: main() calls a(), which calls b(), which calls c(),
each doing almost nothing, in a tight loop. Every stack the profiler reports must be a prefix of
<module> -> main -> a -> b -> c. Usage: call_storm.py SECONDS. Result: {"calls": calls of a()}"""
import os
import sys
import threading
import time


def c(x):
    return x + 1


def b(x):
    return c(x) + 1


def a(x):
    return b(x) + 1


def main():
    seconds = float(sys.argv[1])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    end = time.monotonic() + seconds
    calls = 0
    while time.monotonic() < end:
        for i in range(1000):
            a(i)
        calls += 1000
    # JSON by hand: json.dumps would put stdlib frames under main() in the last samples.
    print('result {"calls": %d}' % calls, flush=True)


main()
# No interpreter finalization: its frames (threading._shutdown, code being freed) are not
# part of the shapes the test expects.
os._exit(0)
