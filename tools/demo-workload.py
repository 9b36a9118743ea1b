"""A small Python workload for tools/demo: a parser, a scorer and a sleeper thread.
Usage: demo-workload.py SECONDS"""
import json
import sys
import threading
import time


def parse(records):
    return [json.loads(r) for r in records]


def score(items):
    return sum(item["a"] * item["b"] % 97 for item in items)


def pipeline(deadline):
    records = [json.dumps({"a": i, "b": i * 3, "name": "item%d" % i}) for i in range(2000)]
    while time.monotonic() < deadline:
        score(parse(records))


def housekeeping(deadline):
    while time.monotonic() < deadline:
        sorted(str(i) for i in range(20000))
        time.sleep(0.05)


def main():
    deadline = time.monotonic() + float(sys.argv[1])
    helper = threading.Thread(target=housekeeping, args=(deadline,), name="housekeeping")
    helper.start()
    pipeline(deadline)
    helper.join()


main()
