"""Burns CPU for SECONDS in burn(), then exits; no handshake (for lifecycle tests).
Usage: idle.py SECONDS"""
import sys
import time


def burn(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += 1
    return total


burn(float(sys.argv[1]))
