"""THREADS threads that all want the GIL all the time, each in spin(): at any moment at most one
of them runs Python code, the others wait to take the GIL.
Usage: gil_contention.py SECONDS THREADS. Result: a list, per thread, of {"tid", "start", "end"}
(time.monotonic()) and "cpu", its CPU time (time.thread_time())."""
import json
import sys
import threading
import time


def spin(seconds, spans):
    span = {"tid": threading.get_native_id(), "start": time.monotonic()}
    end = span["start"] + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i
    span["end"] = time.monotonic()
    span["cpu"] = time.thread_time()
    spans.append(span)


def main():
    seconds, count = float(sys.argv[1]), int(sys.argv[2])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    spans = []
    threads = [threading.Thread(target=spin, args=(seconds, spans)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("result", json.dumps(spans), flush=True)


main()
