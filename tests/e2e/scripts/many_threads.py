"""THREADS threads, each spinning in its own function spin_00() .. spin_NN() (generated, each
with its own code object); the main thread waits for them. Usage: many_threads.py THREADS SECONDS.
Result: function name -> native thread id of the thread that ran it."""
import json
import sys
import threading
import time

TEMPLATE = """
def {name}(seconds):
    end = monotonic() + seconds
    total = 0
    while monotonic() < end:
        for i in range(1000):
            total += i
    return total
"""


def make_spinners(count):
    spinners = []
    for number in range(count):
        name = "spin_%02d" % number
        namespace = {"monotonic": time.monotonic}
        exec(compile(TEMPLATE.format(name=name), __file__, "exec"), namespace)
        spinners.append(namespace[name])
    return spinners


def main():
    count, seconds = int(sys.argv[1]), float(sys.argv[2])
    spinners = make_spinners(count)
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    tids = {}
    started = threading.Barrier(count + 1)

    def run(function):
        tids[function.__name__] = threading.get_native_id()
        started.wait()
        function(seconds)

    threads = [threading.Thread(target=run, args=(f,)) for f in spinners]
    for thread in threads:
        thread.start()
    started.wait()
    for thread in threads:
        thread.join()
    print("result", json.dumps(tids), flush=True)


main()
