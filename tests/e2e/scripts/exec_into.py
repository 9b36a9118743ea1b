"""before_exec() burns CPU, then the process execs: into a Python script (after_exec.py) or a
non-Python program. With --from-thread a second thread burns and execs while the main thread
waits in join(), never on a CPU. Usage: exec_into.py [--from-thread] SECONDS TARGET [ARGS...]"""
import os
import sys
import threading
import time


def before_exec(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        total += 1
    return total


def burn_then_exec(seconds, argv):
    before_exec(seconds)
    os.execv(argv[0], argv)


args = sys.argv[1:]
from_thread = args[0] == "--from-thread"
if from_thread:
    args = args[1:]
if from_thread:
    worker = threading.Thread(target=burn_then_exec, args=(float(args[0]), args[1:]))
    worker.start()
    worker.join()
else:
    burn_then_exec(float(args[0]), args[1:])
