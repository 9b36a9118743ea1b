"""Known split: heavy() should get ~3/4 and light() ~1/4 of this thread's CPU time; each call is
timed with time.thread_time() so the test compares the profile against the script's own truth.
Usage: shares.py SECONDS"""
import json
import random
import sys
import threading
import time


def heavy(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)  # HOT-HEAVY
    return total


def light(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7 + (i ^ 3)  # HOT-LIGHT
    return total


class Worker:
    def __init__(self):
        self.spent = {"heavy": 0.0, "light": 0.0}

    def run(self, seconds):
        # Call lengths vary at random: a fixed heavy/light rhythm would beat against the fixed
        # sampling period and bias the shares (aliasing), which is not what is measured here.
        rng = random.Random(1)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for name, function, n in (("heavy", heavy, 30000), ("light", light, 10000)):
                start = time.thread_time()
                function(rng.randint(n // 2, n * 3 // 2))
                self.spent[name] += time.thread_time() - start


def main():
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    worker = Worker()
    worker.run(float(sys.argv[1]))
    print("result", json.dumps(worker.spent), flush=True)


main()
