"""Free-threaded CPython (./configure --disable-gil): threads running Python code truly in
parallel, each profiled in its own share; and a free-threaded and a GIL process of the same
minor profiled together in one run. STPROF_INTERPRETER names the free-threaded interpreter
(debian-<suite>-<X.Y>t); its GIL twin is the same name without the "t"."""

import contextlib
import os
import unittest

from stprof_e2e import (Profiler, Target, counter, interpreter_under_test, list_interpreters,
                        run_profiled, script_line)

FREQUENCY = 999
# Each thread's share of the samples must be within this many percentage points of its share of
# the CPU time the threads measured themselves.
SHARE_TOLERANCE_PP = 3.0
THREADS = 8
GIL_WAIT = "[off-CPU: GIL]"


@contextlib.contextmanager
def gil_turned_on():
    """Targets started meanwhile run with their GIL enabled (PYTHON_GIL=1)."""
    os.environ["PYTHON_GIL"] = "1"
    try:
        yield
    finally:
        del os.environ["PYTHON_GIL"]


class FreeThreaded(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()
        assert cls.python.free_threaded, "%s is not a free-threaded build" % cls.python.name

    def test_parallel_threads_each_get_their_share(self):
        run = run_profiled(self.python, "parallel_threads.py", 4, THREADS, options=("-F", FREQUENCY))
        self.assertFalse(run.result["gil_enabled"], "the interpreter runs with a GIL")
        threads = run.result["threads"]
        self.assertEqual(len({t["tid"] for t in threads}), THREADS)
        cpu_total = sum(t["cpu"] for t in threads)
        # The loop in spin() is what each thread measured (not its wait at the start barrier).
        looping = [s for s in run.stacks if s.functions[-1:] == ["spin"]]
        samples = {t["tid"]: sum(s.count for s in looping if s.tid == t["tid"]) for t in threads}
        samples_total = sum(samples.values())
        self.assertGreater(samples_total, 1000, "too few samples to judge shares\n" + run.stderr)
        print("\n%s: %d threads, %.2f s CPU in %.2f s wall (%.2f CPUs at once), %d samples"
              % (self.python.name, THREADS, cpu_total, run.result["wall"],
                 cpu_total / run.result["wall"], samples_total))
        for thread in threads:
            tid = thread["tid"]
            measured = 100.0 * thread["cpu"] / cpu_total
            profiled = 100.0 * samples[tid] / samples_total
            print("  thread %d: CPU time %.1f%%, samples %.1f%%" % (tid, measured, profiled))
            self.assertLess(abs(measured - profiled), SHARE_TOLERANCE_PP, (tid, measured, profiled))
        # Nearly all samples of the threads are in spin()'s loop (the rest: the start barrier,
        # each thread's start and end), in the script, most of them on the loop's body.
        everything = sum(s.count for s in run.stacks if s.tid in samples)
        self.assertGreater(samples_total, 0.95 * everything, (samples_total, everything))
        by_line = {}
        for stack in looping:
            self.assertTrue(stack.frames[-1].file.endswith("parallel_threads.py"), stack)
            by_line[stack.frames[-1].line] = by_line.get(stack.frames[-1].line, 0) + stack.count
        self.assertEqual(max(by_line, key=by_line.get),
                         script_line("parallel_threads.py", "SPIN-LOOP"), by_line)

    def test_gil_turned_on_is_waited_for_and_held(self):
        # Without PYTHON_GIL (test_wall.py): no GIL wait, and --gil keeps every sample.
        with gil_turned_on():
            waits = run_profiled(self.python, "gil_contention.py", 2, 3,
                                 options=("--mode", "wall", "-F", 499))
            gil_only = run_profiled(self.python, "gil_released.py", 2, options=("-F", 499, "-v", "--gil"))
        for span in waits.result:
            mine = [s for s in waits.stacks if s.tid == span["tid"]]
            total = sum(s.count for s in mine)
            waiting = sum(s.count for s in mine if s.functions[-1:] == [GIL_WAIT])
            print("\n%s, PYTHON_GIL=1: thread %d waited for the GIL %.1f%% of %.3f s"
                  % (self.python.name, span["tid"], 100.0 * waiting / total, total / 1e6))
            self.assertGreater(waiting, 0.3 * total, (span, total, waiting))
        # Hashing releases the GIL: those samples are dropped; the Python loop holds it: kept.
        samples = {name: (sum(s.count for s in gil_only.stacks if s.tid == thread["tid"]),
                          thread["cpu"] * 499) for name, thread in gil_only.result.items()}
        print("%s, PYTHON_GIL=1, --gil: (samples, expected from CPU time) %s" % (self.python.name, samples))
        kept, expected = samples["hash_without_gil"]
        self.assertLess(kept, 0.2 * expected, samples)
        self.assertGreater(counter(gil_only.stderr, "EXIT_NOT_GIL_HOLDER"), 0.5 * expected)
        kept, expected = samples["spin_with_gil"]
        self.assertGreater(kept, 0.7 * expected, samples)

    def test_with_a_gil_process_of_the_same_version(self):
        twin_name = self.python.name[:-1]
        twin = list_interpreters().get(twin_name)
        self.assertIsNotNone(twin, "%s is missing: run tools/provision-interpreters" % twin_name)
        self.assertEqual(twin.version[:2], self.python.version[:2])
        with Target(self.python, "threads.py", 3) as free, Target(twin, "threads.py", 3) as gil, \
                Profiler("-p", free.pid, "-p", gil.pid, "-F", FREQUENCY) as profiler:
            free.go()
            gil.go()
            tids = {free.pid: free.result(), gil.pid: gil.result()}
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            profile = profiler.profile()
        self.assertEqual(profile.pids, {free.pid, gil.pid}, profiler.stderr)
        for pid, by_function in tids.items():
            stacks = profile.of_pid(pid)
            for function, tid in by_function.items():
                mine = [s for s in stacks if function in s.functions]
                self.assertEqual({s.tid for s in mine}, {tid}, "%s ran on thread %d" % (function, tid))
                self.assertGreater(sum(s.count for s in mine), 30, (pid, function))
                for stack in mine:
                    self.assertEqual(stack.functions[-2:], [function, "busy"], stack)
                    self.assertTrue(stack.frames[-1].file.endswith("threads.py"), stack)
        self.assertNotIn("not supported", profiler.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
