"""CPython builds that are not a plain `python3.X` executable, profiled as real processes.

- embedded: a C host linked with libpython3.11 runs the script with PyRun_SimpleFile; a C host
  that dlopens libpython3.11.so.1.0 runs it through PyRun_SimpleString (tests/e2e/embed/, built
  by tests/e2e/CMakeLists.txt);
- gdb, which links libpython3.11 and runs the script as a Python command file;
- Debian's python3.11-dbg (Py_DEBUG);
- interpreters stprof-bpf does not support (2.7, 3.7): one warning line each, and the others are
  still profiled.

For each build the test checks what a user sees: samples of that PID whose frames are the
script's call chain root first, with qualified names and files, under a process frame that shows
the process's own comm (the host's name, not python)."""

import os
import re
import shutil
import subprocess
import unittest

from stprof_e2e import (SCRIPTS_DIR, Profiler, Target, interpreter_under_test,
                        list_interpreters, run_profiled, script_line)

FREQUENCY = 999
SECONDS = 4
# As in test_scenarios.py: the heavy() leaf share within this many percentage points of the
# script's own thread_time() measurement.
SHARE_TOLERANCE_PP = 3.0
SHARES_CHAIN = ["<module>", "main", "Worker.run", "heavy"]

# Interpreters older than stprof-bpf supports, when pyenv has built them on this machine.
PYENV_ROOT = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
OLD_INTERPRETERS = [os.path.join(PYENV_ROOT, "versions/2.7.18/bin/python2.7"),
                    os.path.join(PYENV_ROOT, "versions/3.7.16/bin/python3.7")]


class Program:
    """Runs a workload script the way Target expects of an interpreter: `command(script, *args)`
    is `make_command(path of tests/e2e/scripts/<script>, [args as strings])`."""

    def __init__(self, name, make_command):
        self.name = name
        self.make_command = make_command

    def command(self, script, *args):
        return self.make_command(os.path.join(SCRIPTS_DIR, script), [str(a) for a in args])


def host(environment_variable, what):
    path = os.environ.get(environment_variable, "")
    if not path or not os.access(path, os.X_OK):
        raise AssertionError(
            "%s is missing (%s=%r): install libpython3.11-dev (tools/install-deps), re-run cmake "
            "and build" % (what, environment_variable, path))
    return Program(os.path.basename(path), lambda script, args: [path, script] + args)


def gdb_program():
    gdb = shutil.which("gdb")
    if not gdb:
        raise AssertionError("gdb is missing: install it (tools/install-deps)")

    def command(script, args):
        # -x runs a .py file as Python (PyRun_SimpleFile in Debian's gdb 13); sys.argv first.
        set_argv = "python import sys; sys.argv = %r" % ([script] + args)
        return [gdb, "-batch", "-nx", "-ex", set_argv, "-x", script]
    return Program("gdb", command)


def comm_of(path):
    """The comm the kernel gives a process exec'd from `path` (at most 15 bytes)."""
    return os.path.basename(path)[:15]


def close(process):
    """Ends a process started with pipes to and from it, whatever state it is in."""
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdin.close()
    process.stdout.close()


class Builds(unittest.TestCase):
    def run_to_its_result(self, process):
        """Drives a shares.py process from its `ready` line through `go` to its result and exit."""
        self.assertEqual(process.stdout.readline().split()[0], "ready")
        process.stdin.write("go\n")
        process.stdin.flush()
        self.assertTrue(process.stdout.readline().startswith("result "))
        self.assertEqual(process.wait(30), 0)

    def profile_shares(self, program, comm):
        """Runs shares.py under `program`, profiled by PID until it exits; checks the process and
        thread frames of every stack, the hot line and the heavy() share. Returns the stacks
        whose leaf is heavy()."""
        spent, stacks, stderr, pid, ready_info = run_profiled(program, "shares.py", SECONDS,
                                                              options=("-F", FREQUENCY))
        self.assertTrue(stacks, "no samples of PID %d (%s)\n%s" % (pid, program.name, stderr))
        tid = int(ready_info[0])
        for stack in stacks:
            self.assertEqual(stack.process, "%s (%d)" % (comm, pid), stack)
            self.assertEqual(stack.thread, "%s (%d)" % (comm, tid), stack)
        heavy = [s for s in stacks if s.frames and s.frames[-1].function == "heavy"]
        light = [s for s in stacks if s.frames and s.frames[-1].function == "light"]
        self.assertTrue(heavy and light, stacks[:5])

        heavy_samples = sum(s.count for s in heavy)
        light_samples = sum(s.count for s in light)
        self.assertGreater(heavy_samples + light_samples, 1000, "too few samples to judge shares")
        by_line = {}
        for stack in heavy:
            by_line[stack.frames[-1].line] = by_line.get(stack.frames[-1].line, 0) + stack.count
        self.assertEqual(max(by_line, key=by_line.get), script_line("shares.py", "HOT-HEAVY"),
                         by_line)
        measured = 100.0 * spent["heavy"] / (spent["heavy"] + spent["light"])
        profiled = 100.0 * heavy_samples / (heavy_samples + light_samples)
        print("%s: heavy share measured %.1f%%, profiled %.1f%% (%d samples)"
              % (program.name, measured, profiled, heavy_samples + light_samples))
        self.assertLess(abs(measured - profiled), SHARE_TOLERANCE_PP)
        return heavy

    def assert_script_chain(self, stacks, above=()):
        """Every stack is `above` (frames, as (function, file)) then shares.py's own chain."""
        for stack in stacks:
            self.assertEqual(stack.functions, [f for f, _ in above] + SHARES_CHAIN, stack)
            for frame, (_, file) in zip(stack.frames, above):
                self.assertEqual(frame.file, file, stack)
            for frame in stack.frames[len(above):]:
                self.assertTrue(frame.file.endswith("/scripts/shares.py"), frame)

    def test_host_linking_libpython(self):
        program = host("STPROF_HOST_LINKED", "the host linked with libpython3.11")
        heavy = self.profile_shares(program, comm_of(program.name))
        # PyRun_SimpleFile: the script's <module> is the root frame.
        self.assert_script_chain(heavy)

    def test_host_linking_libpython_started_during_the_run(self):
        """A program that links libpython, exec'd while the profiler runs, is registered once its
        dynamic loader has mapped libpython: through the exec event's retries (which measure
        exec-to-registration), not left to a later rescan."""
        program = host("STPROF_HOST_LINKED", "the host linked with libpython3.11")
        comm = comm_of(program.name)
        with Profiler("--comm", "^%s$" % re.escape(comm), "-F", 199, "-v") as profiler:
            process = subprocess.Popen(program.command("shares.py", 2), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True)
            try:
                self.run_to_its_result(process)
            finally:
                close(process)
            self.assertEqual(profiler.stop(), 0, profiler.stderr)
            heavy = [s for s in profiler.profile().of_pid(process.pid)
                     if s.frames and s.frames[-1].function == "heavy"]
        self.assertIn("1 process(es) registered after exec", profiler.stderr)
        self.assertTrue(heavy, "no samples of PID %d\n%s" % (process.pid, profiler.stderr))
        self.assert_script_chain(heavy)

    def test_host_dlopening_libpython(self):
        program = host("STPROF_HOST_DLOPEN", "the host that dlopens libpython3.11")
        heavy = self.profile_shares(program, comm_of(program.name))
        # PyRun_SimpleString's code (file "<string>") execs the compiled script.
        self.assert_script_chain(heavy, above=[("<module>", "<string>")])

    def test_host_loading_libpython_after_the_profiler_started(self):
        """--all-python finds a process that dlopens libpython after the profiler has already
        seen it as a non-Python process, as it finds a newly started one."""
        program = host("STPROF_HOST_DLOPEN", "the host that dlopens libpython3.11")
        process = subprocess.Popen(
            program.command("shares.py", 6), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=dict(os.environ, STPROF_HOST_DLOPEN_WAIT="1"))
        try:
            self.assertEqual(process.stdout.readline().split(), ["waiting", str(process.pid)])
            with Profiler("--all-python", "-F", 199) as profiler:
                # Sampling has begun, so the first scan saw this process without libpython.
                process.stdin.write("\n")
                process.stdin.flush()
                self.run_to_its_result(process)
                self.assertEqual(profiler.stop(), 0, profiler.stderr)
                heavy = [s for s in profiler.profile().of_pid(process.pid)
                         if s.frames and s.frames[-1].function == "heavy"]
            self.assertTrue(heavy, "no samples of PID %d, which loaded libpython after the "
                            "profiler's first scan\n%s" % (process.pid, profiler.stderr))
            self.assert_script_chain(heavy, above=[("<module>", "<string>")])
        finally:
            close(process)

    def test_gdb(self):
        program = gdb_program()
        linked = subprocess.run(["ldd", shutil.which("gdb")], capture_output=True, text=True)
        self.assertIn("libpython3.11.so", linked.stdout, "this gdb does not embed CPython 3.11")
        heavy = self.profile_shares(program, "gdb")
        self.assert_script_chain(heavy)

    def test_debug_build(self):
        interpreters = list_interpreters()
        name = "debian-host-3.11-dbg"
        if name not in interpreters:
            raise AssertionError("%s is missing: install python3.11-dbg (tools/install-deps)" % name)
        python = interpreters[name]
        # The premise: a Py_DEBUG build (sys.gettotalrefcount exists only there).
        debug = subprocess.run([python.path, "-c", "import sys; print(hasattr(sys, 'gettotalrefcount'))"],
                               capture_output=True, text=True, check=True)
        self.assertEqual(debug.stdout.strip(), "True", python.path)
        heavy = self.profile_shares(python, comm_of(python.path))
        self.assert_script_chain(heavy)


class Unsupported(unittest.TestCase):
    def test_old_interpreter_is_named_and_others_are_profiled(self):
        old = [path for path in OLD_INTERPRETERS if os.access(path, os.X_OK)]
        if not old:
            self.skipTest("none of %s is installed (pyenv)" % ", ".join(OLD_INTERPRETERS))
        supported = interpreter_under_test()
        waiting = []
        try:
            for path in old:
                waiting.append(Target(Program(path, lambda script, args, path=path:
                                              [path, "-u", script] + args), "waiting.py"))
            with Target(supported, "shares.py", 6) as target:
                target.go()
                with Profiler("--all-python", "-d", 3, "-F", 199) as profiler:
                    self.assertEqual(profiler.wait(), 0, profiler.stderr)
                    folded = profiler.profile()
                self.assertTrue(folded.with_leaf("heavy", folded.of_pid(target.pid)),
                                "no samples of the supported PID %d\n%s"
                                % (target.pid, profiler.stderr))
            for path, process in zip(old, waiting):
                version = re.search(r"python(\d+\.\d+)$", path).group(1)
                expected = ("stprof-bpf: warning: PID %d (%s): CPython %s is not supported"
                            % (process.pid, comm_of(path), version))
                lines = [line for line in profiler.stderr.splitlines()
                         if line.startswith("stprof-bpf: warning: PID %d " % process.pid)]
                # One line, once (not again at every rescan), naming the process and its version.
                self.assertEqual(len(lines), 1, profiler.stderr)
                self.assertTrue(lines[0].startswith(expected), (lines[0], expected))
                self.assertFalse(folded.of_pid(process.pid))
        finally:
            for process in waiting:
                process.kill()


if __name__ == "__main__":
    unittest.main(verbosity=2)
