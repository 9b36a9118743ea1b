"""Wall mode over a long run (host interpreter): a process whose 201 threads are all blocked from
before the profiler starts to after it stops is accounted for the whole run, thread by thread."""

import collections
import unittest

from stprof_e2e import Profiler, Target, interpreter_under_test

SECONDS = 60
THREADS = 200


class LongWall(unittest.TestCase):
    def test_blocked_threads_are_accounted_the_whole_run(self):
        python = interpreter_under_test()
        with Target(python, "sleepers.py", THREADS) as target:
            tids = [int(t) for t in target.ready_info]
            with Profiler("-p", target.pid, "--mode", "wall", "-d", SECONDS, "-F", 99) as profiler:
                self.assertEqual(profiler.wait(SECONDS + 60), 0, profiler.stderr)
                stacks = profiler.profile().of_pid(target.pid)
        per_thread = collections.Counter()
        reasons = collections.Counter()
        for stack in stacks:
            per_thread[stack.tid] += stack.count
            reasons[stack.frames[-1].function] += stack.count
        print("\n%d threads, each accounted %.3f-%.3f s of a %d s run; by leaf: %s"
              % (len(per_thread), min(per_thread.values()) / 1e6, max(per_thread.values()) / 1e6,
                 SECONDS, dict(reasons)))
        self.assertEqual(set(per_thread), set(tids), "every thread, and no other")
        for tid, microseconds in per_thread.items():
            self.assertLess(abs(microseconds - SECONDS * 1e6), 0.01 * SECONDS * 1e6, (tid, microseconds))
        sleeps = sum(n for leaf, n in reasons.items() if leaf in ("[off-CPU: clock_nanosleep]", "[off-CPU: read]"))
        self.assertGreater(sleeps, 0.999 * sum(reasons.values()), reasons)


if __name__ == "__main__":
    unittest.main(verbosity=2)
