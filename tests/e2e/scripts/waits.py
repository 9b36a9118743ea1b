"""Four threads that spend their time in known ways: reader_waits() blocks in os.read() on a pipe
from before the profiler attaches until the end; sleeper_naps() sleeps in 20 ms naps;
burner_spins() burns CPU; the main thread waits in Thread.join().
Usage: waits.py SECONDS. Result: function -> {"tid": native id, "start"/"end": its
time.monotonic() bounds}; "reader_waits" starts before `ready`."""
import json
import os
import sys
import threading
import time

SPANS = {}


def spanned(function):
    def run(*args):
        SPANS[function.__name__] = {"tid": threading.get_native_id(), "start": time.monotonic()}
        function(*args)
        SPANS[function.__name__]["end"] = time.monotonic()
    return run


def reader_waits(fd):
    os.read(fd, 1)


def sleeper_naps(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.02)


def burner_spins(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i
    return total


def main():
    seconds = float(sys.argv[1])
    read_end, write_end = os.pipe()
    reader = threading.Thread(target=spanned(reader_waits), args=(read_end,))
    reader.start()
    while "reader_waits" not in SPANS:
        time.sleep(0.001)
    time.sleep(0.1)  # in os.read() by now
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    SPANS["main"] = {"tid": threading.get_native_id(), "start": time.monotonic()}
    workers = [threading.Thread(target=spanned(f), args=(seconds,)) for f in (sleeper_naps, burner_spins)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    os.write(write_end, b"x")
    reader.join()
    SPANS["main"]["end"] = time.monotonic()
    print("result", json.dumps(SPANS), flush=True)


main()
