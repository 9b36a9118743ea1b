"""Three threads, each spinning in its own function; the main thread waits.
Usage: threads.py SECONDS. Result: function name -> native thread id."""
import json
import sys
import threading
import time


def busy(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i
    return total


def spin_alpha(seconds):
    return busy(seconds)


def spin_beta(seconds):
    return busy(seconds)


def spin_gamma(seconds):
    return busy(seconds)


def main():
    seconds = float(sys.argv[1])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    tids = {}

    def run(function):
        tids[function.__name__] = threading.get_native_id()
        function(seconds)

    threads = [threading.Thread(target=run, args=(f,)) for f in (spin_alpha, spin_beta, spin_gamma)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("result", json.dumps(tids), flush=True)


main()
