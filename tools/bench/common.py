"""Processes, interpreters and profilers for the benchmark: starting a workload in an
interpreter (the host's or one in a Debian root), attaching stprof-bpf, Austin or Tachyon to
it, and the statistics every table uses. Standard library only."""
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(os.path.dirname(BENCH_DIR))
WORKLOADS = os.path.join(BENCH_DIR, "workloads")

# Every process the harness starts, so that an interrupted run leaves none behind.
_children = set()
_children_lock = threading.Lock()


def log(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def popen(command, **kwargs):
    process = subprocess.Popen(command, **kwargs)
    with _children_lock:
        _children.add(process)
    return process


def reap(process, sig=signal.SIGKILL, timeout=10):
    """Ends one process the harness started (by its own pid) and waits for it."""
    if process is None:
        return
    if process.poll() is None:
        try:
            process.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with _children_lock:
        _children.discard(process)


def reap_many(processes):
    """SIGKILL to every one first, then wait: a killed process needs CPU time to exit, and
    waiting for each in turn while the others still burn the CPUs takes minutes for hundreds."""
    for process in processes:
        if process.poll() is None:
            try:
                process.kill()
            except ProcessLookupError:
                pass
    for process in processes:
        reap(process)


def reap_all():
    with _children_lock:
        children = list(_children)
    reap_many(children)


class Lines:
    """Reads a pipe in a thread, so that a chatty child never blocks on a full pipe; lines can
    be waited for with a timeout."""

    def __init__(self, stream):
        self.lines = []
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.lines.append(line)
            self._queue.put(line)
        stream.close()
        self._queue.put(None)

    def wait_for(self, prefix, timeout):
        """The first unread line starting with prefix; None at end of stream or on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                return None
            if line is None:
                self._queue.put(None)
                return None
            if line.startswith(prefix):
                return line

    def finish(self, timeout=30):
        self._thread.join(timeout)
        return "".join(self.lines)


class Interpreter:
    """A Python interpreter on the host (root None) or inside a Debian root. Inside a root,
    commands run as `unshare -m` + a private /proc mount + chroot, so Austin and Tachyon find
    /proc there without anything mounted on the host; a profiler that attaches joins the
    target's mount namespace with nsenter, so both see the same paths."""

    def __init__(self, name, version, python, root=None):
        self.name, self.version, self.python, self.root = name, version, python, root
        self.workdir = None  # the workloads' directory as this interpreter sees it

    @property
    def label(self):
        return "CPython %s (%s)" % (self.version, self.name)

    def prepare(self):
        if self.root is None:
            self.workdir = WORKLOADS
            return
        inside = "/tmp/stprof-bench-%d" % os.getpid()
        shutil.rmtree(self.root + inside, ignore_errors=True)
        shutil.copytree(WORKLOADS, self.root + inside)
        self.workdir = inside

    def cleanup(self):
        if self.root is not None and self.workdir:
            shutil.rmtree(self.root + self.workdir, ignore_errors=True)

    def host_path(self, path):
        """Where a path inside this interpreter's root is on the host."""
        return path if self.root is None else self.root + path

    def command(self, argv):
        if self.root is None:
            return argv
        return ["unshare", "-m", "sh", "-c", 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"',
                self.root] + argv

    def script(self, name, *args, options=()):
        """A workload script; options go to the interpreter (e.g. -X perf)."""
        return self.command([self.python] + list(options) + [os.path.join(self.workdir, name)]
                            + [str(a) for a in args])

    def beside(self, target_pid, argv):
        """A command that runs in target_pid's mount namespace and root (for attaching)."""
        if self.root is None:
            return argv
        return ["nsenter", "-t", str(target_pid), "-m", "chroot", self.root] + argv


def find_interpreters():
    """The interpreters the benchmark uses, from tools/provision-interpreters --list:
    the host's /usr/bin/python3.11, trixie's 3.13 (for Austin), sid's 3.15 (for Tachyon)."""
    found = {"host": Interpreter("debian-host-3.11", "3.11", "/usr/bin/python3.11")}
    try:
        listing = subprocess.run([os.path.join(REPO_DIR, "tools", "provision-interpreters"), "--list"],
                                 capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        name, root, python, version = fields[:4]
        if name == "debian-host-3.11":
            found["host"] = Interpreter(name, version, python)
        elif name == "debian-trixie-3.13":
            found["austin"] = Interpreter(name, version, python, root)
        elif name == "debian-sid-3.15":
            found["tachyon"] = Interpreter(name, version, python, root)
    return found


class Workload:
    """One workload process speaking the workloads' protocol: "ready PID", a line on stdin to
    start, "result {json}"."""

    def __init__(self, interpreter, script, *args, ready_timeout=60, options=()):
        self.interpreter = interpreter
        self.process = popen(interpreter.script(script, *args, options=options), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.out = Lines(self.process.stdout)
        line = self.out.wait_for("ready", ready_timeout)
        if line is None:
            self.kill()
            raise RuntimeError("%s %s did not start (exit %s)" % (interpreter.name, script, self.process.poll()))
        self.pid = int(line.split()[1])

    def go(self):
        self.process.stdin.write(b"go\n")
        self.process.stdin.flush()

    def result(self, timeout=600):
        line = self.out.wait_for("result", timeout)
        if line is None:
            self.kill()
            raise RuntimeError("workload %d printed no result" % self.pid)
        self.process.wait(30)
        self.kill()
        return json.loads(line.split(None, 1)[1])

    def kill(self):
        reap(self.process)
        try:
            self.process.stdin.close()
        except OSError:
            pass


class Stprof:
    """stprof-bpf in the background; started() returns once the kernel side is attached (the
    "stprof-bpf: sampling" line), stop() ends it with SIGINT and returns the --json summary."""

    def __init__(self, binary, args, output):
        self.output = output
        self.command = [binary] + [str(a) for a in args] + ["-o", output, "--json"]
        self.process = popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = Lines(self.process.stdout)
        self.err = Lines(self.process.stderr)
        if self.err.wait_for("stprof-bpf: sampling", 120) is None:
            reap(self.process)
            raise RuntimeError("stprof-bpf did not start: %s" % self.err.finish(5).strip())
        self.pid = self.process.pid
        self.summary = None
        self.stderr = ""

    def stop(self, timeout=120):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def wait(self, timeout=120):
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            reap(self.process)
        reap(self.process)
        stdout = self.out.finish()
        self.stderr = self.err.finish()
        for line in reversed(stdout.splitlines()):
            if line.startswith("{"):
                self.summary = json.loads(line)
                break
        if self.summary is None:
            raise RuntimeError("stprof-bpf printed no summary (exit %s): %s"
                               % (self.process.returncode, self.stderr.strip()[-500:]))
        return self.summary


class Attached:
    """Austin or Tachyon attached to a workload (inside the workload's root); it ends by itself
    when the workload exits."""

    def __init__(self, command, settle, ready_file=None):
        self.command = command
        self.process = popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        self.err = Lines(self.process.stderr)
        if ready_file:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                if os.path.exists(ready_file) and os.path.getsize(ready_file) > 0:
                    break
                time.sleep(0.01)
        time.sleep(settle)
        if self.process.poll() is not None:
            raise RuntimeError("%s exited early: %s" % (command[-1], self.err.finish(5).strip()[-500:]))

    def wait(self, timeout=60):
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            reap(self.process, signal.SIGINT)
        reap(self.process)
        return self.err.finish()


def austin_command(interpreter, pid, interval_us, output_inside, cpu=False):
    """cpu: -s (--sleepless), idle samples dropped, as a CPU-time sampler sees the process."""
    return interpreter.beside(pid, ["austin"] + (["-s"] if cpu else []) + [
        "-i", str(interval_us), "-o", output_inside, "-p", str(pid)])


def perf_record_command(pid, rate_hz, output):
    """perf on the host (it follows a chrooted process by its PID): cpu-clock (no PMU needed),
    and a copy of each sample's user stack for perf script to unwind, with DWARF, up to the
    innermost `python -X perf` trampoline (Debian's CPython keeps no frame pointers, so -g stops
    in the interpreter). -N: nothing copied into ~/.debug. Ends when the process exits."""
    return ["perf", "record", "-q", "-N", "-e", "cpu-clock", "-F", str(rate_hz),
            "--call-graph", "dwarf,16384", "-p", str(pid), "-o", output]


def tachyon_command(interpreter, pid, rate_hz, output_inside):
    return interpreter.beside(pid, [interpreter.python, "-m", "profiling.sampling", "attach", "-r",
                                    str(rate_hz), "--collapsed", "-o", output_inside, str(pid)])


# ---- statistics -------------------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else float("nan")


def quartiles(values):
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def bootstrap_median_ci(values, rounds=2000, seed=1):
    """95% confidence interval of the median by bootstrap resampling (fixed seed)."""
    if len(values) < 3:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(rounds))
    return medians[int(0.025 * rounds)], medians[int(0.975 * rounds) - 1]


def linear_fit(xs, ys):
    """Least squares y = a + b x; returns a, b, r^2."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return a, b, (1 - ss_res / ss_tot) if ss_tot else 1.0


# ---- system ----------------------------------------------------------------------------

def read_sysctl(name):
    with open("/proc/sys/" + name.replace(".", "/")) as f:
        return f.read().strip()


def write_sysctl(name, value):
    with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
        f.write(str(value))


def proc_cpu_seconds(pid):
    """utime + stime of a process from /proc/PID/stat, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_runtime_seconds(pid):
    """CPU time of all of a process's threads from /proc/PID/task/*/schedstat (nanoseconds,
    not clock ticks), in seconds."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def proc_context_switches(pid):
    """Context switches of all of a process's threads so far (voluntary and not), from
    /proc/PID/task/*/status: how many times they were switched out."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def forks_since_boot():
    """The `processes` line of /proc/stat: forks on the host since boot."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("processes "):
                return int(line.split()[1])
    return 0


def cpu_steal_idle():
    """(total, idle, steal) jiffies from /proc/stat's cpu line."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4], fields[7] if len(fields) > 7 else 0


def dmesg_lines():
    try:
        return subprocess.run(["dmesg"], capture_output=True, text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return []


def command_output(argv, timeout=30):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return (result.stdout + result.stderr).strip()
    except (OSError, subprocess.SubprocessError) as error:
        return "(%s)" % error


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- parsing the profilers' outputs ------------------------------------------------------

def _folded_identity(frame, with_file):
    """stprof-bpf's `name (file:line)` -> name, or (name, file) with_file."""
    name, sep, where = frame.rpartition(" (")
    if not sep:
        return (frame, "") if with_file else frame
    return (name, where.rpartition(":")[0]) if with_file else name


def leaf_totals_folded(path, with_file=False):
    """stprof-bpf folded output -> {leaf function: samples} (leaf: its name, or (name, file)
    with_file); also the deepest stack seen."""
    totals, deepest, truncated = {}, 0, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            frames = stack.split(";")[2:]  # process and thread levels first
            if frames and frames[0] in ("[truncated]", "[partial]"):
                truncated = truncated or frames[0] == "[truncated]"
                frames = frames[1:]
            if not frames:
                continue
            name = _folded_identity(frames[-1], with_file)
            totals[name] = totals.get(name, 0) + int(count)
            deepest = max(deepest, len(frames))
    return totals, deepest, truncated


def folded_depths(path):
    """[(python frames, whole?, samples)] per folded line."""
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")[2:]
            whole = not frames or frames[0] not in ("[truncated]", "[partial]")
            rows.append((len(frames) if whole else len(frames) - 1, whole, int(count)))
    return rows


_COLON_FRAME = re.compile(r"^(?P<file>.*):(?P<function>[^:]*):(?P<line>\d*)$")


def _colon_identity(frame, with_file):
    """Austin's and Tachyon's `file:function:line` -> function, or (function, file) with_file."""
    match = _COLON_FRAME.match(frame)
    if not match:
        return (frame, "") if with_file else frame
    return (match.group("function"), match.group("file")) if with_file else match.group("function")


def leaf_totals_austin(path, with_file=False, metric=True):
    """Austin's collapsed output (`P<pid>;T<iid>:<tid>;file:function:line;... <metric>`, metric
    in microseconds: wall time, or CPU time with -s; one line per sample) -> {leaf function:
    microseconds}, or {leaf: samples} without metric; also the sample count."""
    totals, samples = {}, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith("P"):
                continue
            stack, _, value = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")[2:]
            samples += 1
            if not frames:
                continue
            name = _colon_identity(frames[-1], with_file)
            totals[name] = totals.get(name, 0) + (int(value) if metric else 1)
    return totals, samples


def leaf_totals_tachyon(path, with_file=False):
    """Tachyon's --collapsed output (`tid:N;file:function:line;... count`) -> {leaf: samples}."""
    totals, samples = {}, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [frame for frame in stack.split(";") if not frame.startswith("tid:")]
            samples += int(count)
            if not frames:
                continue
            name = _colon_identity(frames[-1], with_file)
            totals[name] = totals.get(name, 0) + int(count)
    return totals, samples


def perf_script(data, pid, perf_map):
    """`perf script` of a `perf record` of one `python -X perf` process: its samples' frames.
    perf reads the trampolines' names from the host's /tmp/perf-PID.map; a process in a chroot
    wrote it to ROOT/tmp instead (its PID is the host's: no PID namespace), so the file is
    copied there for the time of the call."""
    host_map = "/tmp/perf-%d.map" % pid
    copied = os.path.realpath(perf_map) != host_map
    if copied:
        shutil.copyfile(perf_map, host_map)
    try:
        # --no-inline: the C frames' inlined callers (addr2line for each) are not needed.
        return subprocess.run(["perf", "script", "--no-inline", "-i", data, "-F", "tid,ip,sym"],
                              capture_output=True, text=True, timeout=600).stdout
    finally:
        if copied:
            os.unlink(host_map)


def leaf_totals_perf(script_text):
    """perf script output (-F tid,ip,sym: a line with the thread id, then one tab-indented
    `address symbol` line per frame, innermost first) -> {(qualname, file): samples}, by each
    sample's innermost `py::QUALNAME:FILE` trampoline; also the sample count and how many of
    them had none (the unwinding stopped before it)."""
    leaves = []  # per sample: its innermost trampoline, None until one is seen
    for line in script_text.splitlines():
        if not line.strip():
            continue
        if not line.startswith("\t"):
            leaves.append(None)
            continue
        fields = line.split(None, 1)
        if leaves and leaves[-1] is None and len(fields) == 2 and fields[1].startswith("py::"):
            qualname, _, filename = fields[1][4:].partition(":")  # a qualname has no colon
            leaves[-1] = (qualname, filename)
    totals = {}
    for leaf in leaves:
        if leaf is not None:
            totals[leaf] = totals.get(leaf, 0) + 1
    return totals, len(leaves), leaves.count(None)
