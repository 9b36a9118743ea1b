"""Code of every shape a profile has to name: class and static methods, __init__, a closure,
a lambda, a list comprehension, a generator, a coroutine driven by asyncio, a non-ASCII name.
Each shape is a leaf that burns CPU; main() rotates through them. Usage: shapes.py SECONDS"""
import asyncio
import json
import sys
import threading
import time

N = 20000


def spin(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


class Shape:
    def __init__(self, n):
        total = 0
        for i in range(n):
            total += i % 7
        self.total = total

    @classmethod
    def build(cls, n):
        return cls(n)

    @staticmethod
    def static_work(n):
        total = 0
        for i in range(n):
            total += i % 7
        return total


def outer(n):
    def inner():
        total = 0
        for i in range(n):
            total += i % 7
        return total
    return inner()


square_all = lambda n: [i * i % 7 for i in range(n)] and spin(n)  # noqa: E731


def comprehension(n):
    return [i * i % 7 for i in range(n)]


def gen_values(n):
    for i in range(n):
        yield i * i % 7


def consume_generator(n):
    return sum(gen_values(n))


async def coro_leaf(n):
    total = 0
    for i in range(n):
        total += i % 7
    await asyncio.sleep(0)
    return total


async def coro_main(n):
    return await coro_leaf(n)


LOOP = asyncio.new_event_loop()


def run_coroutine(n):
    return LOOP.run_until_complete(coro_main(n))


def 計算(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def main():
    seconds = float(sys.argv[1])
    shapes = [Shape.build, Shape.static_work, outer, square_all, comprehension,
              consume_generator, run_coroutine, 計算]
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for shape in shapes:
            shape(N)
    LOOP.close()
    print("result", json.dumps({}), flush=True)


main()
