"""Free-threaded CPython (./configure --disable-gil): threads running Python code truly in
parallel, each profiled in its own share; and a free-threaded and a GIL process of the same
minor profiled together in one run. STPROF_INTERPRETER names the free-threaded interpreter
(debian-<suite>-<X.Y>t); its GIL twin is the same name without the "t"."""

import unittest

from stprof_e2e import (Profiler, Target, interpreter_under_test, list_interpreters, run_profiled,
                        script_line)

FREQUENCY = 999
# Each thread's share of the samples must be within this many percentage points of its share of
# the CPU time the threads measured themselves.
SHARE_TOLERANCE_PP = 3.0
THREADS = 8


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
