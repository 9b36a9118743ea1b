"""Burns CPU for SECONDS in work_alpha() or work_beta() (KIND), so that each service of the
agent's tests has a function of its own. No handshake.
Usage: service_worker.py alpha|beta SECONDS"""
import sys
import time


def spin(end):
    count = 0
    while time.monotonic() < end:
        count += 1
    return count


def work_alpha(seconds):
    return spin(time.monotonic() + seconds)


def work_beta(seconds):
    return spin(time.monotonic() + seconds)


{"alpha": work_alpha, "beta": work_beta}[sys.argv[1]](float(sys.argv[2]))
