"""Burns CPU for SECONDS in work_alpha() or work_beta() (KIND), so that each service of the
agent's tests has a function of its own. At each new second of the wall clock it appends
"UNIX_SECOND CPU_SECONDS" (its own CPU time, time.process_time()) to CLOCK_FILE: the truth the
agent's intervals are compared with. No handshake.
Usage: service_worker.py alpha|beta SECONDS CLOCK_FILE"""
import sys
import time


def spin(end, clock):
    second = 0
    while time.monotonic() < end:
        now = int(time.time())
        if now != second:
            second = now
            clock.write("%d %.6f\n" % (now, time.process_time()))
            clock.flush()


def work_alpha(seconds, clock):
    spin(time.monotonic() + seconds, clock)


def work_beta(seconds, clock):
    spin(time.monotonic() + seconds, clock)


with open(sys.argv[3], "a") as clock_file:
    {"alpha": work_alpha, "beta": work_beta}[sys.argv[1]](float(sys.argv[2]), clock_file)
