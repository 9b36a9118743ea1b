"""`stprof-bpf dump -p PID` against real interpreters (one CTest test per interpreter, as the
scenarios): every thread of dump_target.py shows its own Python stack and what it is doing,
checked against the thread ids and functions the script reports itself; and the process goes
on."""

import json
import os
import subprocess
import unittest

from stprof_e2e import STPROF_BIN, Target, interpreter_under_test, run_profiler, script_line

# time.sleep(): clock_nanosleep from 3.11, select() before (glibc may issue pselect6).
SLEEP_STATES = {"in clock_nanosleep", "in nanosleep", "in select", "in pselect6"}
# A thread burning CPU: on one, waiting for one (2 CPUs, other tests), or for the GIL.
BUSY_STATES = {"running", "waiting for a CPU", "waiting for the GIL"}
ATTEMPTS = 5  # dumps until the sleeper is caught asleep (it wakes every 20 ms, for microseconds)


def dump_json(pid):
    result = run_profiler("dump", "-p", pid, "--json")
    if result.returncode != 0:
        raise AssertionError("dump failed (%d): %s" % (result.returncode, result.stderr))
    return json.loads(result.stdout)


def functions(thread):
    return [frame["function"] for frame in thread["frames"]]


class Dump(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def test_every_thread_with_its_stack_and_state(self):
        with Target(self.python, "dump_target.py") as target:
            tid_of = json.loads(target.ready_info[0])
            dumps = [dump_json(target.pid) for _ in range(ATTEMPTS)]
            target.go()  # stops it
            target.result()
        for dump in dumps:
            self.assertEqual(dump["pid"], target.pid)
            self.assertEqual([t["tid"] for t in dump["threads"]], sorted(tid_of.values()), dump)
        reader_line = script_line("dump_target.py", "os.read(fd, 1)")

        def thread(dump, name):
            return next(t for t in dump["threads"] if t["tid"] == tid_of[name])

        for dump in dumps:
            reader = thread(dump, "reader_waits")
            self.assertEqual(reader["state"], "in read", reader)
            self.assertEqual(reader["frames"][0]["function"], "reader_waits", reader)
            self.assertEqual(reader["frames"][0]["line"], reader_line, reader)
            self.assertTrue(reader["frames"][0]["file"].endswith("/dump_target.py"), reader)
            main = thread(dump, "main")
            self.assertEqual(main["state"], "in futex", main)
            self.assertIn("main", functions(main))
            self.assertEqual(functions(main)[-1], "<module>", main)
            burner = thread(dump, "burner_spins")
            self.assertIn(burner["state"], BUSY_STATES, burner)
            self.assertEqual(functions(burner)[0], "burner_spins", burner)
            self.assertIn("sleeper_naps", functions(thread(dump, "sleeper_naps")))
        asleep = [thread(d, "sleeper_naps")["state"] for d in dumps]
        self.assertTrue(SLEEP_STATES & set(asleep), asleep)

    def test_text_output_names_the_process_and_each_thread(self):
        with Target(self.python, "waits.py", 1) as target:
            result = run_profiler("dump", "-p", target.pid)
            target.go()
            target.result()
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("Process %d: " % target.pid), lines[0])
        self.assertIn("(Python %s" % ".".join(map(str, self.python.version[:2])), lines[0])
        threads = [line for line in lines if line.startswith("Thread ")]
        self.assertEqual(len(threads), 2, result.stdout)  # main and the reader, before `go`
        self.assertTrue(any(line.endswith(": in read") for line in threads), threads)
        self.assertIn("    reader_waits (", result.stdout)

    def test_bad_targets(self):
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            result = run_profiler("dump", "-p", sleeper.pid)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("is not a Python process", result.stderr)
        finally:
            sleeper.kill()
            sleeper.wait()
        result = run_profiler("dump")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--pid", result.stderr)
        self.assertTrue(os.access(STPROF_BIN, os.X_OK))


if __name__ == "__main__":
    unittest.main(verbosity=2)
