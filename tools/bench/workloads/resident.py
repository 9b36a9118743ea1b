"""A Python process that stays until killed, for the scale benchmark. It starts idle (a
time.sleep loop); "busy" makes it burn CPU from the first SIGUSR1 on, so that hundreds of them
can start quickly before they compete for the CPUs; a busy one runs under SCHED_IDLE (it takes
every CPU cycle nothing else wants, and never delays the profiler or the harness). Prints "ready PID" once.
Usage: resident.py idle|busy"""
import os
import signal
import sys
import time

burn = False


def start_burning(signum, frame):
    global burn
    burn = True


def main():
    with open("/proc/self/comm", "w") as comm:  # so that the benchmark can select it (--comm)
        comm.write("resident.py")
    if sys.argv[1] == "busy":
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        signal.signal(signal.SIGUSR1, start_burning)
    print("ready", os.getpid(), flush=True)
    while not burn:
        time.sleep(0.1)
    x = 0
    while True:
        for i in range(10000):
            x += i


main()
