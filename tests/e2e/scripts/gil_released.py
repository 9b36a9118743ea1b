"""hash_without_gil() hashes a large buffer over and over: hashlib releases the GIL while it
hashes more than 2 KB, so this thread is on the CPU mostly without the GIL. spin_with_gil()
runs Python code, holding it. Usage: gil_released.py SECONDS. Result: function -> {"tid": its
native id, "cpu": its CPU time in seconds (time.thread_time())}."""
import hashlib
import json
import sys
import threading
import time

THREADS = {}


def hash_without_gil(seconds):
    data = bytes(4 << 20)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hashlib.sha256(data).digest()
    THREADS["hash_without_gil"] = {"tid": threading.get_native_id(), "cpu": time.thread_time()}


def spin_with_gil(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i
    THREADS["spin_with_gil"] = {"tid": threading.get_native_id(), "cpu": time.thread_time()}


def main():
    seconds = float(sys.argv[1])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    threads = [threading.Thread(target=f, args=(seconds,)) for f in (hash_without_gil, spin_with_gil)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("result", json.dumps(THREADS), flush=True)


main()
