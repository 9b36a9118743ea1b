"""early() burns CPU for the first EARLY_MS milliseconds of the process's life, then later()
until SECONDS have passed: a profile that shows early() caught the process within EARLY_MS of
its start. Usage: phases.py EARLY_MS SECONDS"""
import sys
import time

START = time.monotonic()


def burn_until(deadline):
    total = 0
    while time.monotonic() < deadline:
        total += 1
    return total


def early(ms):
    return burn_until(START + ms / 1000.0)


def later(seconds):
    return burn_until(START + seconds)


early(float(sys.argv[1]))
later(float(sys.argv[2]))
