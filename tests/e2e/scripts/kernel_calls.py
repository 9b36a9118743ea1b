"""The main thread alternates between read_random(), which reads /dev/urandom in 1 MiB blocks
(its CPU time is the kernel's, generating them), and spin(), pure Python; each one's CPU time is
measured with time.thread_time(). Two threads wait in os.read() on a pipe until the end:
early_reader from before `ready`, late_reader from after `go`.
Usage: kernel_calls.py SECONDS. Result: {"cpu": function -> CPU seconds, "tid": name -> native
id}."""
import json
import os
import sys
import threading
import time

TIDS = {}


def early_reader(fd):
    TIDS["early_reader"] = threading.get_native_id()
    os.read(fd, 1)


def late_reader(fd):
    TIDS["late_reader"] = threading.get_native_id()
    os.read(fd, 1)


def read_random(source):
    for _ in range(4):
        source.read(1 << 20)


def spin():
    total = 0
    for i in range(100000):
        total += i
    return total


def main():
    seconds = float(sys.argv[1])
    read_end, write_end = os.pipe()
    readers = [threading.Thread(target=early_reader, args=(read_end,))]
    readers[0].start()
    time.sleep(0.1)  # in os.read() by now
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    TIDS["main"] = threading.get_native_id()
    readers.append(threading.Thread(target=late_reader, args=(read_end,)))
    readers[1].start()
    cpu = {"read_random": 0.0, "spin": 0.0}
    end = time.monotonic() + seconds
    with open("/dev/urandom", "rb", buffering=0) as source:
        while time.monotonic() < end:
            for function, args in ((read_random, (source,)), (spin, ())):
                started = time.thread_time()
                function(*args)
                cpu[function.__name__] += time.thread_time() - started
    os.write(write_end, b"xx")
    for reader in readers:
        reader.join()
    print("result", json.dumps({"cpu": cpu, "tid": TIDS}), flush=True)


main()
