"""Threads in known states until told to stop: reader_waits() blocks in os.read() on a pipe,
sleeper_naps() sleeps in 20 ms naps, burner_spins() burns CPU, the main thread waits in
Thread.join(), and stopper() reads stdin. Prints `ready TIDS` once all of them are at it (TIDS: a JSON object, function ->
native id, "main" included) and stops them at the next line on stdin.
Usage: dump_target.py. Result: {} once every thread has ended."""
import json
import os
import sys
import threading
import time

TIDS = {}
STOP = threading.Event()


def registered(function):
    def run(*args):
        TIDS[function.__name__] = threading.get_native_id()
        function(*args)
    return run


def reader_waits(fd):
    os.read(fd, 1)


def sleeper_naps():
    while not STOP.is_set():
        time.sleep(0.02)


def burner_spins():
    total = 0
    while not STOP.is_set():
        for i in range(1000):
            total += i
    return total


def stopper(write_end):
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the stacks
    STOP.set()
    os.write(write_end, b"x")


def main():
    TIDS["main"] = threading.get_native_id()
    read_end, write_end = os.pipe()
    workers = [threading.Thread(target=registered(f), args=args)
               for f, args in ((reader_waits, (read_end,)), (sleeper_naps, ()), (burner_spins, ()))]
    for worker in workers:
        worker.start()
    threading.Thread(target=registered(stopper), args=(write_end,), daemon=True).start()
    while len(TIDS) < 2 + len(workers):
        time.sleep(0.001)
    time.sleep(0.1)  # each in its loop, the readers in os.read(), by now
    print("ready", json.dumps(TIDS, separators=(",", ":")), flush=True)
    for worker in workers:
        worker.join()
    print("result {}", flush=True)


main()
