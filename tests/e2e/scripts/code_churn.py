"""Code objects freed and reallocated while they are sampled. driver() compiles a function
under a unique name with exec, runs it briefly and drops it, alternating between two call
depths: gen_NNNNNNN() called by driver() itself, and deep_NNNNNN() called by helper() under
driver(). Both kinds have the same source shape (file, first line, locals, size) and names of
the same length, so the memory of a freed code object, and of its name, is soon reused by one
of the other kind: a profiler that trusts a stale cache names it wrongly.
Usage: code_churn.py SECONDS N (N: loop iterations per generated function).
Result: {"generated": functions created of each kind, "keep_every": KEEP_EVERY, "longest_call":
the most CPU time (s) one generated function took, "calls": CPU time of all the calls,
"kept_calls": CPU time of the calls of kept functions}"""
import collections
import os
import sys
import threading
import time

FILENAME = "<generated>"
TEMPLATE = "def {name}(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"
CALLS = {"longest_call": 0.0, "calls": 0.0, "kept_calls": 0.0}
KEEP_EVERY = 8
KEEP_SECONDS = 2.0
KEPT = collections.deque()  # (monotonic time of release, function)


def account(spent, number):
    CALLS["calls"] += spent
    CALLS["longest_call"] = max(CALLS["longest_call"], spent)
    if number % KEEP_EVERY == 0:
        CALLS["kept_calls"] += spent


def generate(name):
    """A new function `name` compiled from TEMPLATE; the caller holds the only reference."""
    namespace = {}
    exec(compile(TEMPLATE.format(name=name), FILENAME, "exec"), namespace)
    return namespace.pop(name)


def keep_or_drop(number, function):
    """Keeps every KEEP_EVERY-th function alive for KEEP_SECONDS; releases the expired ones."""
    now = time.monotonic()
    if number % KEEP_EVERY == 0:
        KEPT.append((now + KEEP_SECONDS, function))
    while KEPT and KEPT[0][0] < now:
        KEPT.popleft()


def helper(number, n):
    function = generate("deep_%06d" % number)
    start = time.thread_time()
    function(n)
    account(time.thread_time() - start, number)
    keep_or_drop(number, function)


def driver(seconds, n):
    end = time.monotonic() + seconds
    number = 0
    while time.monotonic() < end:
        number += 1
        function = generate("gen_%07d" % number)
        start = time.thread_time()
        function(n)
        account(time.thread_time() - start, number)
        keep_or_drop(number, function)
        del function  # unless kept, the last reference: code object and names are freed here
        helper(number, n)
    return number


def main():
    seconds, n = float(sys.argv[1]), int(sys.argv[2])
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    generated = driver(seconds, n)
    # JSON by hand: json.dumps would put stdlib frames under main() in the last samples.
    print('result {"generated": %d, "keep_every": %d, "longest_call": %r, "calls": %r, '
          '"kept_calls": %r}' % (generated, KEEP_EVERY, CALLS["longest_call"], CALLS["calls"],
                                 CALLS["kept_calls"]), flush=True)


main()
# No interpreter finalization: its frames (threading._shutdown, code being freed) are not
# part of the shapes the test expects.
os._exit(0)
