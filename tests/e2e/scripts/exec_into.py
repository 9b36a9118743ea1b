"""before_exec() burns CPU, then the process execs: into a Python script (after_exec.py) or a
non-Python program. Usage: exec_into.py SECONDS TARGET [ARGS...]"""
import os
import sys
import time


def before_exec(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += 1
    return total


before_exec(float(sys.argv[1]))
os.execv(sys.argv[2], sys.argv[2:])
