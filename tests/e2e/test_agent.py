"""End-to-end tests of `stprof-bpf agent` (root, real BPF, Debian's python3.11 as the workload).

No Pyroscope server is reachable here, so a loopback receiver plays one: it implements the
ingest API as Pyroscope documents it (POST /ingest?name=APP.cpu{k=v,...}&from=&until=
&format=pprof, the pprof in the body) and checks every request with real decoders: the query
with urllib, the gzipped body with the classes protoc generates from the project's
userspace/render/profile.proto (python3-protobuf). Two services are two cgroups named like
systemd units (svc-alpha.service, svc-beta.service), each running a worker that burns CPU in a
function of its own. The assertions: one push per service per interval, windows that touch
with no gap or overlap, the labels, and every service's samples summed over its pushes equal
to the -o recording of the same run; then a backend that refuses connections, hangs, answers
500 and 429, then recovers (nothing lost that fit in the spool, sampling never stalls), one
that never comes back (drops counted), a restart that sends what the spool directory kept,
and bad flags.
"""

import base64
import gzip
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stprof_e2e import CGROUP2_MOUNT, SCRIPTS_DIR, SOURCE_DIR, STPROF_BIN, wait_until  # noqa: E402

PYTHON = "/usr/bin/python3.11"
NAME_RE = re.compile(r"^(?P<app>[^{}]+)\.(?P<kind>cpu|wall)\{(?P<labels>[^{}]*)\}$")
SAMPLE_RATE_HZ = 99


def load_profile_classes():
    """profile_pb2, generated now by protoc from the project's profile.proto."""
    out = tempfile.mkdtemp(prefix="stprof-e2e-proto-")
    subprocess.run(["protoc", "--python_out", out, "-I", os.path.join(SOURCE_DIR, "userspace", "render"),
                    "profile.proto"], check=True)
    sys.path.insert(0, out)
    import profile_pb2  # noqa: E402
    return profile_pb2


profile_pb2 = load_profile_classes()


def decode_pprof(body):
    message = profile_pb2.Profile()
    message.ParseFromString(gzip.decompress(body))
    return message


def leaf_functions(message):
    """The names of the functions that are some sample's leaf."""
    names = {f.id: message.string_table[f.name] for f in message.function}
    locations = {loc.id: names[loc.line[0].function_id] for loc in message.location}
    return {locations[sample.location_id[0]] for sample in message.sample}


def all_functions(message):
    return {message.string_table[f.name] for f in message.function}


class Push:
    """One request the receiver accepted, decoded."""

    def __init__(self, query, headers, body):
        match = NAME_RE.match(query["name"])
        if not match:
            raise AssertionError("name %r is not APP.KIND{labels}" % query["name"])
        self.app = match.group("app")
        self.kind = match.group("kind")
        self.labels = dict(pair.split("=", 1) for pair in match.group("labels").split(",") if pair)
        self.start = int(query["from"])
        self.end = int(query["until"])
        self.headers = headers
        self.body = body
        self.profile = decode_pprof(body)
        self.samples = sum(sample.value[0] for sample in self.profile.sample)


class Receiver:
    """A Pyroscope on loopback. `behave(n)` answers the n-th request (from 0): ("ok",),
    ("status", CODE[, RETRY_AFTER]) or ("hang", SECONDS); a request that breaks the ingest
    contract is answered 400 and kept in `broken`."""

    def __init__(self, port=0, behave=lambda n: ("ok",)):
        receiver = self
        self.pushes = []
        self.broken = []
        self.count = 0
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    n = receiver.count
                    receiver.count += 1
                action = behave(n)
                if action[0] == "hang":
                    time.sleep(action[1])
                    return
                if action[0] == "status":
                    self.send_response(action[1])
                    if len(action) > 2:
                        self.send_header("Retry-After", str(action[2]))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    push = receiver.check(self.path, dict(self.headers), body)
                except Exception as error:  # any broken request: answered 400 and kept
                    with receiver.lock:
                        receiver.broken.append("%s: %s" % (self.path, error))
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.pushes.append(push)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def check(path, headers, body):
        url = urllib.parse.urlsplit(path)
        if url.path != "/ingest":
            raise AssertionError("not /ingest")
        query = urllib.parse.parse_qs(url.query, strict_parsing=True)
        for key, values in query.items():
            if len(values) != 1:
                raise AssertionError("%s given %d times" % (key, len(values)))
        query = {key: values[0] for key, values in query.items()}
        for required in ("name", "from", "until"):
            if required not in query:
                raise AssertionError("no %s" % required)
        if query.get("format") != "pprof":
            raise AssertionError("format %r" % query.get("format"))
        push = Push(query, headers, body)
        if push.end <= push.start:
            raise AssertionError("until %d is not after from %d" % (push.end, push.start))
        return push

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def read(path):
    with open(path) as f:
        return f.read()


def free_port():
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Services:
    """Workers in cgroups named like systemd services under one test cgroup: `--cgroup
    self.selector` selects them and nothing else on the host."""

    def __init__(self, kinds, seconds=120):
        self.parent = os.path.join(CGROUP2_MOUNT, "stprof-e2e", "agent-" + secrets.token_hex(4))
        self.selector = "/" + os.path.relpath(self.parent, CGROUP2_MOUNT)
        self.workers = {}  # pid -> service
        self.clocks = {}   # service -> the file its worker writes its CPU time to
        self.processes = []
        self.dir = tempfile.mkdtemp(prefix="stprof-e2e-workers-")
        for kind in kinds:
            cgroup = os.path.join(self.parent, "svc-%s.service" % kind)
            os.makedirs(cgroup)
            clock = os.path.join(self.dir, kind + ".clock")
            shell = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
            process = subprocess.Popen(["sh", "-c", shell, cgroup, PYTHON,
                                        os.path.join(SCRIPTS_DIR, "service_worker.py"), kind, str(seconds), clock])
            self.processes.append(process)
            self.workers[process.pid] = "svc-" + kind
            self.clocks["svc-" + kind] = clock
        for process in self.processes:  # exec'd into python3.11
            if not wait_until(lambda: read("/proc/%d/comm" % process.pid).startswith("python")):
                raise AssertionError("worker %d did not start" % process.pid)

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for cgroup in os.listdir(self.parent):
            path = os.path.join(self.parent, cgroup)
            if os.path.isdir(path):
                wait_until(lambda: not read(os.path.join(path, "cgroup.procs")).strip())
                os.rmdir(path)
        os.rmdir(self.parent)
        shutil.rmtree(self.dir, ignore_errors=True)

    def cpu_seconds(self, service, start, end):
        """The CPU time the service's worker measured itself between the starts of two wall-clock
        seconds; None when it wrote no time for one of them."""
        times = {}
        for line in read(self.clocks[service]).splitlines():
            second, cpu = line.split()
            times.setdefault(int(second), float(cpu))
        if start not in times or end not in times:
            return None
        return times[end] - times[start]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Agent:
    """`stprof-bpf agent ARGS --json -o DIR/total.pb.gz` in the background (without --json
    when `json` is false)."""

    def __init__(self, *args, json=True):
        self.dir = tempfile.mkdtemp(prefix="stprof-e2e-agent-")
        self.total_path = os.path.join(self.dir, "total.pb.gz")
        self.json = json
        self.process = subprocess.Popen([STPROF_BIN, "agent", "-o", self.total_path] +
                                        (["--json"] if json else []) + [str(a) for a in args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout=120):
        stdout, self.stderr = self.process.communicate(timeout=timeout)
        if self.process.returncode != 0:
            raise AssertionError("agent exited %d:\n%s" % (self.process.returncode, self.stderr))
        self.summary = json.loads(stdout.strip().splitlines()[-1]) if self.json else None
        return self.summary

    def total_by_pid(self):
        """Samples per PID in the -o recording of the whole run."""
        with open(self.total_path, "rb") as f:
            message = decode_pprof(f.read())
        pid_key = list(message.string_table).index("pid")
        per_pid = {}
        for sample in message.sample:
            pid = next(label.num for label in sample.label if label.key == pid_key)
            per_pid[pid] = per_pid.get(pid, 0) + sample.value[0]
        return per_pid

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stprof-e2e-agent-test-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def by_service(self, pushes):
        """Pushes per service, in time order; each (service, from) once."""
        services = {}
        for push in pushes:
            services.setdefault(push.app, []).append(push)
        for app, series in services.items():
            series.sort(key=lambda p: p.start)
            starts = [p.start for p in series]
            self.assertEqual(len(starts), len(set(starts)), "%s pushed an interval twice: %s" % (app, starts))
        return services

    def assert_contiguous(self, series, interval):
        """Windows touch: each ends where the next begins; the inner ones are whole intervals
        on multiples of the interval."""
        windows = [(p.start, p.end) for p in series]
        for before, after in zip(windows, windows[1:]):
            self.assertEqual(before[1], after[0], "gap or overlap: %s" % windows)
        for start, end in windows[1:-1]:
            self.assertEqual(start % interval, 0, windows)
            self.assertEqual(end - start, interval, windows)

    def assert_totals_match(self, services, pushes_by_service, agent):
        """Each service's samples over its pushes equal its processes' in the -o recording."""
        per_pid = agent.total_by_pid()
        for pid, service in services.workers.items():
            self.assertIn(pid, per_pid, "worker %d is not in the -o recording" % pid)
            pushed = sum(p.samples for p in pushes_by_service.get(service, []))
            self.assertEqual(pushed, per_pid[pid], "%s: pushed samples against -o" % service)

    def assert_never_stalled(self, services, series):
        """Sampling went on through every interval: the samples of the whole intervals, each
        standing for 1/99 s of the worker's CPU, come to its own CPU time over the same seconds
        (a sample is counted at the drain after it: a second's worth of slack). A stall would
        leave intervals short, or pile their samples into a later one."""
        inner = series[1:-1]
        self.assertTrue(inner, "no whole interval")
        cpu = services.cpu_seconds(inner[0].app, inner[0].start, inner[-1].end)
        self.assertIsNotNone(cpu, "the worker wrote no CPU time for those seconds")
        samples = sum(push.samples for push in inner)
        self.assertAlmostEqual(samples / SAMPLE_RATE_HZ, cpu, delta=0.15 * cpu + 1.0,
                               msg="%s: %d samples over [%d, %d), worker's CPU %.2f s"
                               % (inner[0].app, samples, inner[0].start, inner[-1].end, cpu))
        for push in inner:
            own = services.cpu_seconds(push.app, push.start, push.end)
            if own is not None and own > 0.5 * (push.end - push.start):  # it had the CPU
                self.assertGreater(push.samples, 0, "%s [%d, %d): no sample" % (push.app, push.start, push.end))

    def test_one_push_per_service_and_interval_labelled_and_summing_to_the_run(self):
        credentials = os.path.join(self.dir, "credentials")
        with open(credentials, "w") as f:
            f.write("ingest:s3cret\n")
        out_dir = os.path.join(self.dir, "profiles")
        receiver = Receiver()
        try:
            with Services(["alpha", "beta"]) as services, \
                    Agent("--pyroscope", "http://127.0.0.1:%d/" % receiver.port, "--pyroscope-tenant", "team-a",
                          "--pyroscope-basic-auth-file", credentials, "--output-dir", out_dir,
                          "--interval", "2s", "--label", "env=e2e", "--cgroup", services.selector,
                          "-d", 9) as agent:
                summary = agent.wait()
                self.assertEqual(receiver.broken, [])
                pushes = self.by_service(receiver.pushes)
                self.assertEqual(sorted(pushes), ["svc-alpha", "svc-beta"])
                for app, series in pushes.items():
                    self.assertGreaterEqual(len(series), 4, "9 s at 2 s intervals")
                    self.assert_contiguous(series, 2)
                    self.assert_never_stalled(services, series)
                    own, other = ("work_alpha", "work_beta") if app == "svc-alpha" else ("work_beta", "work_alpha")
                    for push in series:
                        self.assertEqual(push.kind, "cpu")
                        self.assertEqual(push.labels["service_name"], app)
                        self.assertEqual(push.labels["host"], socket.gethostname())
                        self.assertEqual(push.labels["env"], "e2e")
                        self.assertRegex(push.labels["python_version"], r"^3\.11\.\d+$")
                        self.assertEqual(set(push.labels), {"service_name", "host", "env", "python_version"})
                        self.assertEqual(push.headers.get("X-Scope-OrgID"), "team-a")
                        self.assertEqual(push.headers.get("Authorization"),
                                         "Basic " + base64.b64encode(b"ingest:s3cret").decode())
                        self.assertEqual(push.profile.time_nanos, push.start * 10**9)
                        self.assertEqual(push.profile.duration_nanos, (push.end - push.start) * 10**9)
                        comments = {push.profile.string_table[i] for i in push.profile.comment}
                        self.assertIn("service_name=" + app, comments)
                        self.assertIn(own, all_functions(push.profile))
                        self.assertNotIn(other, all_functions(push.profile), "another service's stacks")
                        self.assertEqual(leaf_functions(push.profile), {"spin"})
                self.assert_totals_match(services, pushes, agent)

                count = len(receiver.pushes)
                self.assertEqual(summary["agent"]["profiles"], count)
                for sink in ("pyroscope", "output-dir"):
                    self.assertEqual(summary["agent"]["sinks"][sink]["delivered"], count, sink)
                    self.assertEqual(summary["agent"]["sinks"][sink]["dropped"], 0, sink)
                # The directory holds the same profiles, byte for byte, listed in time order.
                files = os.listdir(out_dir)
                self.assertEqual(len(files), count)
                expected = sorted(receiver.pushes, key=lambda p: (p.start, p.app))
                self.assertEqual(sorted(files), [
                    time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(p.start)) + "-" + p.app + ".pb.gz"
                    for p in expected])
                for name, push in zip(sorted(files), expected):
                    with open(os.path.join(out_dir, name), "rb") as f:
                        self.assertEqual(f.read(), push.body, name)
        finally:
            receiver.close()

    def test_a_failing_backend_loses_nothing_that_fits_the_spool(self):
        port = free_port()  # nothing listens at first: connections are refused
        out_dir = os.path.join(self.dir, "profiles")

        def behave(n):  # once it listens: hangs, 500 twice, 429, then takes everything
            return [("hang", 3), ("status", 500), ("status", 500), ("status", 429, 1)][n] if n < 4 else ("ok",)

        receiver = None
        try:
            with Services(["alpha", "beta"]) as services, \
                    Agent("--pyroscope", "http://127.0.0.1:%d" % port, "--interval", "1s",
                          "--pyroscope-timeout", "1s", "--retry-max", "1s", "--flush-timeout", "30s",
                          "--output-dir", out_dir, "--retain-size", "1",
                          "--cgroup", services.selector) as agent:
                time.sleep(3)
                receiver = Receiver(port, behave)
                time.sleep(8)
                agent.process.send_signal(signal.SIGTERM)  # flushes the open interval
                stopped = int(time.time())
                summary = agent.wait()
                self.assertEqual(receiver.broken, [])
                pushes = self.by_service(receiver.pushes)
                self.assertEqual(sorted(pushes), ["svc-alpha", "svc-beta"])
                for series in pushes.values():
                    self.assert_contiguous(series, 1)
                    self.assert_never_stalled(services, series)
                    self.assertGreaterEqual(series[-1].end, stopped - 1, "the last interval was flushed")
                self.assert_totals_match(services, pushes, agent)
                pyroscope = summary["agent"]["sinks"]["pyroscope"]
                self.assertEqual(pyroscope["delivered"], len(receiver.pushes))
                self.assertEqual(pyroscope["delivered"], summary["agent"]["profiles"])
                self.assertEqual(pyroscope["dropped"], 0)
                self.assertEqual(pyroscope["queued"], 0)
                self.assertGreaterEqual(pyroscope["failures"], 5, "refused, timed out, 500, 500, 429")
                self.assertIn("pyroscope: Couldn't connect to server; retrying with backoff", agent.stderr)
                self.assertIn("pyroscope: delivering again after", agent.stderr)
                # The other sink was not held up, and its retention kept the newest file alone.
                self.assertEqual(summary["agent"]["sinks"]["output-dir"]["delivered"], summary["agent"]["profiles"])
                self.assertEqual(summary["agent"]["sinks"]["output-dir"]["failures"], 0)
                self.assertEqual(len(os.listdir(out_dir)), 1)
        finally:
            if receiver:
                receiver.close()

    def test_what_the_spool_cannot_hold_is_dropped_and_counted(self):
        with Services(["alpha"]) as services, \
                Agent("--pyroscope", "http://127.0.0.1:%d" % free_port(), "--spool-memory", "1",
                      "--interval", "1s", "--flush-timeout", "1s", "--cgroup", services.selector,
                      "-d", 5) as agent:
            summary = agent.wait(timeout=60)
            profiles = summary["agent"]["profiles"]
            self.assertGreaterEqual(profiles, 4)
            pyroscope = summary["agent"]["sinks"]["pyroscope"]
            self.assertEqual(pyroscope["dropped"], profiles)
            self.assertEqual(pyroscope["delivered"], 0)
            self.assertIn("pyroscope: the profile of svc-alpha was dropped: the spool is full", agent.stderr)
            self.assertEqual(summary["samples"], sum(agent.total_by_pid().values()))
            self.assertGreater(summary["samples"], 0)

    def test_a_restart_sends_what_the_spool_directory_kept(self):
        spool = os.path.join(self.dir, "spool")
        port = free_port()
        with Services(["alpha"]) as services:
            with Agent("--pyroscope", "http://127.0.0.1:%d" % port, "--spool-dir", spool, "--interval", "1s",
                       "--flush-timeout", "1s", "--cgroup", services.selector, "-d", 4) as first:
                kept = first.wait()["agent"]
                self.assertEqual(kept["sinks"]["pyroscope"]["dropped"], 0)
                self.assertEqual(kept["sinks"]["pyroscope"]["queued"], kept["profiles"])
                first_total = sum(first.total_by_pid().values())
            self.assertEqual(len(os.listdir(os.path.join(spool, "pyroscope"))), kept["profiles"])
            receiver = Receiver(port)
            try:
                with Agent("--pyroscope", "http://127.0.0.1:%d" % port, "--spool-dir", spool,
                           "--interval", "1s", "--cgroup", services.selector, "-d", 3) as second:
                    summary = second.wait()
                    self.assertIn("pyroscope: %d profile(s) left by an earlier run go first" % kept["profiles"],
                                  second.stderr)
                    pushes = receiver.pushes
                    self.assertEqual(len(pushes), kept["profiles"] + summary["agent"]["profiles"])
                    earlier = pushes[:kept["profiles"]]
                    self.assertEqual(sum(p.samples for p in earlier), first_total)
                    self.assert_contiguous(earlier, 1)
                    self.assertLessEqual(earlier[-1].end, pushes[kept["profiles"]].start)
                    self.assertEqual(os.listdir(os.path.join(spool, "pyroscope")), [])
            finally:
                receiver.close()

    def test_sighup_reopens_the_log_file_and_rereads_the_token(self):
        log = os.path.join(self.dir, "agent.log")
        token = os.path.join(self.dir, "token")
        with open(token, "w") as f:
            f.write("first-token\n")
        receiver = Receiver()
        try:
            with Services(["alpha"]) as services, \
                    Agent("--pyroscope", "http://127.0.0.1:%d" % receiver.port, "--pyroscope-token-file", token,
                          "--log-file", log, "--interval", "1s", "--cgroup", services.selector, "-d", 6,
                          json=False) as agent:
                self.assertTrue(wait_until(lambda: len(receiver.pushes) >= 2, timeout=20))
                os.rename(log, log + ".1")  # as logrotate does
                with open(token, "w") as f:
                    f.write("second-token\n")
                agent.process.send_signal(signal.SIGHUP)
                agent.wait()
                self.assertEqual(agent.stderr, "", "stderr goes to the log file")
                self.assertIn("stprof-bpf: sampling the selected Python processes", read(log + ".1"))
                self.assertRegex(read(log), r"stprof-bpf: pyroscope: (\d+) of \1 profile\(s\) delivered")
                tokens = [push.headers.get("Authorization") for push in receiver.pushes]
                self.assertEqual(tokens[0], "Bearer first-token")
                self.assertEqual(tokens[-1], "Bearer second-token")
                switch = tokens.index("Bearer second-token")
                self.assertEqual(set(tokens[:switch]), {"Bearer first-token"})
                self.assertEqual(set(tokens[switch:]), {"Bearer second-token"})
        finally:
            receiver.close()

    def test_bad_flags_are_one_line_and_a_nonzero_exit(self):
        out = os.path.join(self.dir, "out")
        cases = [
            (["agent"], 2, "agent: nowhere to send profiles: give --pyroscope URL and/or --output-dir DIR"),
            (["agent", "--output-dir", out, "--label", "1x=y"], 2, "--label '1x=y': write key=value"),
            (["agent", "--output-dir", out, "--interval", "0"], 2, "--interval: '0' is not a duration"),
            (["agent", "--output-dir", out, "--spool-memory", "lots"], 2, "--spool-memory: 'lots' is not a size"),
            (["agent", "--output-dir", out, "--merged"], 2, "--merged: the agent's profiles have no process"),
            (["agent", "--output-dir", out, "--retain", "1x"], 2, "--retain: '1x' is not a duration"),
            (["agent", "--pyroscope-tenant", "t", "--output-dir", out], 2, "apply to --pyroscope, which is not given"),
            (["agent", "--pyroscope", "ftp://host"], 1, "--pyroscope ftp://host: not an http:// or https:// URL"),
            (["agent", "--pyroscope", "http://127.0.0.1:1", "--pyroscope-token-file", "/nonexistent/token"], 1,
             "--pyroscope-token-file /nonexistent/token: cannot read it"),
            (["agent", "--output-dir", "/proc/stprof-out"], 1, "--output-dir /proc/stprof-out"),
        ]
        for args, code, message in cases:
            result = subprocess.run([STPROF_BIN] + args, capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, code, "%s: %s" % (args, result.stderr))
            self.assertIn(message, result.stderr, args)


if __name__ == "__main__":
    unittest.main()
