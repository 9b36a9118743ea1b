"""Calls down a binary tree DEPTH levels deep, each level from one of two call sites chosen at
random, and spins briefly at the leaf: every path is a stack of its own, 2**DEPTH of them.
Usage: call_tree.py DEPTH SECONDS. Result: {"leaves": leaves visited}"""
import random
import sys
import threading
import time


def spin():
    total = 0
    for i in range(2000):
        total += i
    return total


def down(depth, path):
    if depth == 0:
        return spin()
    if path & 1:
        return down(depth - 1, path >> 1)
    return down(depth - 1, path >> 1)


def main():
    depth, seconds = int(sys.argv[1]), float(sys.argv[2])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    end = time.monotonic() + seconds
    leaves = 0
    while time.monotonic() < end:
        for _ in range(100):
            down(depth, random.getrandbits(depth))
        leaves += 100
    print('result {"leaves": %d}' % leaves, flush=True)


main()
