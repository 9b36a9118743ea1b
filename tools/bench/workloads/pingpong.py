"""Two threads hand a one-byte token back and forth through two pipes, each blocked in os.read at
the bottom of a Python stack of exactly DEPTH frames (threading's own frames included; one
function recursing), so that every context switch of theirs is a switch of a Python thread at
that depth: tens of thousands a second. Protocol: prints "ready PID" once both threads wait at
the bottom, waits for a line on stdin, makes ROUND_TRIPS round trips, prints "result {json}"
with the wall time (time.perf_counter) and the process's CPU time (time.process_time) of the
round trips and the context switches the two threads made (/proc/thread-self/status).
Left without a line on stdin, its threads stay blocked: a registered Python process that never
runs. Usage: pingpong.py DEPTH ROUND_TRIPS"""
import json
import os
import sys
import threading
import time


def stack_depth():
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def context_switches():
    """This thread's context switches so far (voluntary and not)."""
    total = 0
    with open("/proc/thread-self/status") as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total


def bottom(depth, inbox, outbox, round_trips, arrived, switches):
    """Recurses until this call is frame number depth, then passes the token round_trips times;
    adds the switches it made meanwhile to switches."""
    if stack_depth() < depth:
        return bottom(depth, inbox, outbox, round_trips, arrived, switches)
    before = context_switches()
    arrived.release()
    for _ in range(round_trips):
        os.read(inbox, 1)
        os.write(outbox, b".")
    switches.append(context_switches() - before)
    return 0


def main():
    with open("/proc/self/comm", "w") as comm:
        comm.write("pingpong.py")
    depth, round_trips = int(sys.argv[1]), int(sys.argv[2])
    sys.setrecursionlimit(depth + 1000)
    a_to_b, b_to_a = os.pipe(), os.pipe()
    arrived, switches = threading.Semaphore(0), []
    players = [threading.Thread(target=bottom, args=(depth, inbox, outbox, round_trips, arrived, switches))
               for inbox, outbox in ((b_to_a[0], a_to_b[1]), (a_to_b[0], b_to_a[1]))]
    for player in players:
        player.start()
    for _ in players:
        arrived.acquire()
    print("ready", os.getpid(), flush=True)
    sys.stdin.buffer.readline()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    os.write(b_to_a[1], b".")  # the first player's first token
    for player in players:
        player.join()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    print("result", json.dumps({"wall": wall1 - wall0, "cpu": cpu1 - cpu0, "switches": sum(switches),
                                "round_trips": round_trips, "depth": depth}), flush=True)


main()
