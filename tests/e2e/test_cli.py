"""What a user sees on bad input and at the edges of a run, with the host's python3.11.

Every failure is one line naming the process and what to do, with a non-zero exit code, and the
processes that can be profiled still are."""

import glob
import os
import re
import signal
import subprocess
import time
import unittest

from stprof_e2e import (STPROF_BIN, Profiler, Target, counter, interpreter_under_test,
                        run_profiler, wait_until)


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("stprof-bpf: error:")]


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def assert_one_line_error(self, result, code, *words):
        self.assertEqual(result.returncode, code, result.stderr)
        errors = error_lines(result.stderr)
        self.assertEqual(len(errors), 1, result.stderr)
        for word in words:
            self.assertIn(word, errors[0])

    def test_missing_pid(self):
        result = run_profiler("-p", 4194300, "-d", 1)
        self.assert_one_line_error(result, 1, "no process with PID 4194300")

    def test_not_python(self):
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            result = run_profiler("-p", sleeper.pid, "-d", 1)
            self.assert_one_line_error(result, 1, "PID %d (sleep) is not a Python process" % sleeper.pid)
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_bad_arguments_exit_2(self):
        for args in (["-p", "abc"], ["-d", "-1"], ["-F", "0"], ["--all-python", "-p", "1"],
                     ["--no-such-flag"]):
            result = run_profiler(*args)
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertTrue(result.stderr.strip(), args)

    def test_unwritable_output_fails_before_recording(self):
        result = run_profiler("-d", 5, "-o", "/nonexistent-dir/profile.folded")
        self.assert_one_line_error(result, 1, "cannot create /nonexistent-dir/profile.folded")

    def test_without_privileges(self):
        result = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", STPROF_BIN,
             "-d", "1"], capture_output=True, text=True)
        self.assert_one_line_error(result, 1, "missing privileges", "sudo")

    def test_without_kernel_btf(self):
        # A private mount namespace where /sys/kernel/btf is an empty tmpfs.
        result = subprocess.run(
            ["unshare", "--mount", "sh", "-c",
             'mount -t tmpfs none /sys/kernel/btf && exec "$0" -d 1', STPROF_BIN],
            capture_output=True, text=True)
        self.assert_one_line_error(result, 1, "no BTF", "CONFIG_DEBUG_INFO_BTF")

    def test_good_and_bad_pids_profiles_the_good_one(self):
        with Target(self.python, "shares.py", 2) as target, \
                Profiler("-p", target.pid, "-p", 4194301, "-F", 499) as profiler:
            target.go()
            target.result()
            self.assertEqual(profiler.wait(), 3, profiler.stderr)
            self.assertIn("warning: no process with PID 4194301", profiler.stderr)
            self.assertTrue(profiler.profile().of_pid(target.pid))


class RunEdges(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def test_target_exits_mid_run(self):
        with Target(self.python, "shares.py", 1.5) as target, \
                Profiler("-p", target.pid, "-d", 60, "-F", 499) as profiler:
            started = time.monotonic()
            target.go()
            target.result()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            self.assertLess(time.monotonic() - started, 20, "profiler kept running")
            self.assertIn("every profiled process exited", profiler.stderr)
            folded = profiler.profile()
            self.assertGreater(folded.total, 200)
            self.assertTrue(folded.with_leaf("heavy"))

    def test_sigint_and_sigterm_write_the_whole_profile(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with Target(self.python, "shares.py", 30) as target, \
                    Profiler("-p", target.pid, "-F", 499, "-v") as profiler:
                cpu_before = cpu_seconds(target.pid)
                target.go()
                time.sleep(2.5)
                self.assertEqual(profiler.stop(sig), 0, profiler.stderr)
                cpu = cpu_seconds(target.pid) - cpu_before
                folded = profiler.profile()
                self.assertTrue(folded.text.endswith("\n"))
                # Every stack the kernel counted is in the output (but a frame not started yet),
                # drained through to the end: as many samples as the target's CPU time makes at
                # 499 Hz (about 1250 when it has a CPU to itself for the 2.5 s).
                recorded = counter(profiler.stderr, "SAMPLES_RECORDED")
                self.assertGreaterEqual(folded.total, 0.99 * recorded, (sig, recorded))
                self.assertGreater(folded.total, 0.8 * cpu * 499, (sig, cpu))
                self.assertGreater(folded.total, 100, (sig, cpu))
                summary = [l for l in profiler.stderr.splitlines() if "Python samples from" in l]
                self.assertTrue(summary, profiler.stderr)
                self.assertTrue(summary[0].startswith("stprof-bpf: %d Python samples" % folded.total),
                                (summary, folded.total))
                self.assertFalse(glob.glob(profiler.output + ".tmp-*"))

    def test_stack_deeper_than_the_limit_is_marked_truncated(self):
        depth_limit = 2048  # STPROF_MAX_DEPTH
        with Target(self.python, "recursion.py", 2500, 2) as target, \
                Profiler("-p", target.pid, "-F", 499) as profiler:
            target.go()
            target.result()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            spinning = profiler.profile().with_leaf("spin")
            self.assertTrue(spinning)
            for stack in spinning:
                # Leaf side kept, root side cut, and said so right under the thread frame.
                self.assertEqual(stack.functions[0], "[truncated]")
                self.assertEqual(stack.functions[1:], ["recurse"] * (depth_limit - 1) + ["spin"])
            self.assertIn("truncated at the depth limit", profiler.stderr)

    def test_process_started_after_the_profiler(self):
        with Profiler("--all-python", "-d", 5, "-F", 199) as profiler:
            late = subprocess.Popen(self.python.command("burn.py", 2))
            try:
                self.assertEqual(profiler.wait(), 0, profiler.stderr)
            finally:
                late.wait()
            self.assertTrue(profiler.profile().of_pid(late.pid), profiler.stderr)

    def test_profiler_runs_at_its_niceness(self):
        def niceness(pid):  # field 19 of /proc/PID/stat, counted after the ")" ending comm
            with open("/proc/%d/stat" % pid) as f:
                return int(f.read().rsplit(")", 1)[1].split()[16])
        for args, expected in (((), -10), (("--nice", 5), 5)):
            with Profiler("--all-python", "-d", 1, *args) as profiler:
                self.assertEqual(niceness(profiler.process.pid), expected, args)
                self.assertEqual(profiler.wait(), 0, profiler.stderr)

    def test_pid_samples_only_the_targets_threads(self):
        """-p follows the target's threads (and what they start); a busy bystander is never
        interrupted. Selected by name instead, every CPU is sampled and the bystander is too."""
        def not_python(stderr):
            return int(re.search(r"counter EXIT_NOT_PYTHON = (\d+)", stderr).group(1))
        bystander = subprocess.Popen(["sh", "-c", "while :; do :; done"])
        try:
            with Target(self.python, "threads.py", 4) as target:
                target.go()  # its three threads start now, while the profiler starts
                with Profiler("-p", target.pid, "-d", 2, "-F", 499, "-v") as profiler:
                    self.assertEqual(profiler.wait(), 0, profiler.stderr)
                    folded = profiler.profile()
                self.assertLess(not_python(profiler.stderr), 20, profiler.stderr)
                functions = {f.function for s in folded.stacks for f in s.frames}
                self.assertTrue({"spin_alpha", "spin_beta", "spin_gamma"} <= functions, functions)
                with open("/proc/%d/comm" % target.pid) as f:
                    comm = f.read().strip()
                with Profiler("--comm", "^%s$" % re.escape(comm), "-d", 1, "-F", 499, "-v") as profiler:
                    self.assertEqual(profiler.wait(), 0, profiler.stderr)
                self.assertGreater(not_python(profiler.stderr), 100, profiler.stderr)
        finally:
            bystander.kill()
            bystander.wait()

    def test_all_python_sees_several_processes(self):
        targets = [subprocess.Popen(self.python.command("burn.py", 4)) for _ in range(3)]
        try:
            wait_until(lambda: all(os.path.exists("/proc/%d" % t.pid) for t in targets))
            time.sleep(0.3)
            with Profiler("-d", 2, "-F", 199) as profiler:
                self.assertEqual(profiler.wait(), 0, profiler.stderr)
                folded = profiler.profile()
                for target in targets:
                    self.assertTrue(folded.with_leaf("burn", folded.of_pid(target.pid)), target.pid)
        finally:
            for target in targets:
                target.kill()
                target.wait()


if __name__ == "__main__":
    unittest.main(verbosity=2)
