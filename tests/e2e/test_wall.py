"""Wall mode (--mode wall) and --gil against real interpreters (one CTest test per interpreter,
as the scenarios): every thread accounted over its whole wall time, in microseconds, with the
reason of each wait as the leaf, checked against what the script measured itself."""

import collections
import unittest

from stprof_e2e import Profiler, Target, counter, host_steal_seconds, interpreter_under_test, run_profiled

FREQUENCY = 499
OFF_CPU = "[off-CPU: "
# time.sleep(): clock_nanosleep from 3.11, select() before (glibc may issue pselect6).
SLEEP_REASONS = {"clock_nanosleep", "nanosleep", "select", "pselect6"}


def reason(stack):
    """The off-CPU reason a stack ends with, or None for on-CPU time."""
    leaf = stack.frames[-1].function if stack.frames else ""
    return leaf[len(OFF_CPU):-1] if leaf.startswith(OFF_CPU) else None


def python_leaf(stack):
    """The innermost Python function of a stack (above its off-CPU frame, if any)."""
    functions = [f for f in stack.functions if not f.startswith(OFF_CPU)]
    return functions[-1] if functions else None


class ThreadTime:
    """One thread's microseconds in the profile: by reason (None: on the CPU) and in all."""

    def __init__(self, stacks, tid):
        self.by_reason = collections.Counter()
        self.leaves = collections.Counter()
        for stack in stacks:
            if stack.tid == tid:
                self.by_reason[reason(stack)] += stack.count
                self.leaves[(python_leaf(stack), reason(stack))] += stack.count
        self.total = sum(self.by_reason.values())

    def share(self, reasons):
        return sum(self.by_reason[r] for r in reasons) / self.total if self.total else 0.0

    def __repr__(self):
        return "%.3f s: %s" % (self.total / 1e6, ", ".join(
            "%s %.1f%%" % (r or "CPU", 100.0 * n / self.total) for r, n in self.by_reason.most_common()))


class Wall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def wall_profile(self, script, *args):
        run = run_profiled(self.python, script, *args, options=("--mode", "wall", "-F", FREQUENCY, "-v"))
        self.assertTrue(run.stacks, run.stderr)
        return run

    def assert_lifetime(self, time, span, what):
        """A thread's accounted time is its lifetime within the run (the profiler may attach a
        little after a thread starts, and drains the last waits when the target exits)."""
        lifetime = 1e6 * (span["end"] - span["start"])
        self.assertGreater(time.total, 0.85 * lifetime, "%s: %r of %.3f s" % (what, time, lifetime / 1e6))
        self.assertLess(time.total, 1.1 * lifetime + 50000, "%s: %r of %.3f s" % (what, time, lifetime / 1e6))

    def test_each_thread_accounted_with_why_it_waited(self):
        seconds = 3
        run = self.wall_profile("waits.py", seconds)
        spans = run.result
        threads = {name: ThreadTime(run.stacks, span["tid"]) for name, span in spans.items()}
        print("\n%s: %s" % (self.python.name, "; ".join("%s %r" % item for item in threads.items())))

        # Blocked in read() since before the profiler attached, until the end: all of the run
        # is that one wait, in reader_waits().
        reader = threads["reader_waits"]
        self.assertGreater(reader.leaves[("reader_waits", "read")], 0.95 * reader.total, reader)
        self.assertGreater(reader.total, 0.9 * 1e6 * seconds, reader)

        sleeper = threads["sleeper_naps"]
        self.assert_lifetime(sleeper, spans["sleeper_naps"], "sleeper")
        # After each nap it waits for the GIL the burner holds (up to the 5 ms switch interval).
        self.assertGreater(sleeper.share(SLEEP_REASONS | {"GIL", "runqueue"}), 0.95, sleeper)
        self.assertGreater(sleeper.share(SLEEP_REASONS), 0.5, sleeper)
        naps = sum(n for (function, r), n in sleeper.leaves.items() if r in SLEEP_REASONS)
        self.assertEqual(naps, sum(n for (function, r), n in sleeper.leaves.items()
                                   if r in SLEEP_REASONS and function == "sleeper_naps"), sleeper.leaves)

        # On the CPU, or wanting it: waiting for a CPU, or for the GIL (the sleeper takes it
        # for a moment 50 times a second).
        burner = threads["burner_spins"]
        self.assert_lifetime(burner, spans["burner_spins"], "burner")
        self.assertGreater(burner.share({None, "runqueue", "GIL"}), 0.9, burner)
        self.assertGreater(burner.leaves[("burner_spins", None)], 0.1 * burner.total, burner)

        main = threads["main"]
        self.assert_lifetime(main, spans["main"], "main")
        self.assertGreater(main.share({"futex"}), 0.8, main)  # Thread.join()

        # The summary splits the wall time by reason too.
        wall_line = [l for l in run.stderr.splitlines() if l.startswith("stprof-bpf: wall time ")]
        self.assertEqual(len(wall_line), 1, run.stderr)
        self.assertIn(" read ", wall_line[0])
        self.assertIn(" futex ", wall_line[0])

    def test_all_python_accounts_a_process_that_appears_mid_run(self):
        # Found by the exec event instead of named with -p: its threads are followed from then
        # on, those already blocked as well.
        with Profiler("--all-python", "--mode", "wall", "-F", FREQUENCY, "-d", 4) as profiler:
            with Target(self.python, "waits.py", 2) as target:
                target.go()
                spans = target.result()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            stacks = profiler.profile().of_pid(target.pid)
        reader = ThreadTime(stacks, spans["reader_waits"]["tid"])
        main = ThreadTime(stacks, spans["main"]["tid"])
        print("\n%s --all-python: reader %r; main %r" % (self.python.name, reader, main))
        self.assertGreater(reader.leaves[("reader_waits", "read")], 0.95 * reader.total, reader)
        self.assertGreater(reader.total, 0.9 * 1e6 * 2, reader)
        # Joining its threads from `go` to the end (before `go` it started up: not measured).
        joined = 1e6 * (spans["main"]["end"] - spans["main"]["start"])
        self.assertGreater(main.by_reason["futex"], 0.8 * joined, main)

    def test_each_kind_of_wait_has_its_share_and_reason(self):
        run = self.wall_profile("wait_kinds.py", 15)
        truth = run.result["seconds"]
        main = [s for s in run.stacks if s.tid == run.result["tid"]]
        expected_reasons = {"nap": SLEEP_REASONS, "read_pipe": {"read"}, "take_lock": {"futex"},
                            "ask_server": {"recvfrom", "recv"}, "wait_child": {"wait4"},
                            "compute": {None, "runqueue"}}  # preempted on a busy machine
        profiled = {name: collections.Counter() for name in expected_reasons}
        for stack in main:
            for name in set(stack.functions) & set(expected_reasons):
                profiled[name][reason(stack)] += stack.count
        total_truth = sum(truth.values())
        total_profiled = sum(sum(c.values()) for c in profiled.values())
        for name, reasons in expected_reasons.items():
            measured = 100.0 * truth[name] / total_truth
            share = 100.0 * sum(profiled[name].values()) / total_profiled
            main_reason, _ = profiled[name].most_common(1)[0]
            print("%s: %s measured %.1f%%, profiled %.1f%%, mostly %s"
                  % (self.python.name, name, measured, share, main_reason or "on the CPU"))
            self.assertLess(abs(measured - share), 2.0, (name, profiled[name]))
            self.assertIn(main_reason, reasons, (name, profiled[name]))

    def test_threads_that_want_the_gil_wait_for_it(self):
        seconds, count = 3, 4
        steal_before = host_steal_seconds()
        run = self.wall_profile("gil_contention.py", seconds, count)
        steal = host_steal_seconds() - steal_before
        times = [(ThreadTime(run.stacks, span["tid"]), span) for span in run.result]
        print("\n%s: %s; %.3f s stolen by the hypervisor" % (
            self.python.name, "; ".join(repr(t) for t, _ in times), steal))
        for time, span in times:
            self.assert_lifetime(time, span, "spinning thread")
            # Whenever it is not running it waits for the GIL (CPython does not share it out
            # evenly: one thread may get 30% of the time, another 24%), or, on a busy machine,
            # for a CPU (woken to take the GIL, or preempted holding it): mostly the GIL.
            # Running is its CPU time plus what the hypervisor stole meanwhile, which the
            # profile counts as running (once in CI: 29% profiled, 22% CPU time, 4 such threads).
            lifetime = span["end"] - span["start"]
            running_at_least = span["cpu"] / lifetime
            running_at_most = (span["cpu"] + steal) / lifetime
            not_running = time.share({"GIL", "runqueue"})
            self.assertGreater(not_running, 1 - running_at_most - 0.05, (time, span, steal))
            self.assertLess(not_running, 1 - running_at_least + 0.05, (time, span, steal))
            if self.python.free_threaded:
                # Its GIL is disabled: they wait for a CPU only, and no GIL wait is made up.
                self.assertEqual(time.by_reason["GIL"], 0, (time, span))
            else:
                self.assertGreater(time.share({"GIL"}), 2 * time.share({"runqueue"}), (time, span))
        if self.python.free_threaded:
            return
        # One GIL: together they ran Python code at most the whole time, never two at once.
        running = sum(t.by_reason[None] for t, _ in times)
        lifetime = 1e6 * (min(s["end"] for _, s in times) - max(s["start"] for _, s in times))
        self.assertLess(running, 1.1 * lifetime + 100000, times)


class GilOnly(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def test_gil_keeps_only_the_threads_holding_it(self):
        def on_cpu(*options):
            """Per thread: (samples, samples its CPU time makes)."""
            run = run_profiled(self.python, "gil_released.py", 3, options=("-F", FREQUENCY, "-v") + options)
            return {name: (sum(s.count for s in run.stacks if s.tid == thread["tid"]), thread["cpu"] * FREQUENCY)
                    for name, thread in run.result.items()}, run.stderr

        everything, _ = on_cpu()
        holding, stderr = on_cpu("--gil")
        print("\n%s: (samples, expected from CPU time) without --gil %s, with --gil %s"
              % (self.python.name, everything, holding))
        # hashlib hashes a large buffer without the GIL: on the CPU, not holding it.
        samples, expected = everything["hash_without_gil"]
        self.assertGreater(samples, 0.7 * expected, everything)
        if self.python.free_threaded:
            # Its GIL is disabled: every sample is kept, and the run says why.
            samples, expected = holding["hash_without_gil"]
            self.assertGreater(samples, 0.7 * expected, holding)
            self.assertEqual(counter(stderr, "EXIT_NOT_GIL_HOLDER"), 0, stderr)
            self.assertRegex(stderr, r"warning: PID \d+ \(.*\) is free-threaded CPython 3\.\d+\.\d+: "
                                     r"--gil keeps all of its samples while its GIL is disabled")
            return
        samples, expected = holding["hash_without_gil"]
        self.assertLess(samples, 0.2 * expected, holding)
        self.assertGreater(counter(stderr, "EXIT_NOT_GIL_HOLDER"), 0.5 * expected, stderr)
        # The Python thread holds it whenever it runs Python code: kept.
        samples, expected = holding["spin_with_gil"]
        self.assertGreater(samples, 0.7 * expected, holding)


if __name__ == "__main__":
    unittest.main(verbosity=2)
