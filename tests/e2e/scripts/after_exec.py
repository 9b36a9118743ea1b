"""The image an exec_into.py process turns into. Usage: after_exec.py SECONDS"""
import sys
import time


def after_exec(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += 1
    return total


after_exec(float(sys.argv[1]))
