"""THREADS threads, each spinning in pure-Python loops in spin() for its own time: thread i for
(i + 1) / THREADS of SECONDS, so their shares of the CPU differ. On a free-threaded build they run
truly in parallel (as many at once as there are CPUs); with a GIL, one at a time.
Usage: parallel_threads.py SECONDS THREADS. Result: {"gil_enabled": whether the interpreter runs
with a GIL, "wall": seconds from the start of the first thread to the end of the last,
"threads": a list, per thread, of {"tid", "cpu"}, its CPU time (time.thread_time()) in spin()}."""
import json
import sys
import threading
import time


def spin(seconds, start, threads):
    start.wait()
    cpu = time.thread_time()
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i * i  # SPIN-LOOP
    threads.append({"tid": threading.get_native_id(), "cpu": time.thread_time() - cpu})


def main():
    seconds, count = float(sys.argv[1]), int(sys.argv[2])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    results = []
    start = threading.Barrier(count + 1)
    threads = [threading.Thread(target=spin, args=(seconds * (i + 1) / count, start, results))
               for i in range(count)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    gil_enabled = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    print("result", json.dumps({"gil_enabled": gil_enabled, "wall": time.monotonic() - began,
                                "threads": results}), flush=True)


main()
