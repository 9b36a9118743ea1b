"""A short Python process for the churn benchmark: imports a few standard modules (code objects
to read), burns about SECONDS of CPU in work(), and exits. Usage: short_lived.py SECONDS"""
import json  # noqa: F401  (its code objects are what a new process brings)
import sys
import time


def work(seconds):
    end = time.process_time() + seconds
    total = 0
    while time.process_time() < end:
        total += 1
    return total


work(float(sys.argv[1]))
