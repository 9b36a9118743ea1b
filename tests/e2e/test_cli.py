"""What a user sees on bad input and at the edges of a run, with the host's python3.11.

Every failure is one line naming the process and what to do, with a non-zero exit code, and the
processes that can be profiled still are."""

import glob
import gzip
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from stprof_e2e import (SCRIPTS_DIR, STPROF_BIN, Profiler, Target, counter, interpreter_under_test,
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


class SavedProfileCommands(unittest.TestCase):
    """convert and diff read files: they run as any user, and a bad file is one line naming it
    and the place where it goes wrong."""

    FOLDED = ("python3 (42);MainThread (42);main (app.py:3);work (app.py:9) 30\n"
              "python3 (42);MainThread (42);main (app.py:3) 10\n")

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stprof-cli-")
        os.chmod(self.dir, 0o777)  # writable by nobody

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, content):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        return path

    def test_as_an_unprivileged_user(self):
        before = self.write("before.folded", self.FOLDED)
        after = self.write("after.folded", self.FOLDED.replace(" 30\n", " 90\n"))
        nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", STPROF_BIN]
        out = os.path.join(self.dir, "out")
        result = subprocess.run(nobody + ["convert", before, "-o", out + ".pb.gz", "-o",
                                          out + ".svg"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        result = subprocess.run(nobody + ["convert", out + ".pb.gz"], capture_output=True,
                                text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "".join(sorted(self.FOLDED.splitlines(True))))
        result = subprocess.run(nobody + ["diff", before, after], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        # work: 30 of 40 samples before, 90 of 100 after; BEFORE scaled to AFTER's total; the
        # process and thread levels merged (PIDs differ between runs).
        self.assertEqual(result.stdout,
                         "main (app.py:3) 25 10\nmain (app.py:3);work (app.py:9) 75 90\n")

    def assert_one_line_error(self, args, code, *words):
        result = run_profiler(*args)
        self.assertEqual(result.returncode, code, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertTrue(lines[0].startswith("stprof-bpf: error: ") or code == 2, lines)
        if code == 1:
            self.assertEqual(len(lines), 1, result.stderr)
        for word in words:
            self.assertIn(word, lines[0])

    def test_bad_files(self):
        good = self.write("good.folded", self.FOLDED)
        truncated = self.write("cut.folded", self.FOLDED[:-5])  # "...;main (app.py:3"
        self.assert_one_line_error(["convert", truncated], 1,
                                   "cut.folded: folded: line 2: '(app.py:3' is not a count")
        pprof = gzip.compress(b"\x0a\x04\x08\x01\x10\x02" * 200)
        cut = self.write("cut.pb.gz", pprof[:len(pprof) // 2])
        self.assert_one_line_error(["convert", cut, "-o", os.path.join(self.dir, "x.svg")], 1,
                                   "cut.pb.gz: gzip: byte %d: the compressed data ends early"
                                   % (len(pprof) // 2))
        garbage = self.write("bad.pb", b"\x0f\x01\x02")
        self.assert_one_line_error(["convert", garbage], 1, "bad.pb: pprof: byte 0: field 1")
        json_path = self.write("bad.json", '{"shared": {"frames": [')
        self.assert_one_line_error(["diff", good, json_path], 1,
                                   "bad.json: speedscope: byte 23: not JSON")
        self.assert_one_line_error(["convert", os.path.join(self.dir, "missing.folded")], 1,
                                   "cannot read", "missing.folded", "No such file")
        self.assert_one_line_error(["diff", good, good, "-o", "d.pb.gz"], 2,
                                   "pprof cannot show a difference")
        self.assert_one_line_error(["convert", good, "-d", "3"], 2)
        self.assert_one_line_error(["diff", good], 2)


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

    def test_all_python_narrowed_by_a_selector(self):
        """--all-python is the set --comm narrows: together they profile the matching process
        and no other (the `record` command name changes nothing)."""
        links = tempfile.mkdtemp(prefix="stprof-comm-")
        burn = os.path.join(SCRIPTS_DIR, "burn.py")
        processes = {}
        try:
            for name in ("stprof-match", "stprof-other"):  # the comm is the name exec'd
                os.symlink(self.python.path, os.path.join(links, name))
                processes[name] = subprocess.Popen([os.path.join(links, name), burn, "3"])
            with Profiler("record", "--all-python", "--comm", "^stprof-match$", "-d", 1.5,
                          "-F", 199) as profiler:
                self.assertEqual(profiler.wait(), 0, profiler.stderr)
                profile = profiler.profile()
            self.assertTrue(profile.of_pid(processes["stprof-match"].pid), profiler.stderr)
            self.assertFalse(profile.of_pid(processes["stprof-other"].pid), profiler.stderr)
        finally:
            for process in processes.values():
                process.kill()
                process.wait()
            shutil.rmtree(links)

    def test_selector_that_matched_nothing_exits_3(self):
        for selector in (["--container", "deadbeef"], ["--comm", "^nosuch-program$"]):
            with Profiler(*selector, "-d", 1) as profiler:
                self.assertEqual(profiler.wait(), 3, (selector, profiler.stderr))
            warnings = [line for line in profiler.stderr.splitlines() if "warning" in line]
            self.assertEqual(len(warnings), 1, profiler.stderr)
            self.assertIn("no Python process matched %s %s during the run" % tuple(selector),
                          warnings[0])

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
