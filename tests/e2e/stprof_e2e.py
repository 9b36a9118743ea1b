"""Helpers for the end-to-end tests: real interpreters, the real profiler, real BPF (root).

Environment (set by CTest, see tests/e2e/CMakeLists.txt):
  STPROF_BIN          the stprof-bpf executable
  STPROF_INTERPRETER  the name of an interpreter as listed by `tools/provision-interpreters --list`
  STPROF_SOURCE_DIR   the repository root
"""

import collections
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

SOURCE_DIR = os.environ.get("STPROF_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")
STPROF_BIN = os.environ.get("STPROF_BIN", "stprof-bpf")
# Where scripts are copied inside a Debian root (chroot) so the interpreter there can run them.
ROOT_SCRIPTS_DIR = "/tmp/stprof-e2e"

FRAME_RE = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


class Interpreter:
    """A CPython found by tools/provision-interpreters: on the host, or inside a Debian root."""

    def __init__(self, name, root, path, version):
        self.name = name
        self.root = None if root == "-" else root
        self.path = path
        self.version = tuple(int(part) for part in version.split("."))

    def script_path(self, script):
        """Path of tests/e2e/scripts/<script> as the interpreter sees it."""
        if not self.root:
            return os.path.join(SCRIPTS_DIR, script)
        shutil.copytree(SCRIPTS_DIR, os.path.join(self.root, ROOT_SCRIPTS_DIR.lstrip("/")),
                        dirs_exist_ok=True)
        return os.path.join(ROOT_SCRIPTS_DIR, script)

    def command(self, script, *args):
        command = [self.path, "-u", self.script_path(script)] + [str(a) for a in args]
        return (["chroot", self.root] + command) if self.root else command

    @property
    def has_qualname(self):
        return self.version >= (3, 11)

    @property
    def free_threaded(self):
        """A --disable-gil build: its executable is python3.Xt (tools/provision-interpreters)."""
        return os.path.basename(self.path).endswith("t")


def list_interpreters():
    tool = os.path.join(SOURCE_DIR, "tools", "provision-interpreters")
    output = subprocess.run([tool, "--list"], check=True, capture_output=True, text=True).stdout
    interpreters = {}
    for line in output.splitlines():
        name, root, path, version = line.split("\t")
        interpreters[name] = Interpreter(name, root, path, version)
    return interpreters


def interpreter_under_test():
    name = os.environ.get("STPROF_INTERPRETER", "debian-host-3.11")
    interpreters = list_interpreters()
    if name not in interpreters:
        raise AssertionError(
            "interpreter %s is missing: run tools/provision-interpreters (found: %s)"
            % (name, ", ".join(sorted(interpreters))))
    return interpreters[name]


class Target:
    """A workload script that prints 'ready <native tid>', waits for a line on stdin, works,
    then prints 'result <json>' and exits."""

    def __init__(self, interpreter, script, *args):
        self.process = subprocess.Popen(
            interpreter.command(script, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        ready = self.process.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise AssertionError("%s did not start: %r" % (script, ready))
        self.pid = self.process.pid
        self.ready_info = ready[1:]

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self, timeout=120):
        for line in self.process.stdout:
            if line.startswith("result "):
                self.process.wait(timeout)
                return json.loads(line[len("result "):])
        raise AssertionError("target %d printed no result (exit %s)" % (self.pid, self.process.wait()))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


class Profiler:
    """stprof-bpf running in the background, writing folded output to a temporary file."""

    def __init__(self, *args, output=None):
        self.dir = tempfile.mkdtemp(prefix="stprof-e2e-")
        self.output = output or os.path.join(self.dir, "profile.folded")
        self.process = subprocess.Popen(
            [STPROF_BIN, "-o", self.output] + [str(a) for a in args],
            stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        # Wait for the line that says sampling has begun (or for an early exit).
        for line in self.process.stderr:
            self.stderr_lines.append(line)
            if line.startswith("stprof-bpf: sampling "):
                break

    def stop(self, sig=signal.SIGINT):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.wait()

    def wait(self, timeout=120):
        rest = self.process.stderr.read()
        self.stderr_lines.extend(rest.splitlines(keepends=True))
        self.returncode = self.process.wait(timeout)
        self.stderr = "".join(self.stderr_lines)
        return self.returncode

    def profile(self):
        with open(self.output, encoding="utf-8") as f:
            return Folded(f.read())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


ProfiledRun = collections.namedtuple("ProfiledRun", "result stacks stderr pid ready_info")


def run_profiled(interpreter, script, *args, options=()):
    """Runs a Target script from `go` to its result under `stprof-bpf -p PID OPTIONS`, which
    must exit 0. Returns the script's result, the stacks of its PID, the profiler's stderr, and
    the target's PID and ready line."""
    with Target(interpreter, script, *args) as target, \
            Profiler("-p", target.pid, *options) as profiler:
        target.go()
        result = target.result()
        if profiler.wait() != 0:
            raise AssertionError("stprof-bpf exited %d\n%s" % (profiler.returncode, profiler.stderr))
        return ProfiledRun(result, profiler.profile().of_pid(target.pid), profiler.stderr,
                           target.pid, target.ready_info)


def host_steal_seconds():
    """CPU time the hypervisor took from this machine's vCPUs since boot, all of them together
    (/proc/stat). The profiler's cpu-clock counts it as the running thread's time; the thread's
    own CPU time (time.thread_time()) leaves it out."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()  # cpu user nice system idle iowait irq softirq steal
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def counter(stderr, name):
    """A sampler counter from the -v summary."""
    match = re.search(r"^stprof-bpf: counter %s = (\d+)" % name, stderr, re.MULTILINE)
    if not match:
        raise AssertionError("no counter %s in:\n%s" % (name, stderr))
    return int(match.group(1))


def run_profiler(*args, timeout=120):
    return subprocess.run([STPROF_BIN] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout)


class Frame(collections.namedtuple("Frame", "function file line")):
    @staticmethod
    def parse(text):
        match = FRAME_RE.match(text)
        if not match:
            return Frame(text, None, None)
        line = match.group("line")
        return Frame(match.group("function"), match.group("file"), int(line) if line else None)


PROCESS_RE = re.compile(r"^(?P<comm>.*) \((?P<pid>\d+)(?:, ns (?P<ns_pid>\d+))?\)$")


class Stack(collections.namedtuple("Stack", "container process thread frames count")):
    """One folded line with the default process and thread frames (and a container frame,
    when --container-frame put one there)."""

    @property
    def pid(self):
        return int(PROCESS_RE.match(self.process).group("pid"))

    @property
    def ns_pid(self):
        match = PROCESS_RE.match(self.process)
        return int(match.group("ns_pid") or match.group("pid"))

    @property
    def functions(self):
        return [frame.function for frame in self.frames]

    @property
    def tid(self):
        """The thread id from the 'name (tid)' thread frame."""
        return int(self.thread.rpartition("(")[2].rstrip(")"))


class Folded:
    def __init__(self, text):
        self.text = text
        self.stacks = []
        for line in text.splitlines():
            stack_text, _, count = line.rpartition(" ")
            parts = stack_text.split(";")
            container = parts.pop(0) if parts[0].startswith("container:") else None
            self.stacks.append(Stack(container, parts[0], parts[1],
                                     [Frame.parse(p) for p in parts[2:]], int(count)))

    @property
    def total(self):
        return sum(stack.count for stack in self.stacks)

    def of_pid(self, pid):
        return [s for s in self.stacks if s.pid == pid]

    @property
    def pids(self):
        return {s.pid for s in self.stacks}

    def with_leaf(self, function, stacks=None):
        return [s for s in (stacks or self.stacks) if s.frames and s.frames[-1].function == function]


CGROUP2_MOUNT = "/sys/fs/cgroup/unified"


class Container:
    """What a container runtime makes, with no runtime: a cgroup v2 directory named like a
    Docker container, PID and mount namespaces of its own, and a chroot into a Debian root from
    the test-interpreter cache. Processes are started inside with `spawn`."""

    def __init__(self, interpreter, prefix="docker"):
        assert interpreter.root, "a container needs an interpreter inside a Debian root"
        self.interpreter = interpreter
        self.id = secrets.token_hex(32)
        self.cgroup = os.path.join(CGROUP2_MOUNT, "stprof-e2e", "%s-%s.scope" % (prefix, self.id))
        os.makedirs(self.cgroup)
        self.launchers = []

    def spawn(self, script, *args):
        """Starts `script` inside; returns the Popen of the launcher (outside the namespace)."""
        command = self.interpreter.command(script, *args)  # chroot ROOT python ...
        shell = 'echo $$ > "$0/cgroup.procs" && exec unshare --pid --mount --fork "$@"'
        launcher = subprocess.Popen(["sh", "-c", shell, self.cgroup] + command)
        self.launchers.append(launcher)
        return launcher

    def pids(self):
        """Host PIDs of the Python processes inside."""
        result = []
        for pid in map(int, self._members()):
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().startswith("python"):
                        result.append(pid)
            except OSError:
                pass
        return result

    def close(self):
        for launcher in self.launchers:
            if launcher.poll() is None:
                launcher.kill()
            launcher.wait()
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(lambda: not self._members())
        os.rmdir(self.cgroup)

    def _members(self):
        with open(os.path.join(self.cgroup, "cgroup.procs")) as f:
            return f.read().split()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def script_line(script, marker):
    """1-based number of the line in tests/e2e/scripts/<script> that contains `marker`."""
    with open(os.path.join(SCRIPTS_DIR, script), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if marker in line:
                return number
    raise AssertionError("no %r in %s" % (marker, script))


def wait_until(predicate, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
