"""The output formats, read by the programs people read them with, from real recordings of
tests/e2e/scripts/shares.py under the host's python3.11.

Every recording also writes folded output (`-o` is repeatable), so each format's total is
compared with the folded total of the same run. Clients: `go tool pprof` (golang-go), Chromium
(headless, pages served on 127.0.0.1 only), speedscope (npm, installed by
tools/setup-output-clients under STPROF_CACHE), python3-jsonschema, python3-pil. A missing client
fails the test that needs it and says how to install it.
"""

import functools
import http.server
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import tempfile
import termios
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from stprof_e2e import (STPROF_BIN, Folded, Profiler, Target, interpreter_under_test,
                        run_profiled, run_profiler, wait_until)

CACHE = os.environ.get("STPROF_CACHE", "/var/cache/stprof-bpf")
SPEEDSCOPE_DIR = os.path.join(CACHE, "npm", "node_modules", "speedscope", "dist", "release")
SVG_NS = "{http://www.w3.org/2000/svg}"
SECONDS = 3


def require(condition, what):
    if not condition:
        raise AssertionError("%s is missing: run tools/install-deps and tools/setup-output-clients"
                             % what)


def chromium():
    path = shutil.which("chromium")
    require(path, "chromium (Debian package chromium)")
    return path


class Chromium:
    """Headless Chromium with a fresh profile directory, no network besides what we serve."""

    def __init__(self):
        self.binary = chromium()
        self.dir = tempfile.mkdtemp(prefix="stprof-chromium-")

    def run(self, url, *args, timeout=120):
        command = [self.binary, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", "--hide-scrollbars",
                   "--user-data-dir=" + tempfile.mkdtemp(dir=self.dir),
                   "--window-size=1200,700", "--virtual-time-budget=15000"] + list(args) + [url]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def dom(self, url):
        result = self.run(url, "--dump-dom")
        if result.returncode != 0:
            raise AssertionError("chromium failed: %s" % result.stderr[-2000:])
        return result.stdout

    def screenshot(self, url, path):
        result = self.run(url, "--screenshot=" + path)
        if result.returncode != 0 or not os.path.exists(path):
            raise AssertionError("chromium took no screenshot: %s" % result.stderr[-2000:])
        return path

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class LocalServer:
    """Serves a directory on 127.0.0.1 (an ephemeral port) from a thread."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = "http://127.0.0.1:%d/" % self.httpd.server_address[1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def colourful_pixels(png_path):
    """How many pixels are clearly coloured (not white, grey or black)."""
    from PIL import Image
    image = Image.open(png_path).convert("RGB")
    count = 0
    for r, g, b in image.getdata():
        if max(r, g, b) - min(r, g, b) > 40:
            count += 1
    return count, image.size


class Outputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()
        cls.dir = tempfile.mkdtemp(prefix="stprof-outputs-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def record(self, *args, seconds=SECONDS):
        """Profiles shares.py for `seconds`; returns (folded of the same run, profiler)."""
        with Target(self.python, "shares.py", seconds + 30) as target, \
                Profiler("-p", target.pid, "-F", 499, "-d", seconds, *args) as profiler:
            target.go()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            folded = profiler.profile()
        self.assertGreater(folded.total, 300, profiler.stderr)
        self.assertTrue(folded.with_leaf("heavy"), folded.text)
        return folded, profiler

    def path(self, name):
        return os.path.join(self.dir, name)

    # --- pprof -------------------------------------------------------------------------------

    def test_pprof_read_by_go_tool_pprof(self):
        require(shutil.which("go"), "go (Debian package golang-go)")
        pb = self.path("cpu.pb.gz")
        folded, _ = self.record("-o", pb)
        env = dict(os.environ, HOME=self.dir, PPROF_TMPDIR=self.dir, GOFLAGS="-mod=mod",
                   GOTOOLCHAIN="local")

        def pprof(*args):
            result = subprocess.run(["go", "tool", "pprof", "-symbolize=none"] + list(args) + [pb],
                                    capture_output=True, text=True, env=env, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            return result.stdout

        samples = pprof("-sample_index=samples", "-top", "-nodecount=100")
        total = re.search(r"of (\d+) total", samples)
        self.assertTrue(total, samples)
        self.assertEqual(int(total.group(1)), folded.total, samples)
        self.assertIn("heavy", samples)
        # cpu: samples x 1e9 / 499 ns
        cpu = pprof("-sample_index=cpu", "-unit=ms", "-top")
        millis = re.search(r"of ([\d.]+)ms total", cpu)
        self.assertTrue(millis, cpu)
        self.assertAlmostEqual(float(millis.group(1)), folded.total * 1000.0 / 499, delta=1.0)
        # Labels (pid, comm, thread_name, tid) are there.
        tags = pprof("-tags")
        for label in ("pid", "tid", "comm", "thread_name"):
            self.assertIn(label, tags)
        # Function level: heavy's share by pprof equals the folded one.
        heavy = sum(s.count for s in folded.stacks if s.frames and s.frames[-1].function == "heavy")
        peek = pprof("-sample_index=samples", "-top", "-focus=^heavy$")
        focused = re.search(r"of (\d+) total", peek)
        shown = re.search(r"accounting for (\d+),", peek)
        self.assertTrue(focused and shown, peek)
        self.assertEqual(int(shown.group(1)), heavy, peek)

    # --- speedscope --------------------------------------------------------------------------

    def test_speedscope_valid_and_loaded_by_speedscope(self):
        require(os.path.exists(os.path.join(SPEEDSCOPE_DIR, "index.html")),
                "speedscope (npm, under %s)" % SPEEDSCOPE_DIR)
        try:
            import jsonschema
        except ImportError:
            require(False, "python3-jsonschema")
        profile_path = self.path("profile.speedscope.json")
        folded, _ = self.record("-o", profile_path)
        with open(profile_path, encoding="utf-8") as f:
            document = json.load(f)
        with open(os.path.join(SPEEDSCOPE_DIR, "file-format-schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator(schema).validate(document)
        self.assertEqual(sum(sum(p["weights"]) for p in document["profiles"]), folded.total)
        frames = document["shared"]["frames"]
        self.assertIn("heavy", {frame["name"] for frame in frames})
        self.assertTrue(all(frame["file"].endswith("shares.py") for frame in frames
                            if frame["name"] in ("heavy", "light", "main")))
        (name,) = [p["name"] for p in document["profiles"]]  # one thread

        site = tempfile.mkdtemp(dir=self.dir)
        for entry in os.listdir(SPEEDSCOPE_DIR):
            os.symlink(os.path.join(SPEEDSCOPE_DIR, entry), os.path.join(site, entry))
        shutil.copy(profile_path, os.path.join(site, "profile.json"))
        server, browser = LocalServer(site), Chromium()
        try:
            url = server.base + "index.html#profileURL=" + server.base + "profile.json"
            dom = browser.dom(url)
            self.assertIn("<title>%s - speedscope</title>" % document["name"], dom)
            self.assertIn(name, dom)  # the profile's name in speedscope's toolbar
            png = browser.screenshot(url, self.path("speedscope.png"))
            coloured, size = colourful_pixels(png)
            # The flame chart: rows of coloured boxes across the window.
            self.assertGreater(coloured, size[0] * size[1] // 50, png)
        finally:
            server.close()
            browser.close()

    # --- svg ---------------------------------------------------------------------------------

    def test_svg_parses_renders_and_reacts(self):
        try:
            import PIL  # noqa: F401
        except ImportError:
            require(False, "python3-pil")
        svg_path = self.path("flame.svg")
        folded, _ = self.record("-o", svg_path)
        frames = ET.parse(svg_path).getroot().find(SVG_NS + "g[@id='frames']")
        self.assertIsNotNone(frames)
        boxes = frames.findall(SVG_NS + "g")
        self.assertEqual(boxes[0].find(SVG_NS + "title").text.split("\n")[0], "all")
        self.assertEqual(int(boxes[0].get("data-n")), folded.total)
        names = {box.find(SVG_NS + "title").text.split("\n")[0] for box in boxes}
        self.assertTrue(any(name.startswith("heavy (") for name in names), names)

        site = tempfile.mkdtemp(dir=self.dir)
        shutil.copy(svg_path, os.path.join(site, "flame.svg"))
        with open(os.path.join(site, "check.html"), "w") as f:
            f.write(SVG_CHECK_PAGE)
        server, browser = LocalServer(site), Chromium()
        try:
            png = browser.screenshot(server.base + "flame.svg", self.path("flame.png"))
            coloured, size = colourful_pixels(png)
            self.assertGreater(coloured, 1000, png)
            # Hover, click-to-zoom and search, driven in the page (check.html).
            dom = browser.dom(server.base + "check.html")
            result = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
            self.assertTrue(result, dom[-3000:])
            facts = dict(line.split(" ", 1) for line in result.group(1).strip().splitlines())
            self.assertNotIn("error", facts, facts)
            self.assertTrue(facts["details"].startswith("heavy ("), facts)
            self.assertIn("samples (", facts["details"])
            self.assertEqual(facts["zoomed-width"], "1180.00", facts)  # the whole width
            self.assertEqual(facts["hidden-after-zoom"], "true", facts)  # light is not under heavy
            light = sum(s.count for s in folded.stacks if "light" in s.functions)
            matched = float(re.search(r"Matched: ([\d.]+)%", facts["matched"]).group(1))
            self.assertAlmostEqual(matched, 100.0 * light / folded.total, delta=0.1)
        finally:
            server.close()
            browser.close()

    # --- tree and top ------------------------------------------------------------------------

    def test_tree_and_top_agree_with_folded(self):
        tree_path, top_path = self.path("calls.tree"), self.path("hot.top")
        folded, _ = self.record("-o", tree_path, "-o", top_path, "--min-percent", "0")
        with open(tree_path, encoding="utf-8") as f:
            tree = f.read().splitlines()
        self.assertIn("call tree of %d samples" % folded.total, tree[0])
        roots = [line for line in tree[1:] if line[16] != " "]
        self.assertEqual(len(roots), 1, tree)  # one process
        self.assertTrue(roots[0].startswith("100.0%"), roots)
        self.assertTrue(any(re.search(r"\bheavy \(.*shares\.py:\d+\)$", l) for l in tree), tree)
        with open(top_path, encoding="utf-8") as f:
            top = f.read().splitlines()
        rows = [line.split() for line in top[1:]]
        self.assertEqual(sum(int(row[2]) for row in rows), folded.total, top)
        self.assertEqual(rows[0][3], "heavy", top)  # the hottest line of the hottest function
        self.assertAlmostEqual(sum(float(row[0].rstrip("%")) for row in rows), 100.0, delta=1.0)

    # --- flags -------------------------------------------------------------------------------

    def test_explicit_format_and_grouping_flags(self):
        out = self.path("profile.out")
        folded, _ = self.record("-o", out, "--format", "folded", "--merged", "--no-thread",
                                "--no-lineno")
        with open(out, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(sum(int(l.rpartition(" ")[2]) for l in lines), folded.total)
        for line in lines:
            first = line.split(";")[0]  # no process or thread frame
            self.assertTrue(first.startswith("<module> (") or first.startswith("["), line)
            self.assertNotRegex(line, r"\.py:\d+\)", line)  # no line numbers
        # heavy's lines (12 and 13) and the process/thread levels merged: one stack.
        heavy_file = folded.with_leaf("heavy")[0].frames[-1].file
        heavy = [l for l in lines if l.rpartition(" ")[0].endswith("heavy (%s)" % heavy_file)]
        self.assertEqual(len(heavy), 1, lines)
        self.assertEqual(int(heavy[0].rpartition(" ")[2]),
                         sum(s.count for s in folded.with_leaf("heavy")))

    def test_unknown_format_is_a_usage_error(self):
        result = run_profiler("--format", "flamegraph", "-d", 1)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--format", result.stderr)
        result = run_profiler("-o", "-", "-o", "-", "-d", 1)
        self.assertEqual(result.returncode, 2, result.stderr)

    def run_on_shares(self, *args, seconds=2):
        with Target(self.python, "shares.py", seconds + 30) as target:
            target.go()
            return subprocess.run([STPROF_BIN, "-p", str(target.pid), "-F", "499",
                                   "-d", str(seconds)] + list(args),
                                  capture_output=True, text=True, timeout=120)

    def test_json_summary(self):
        # The profile in a file: the JSON object alone on stdout, no summary lines on stderr.
        path = self.path("j.folded")
        result = self.run_on_shares("-o", path, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stdout)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(summary["samples"], Folded(f.read()).total)
        self.assertEqual(summary["processes"], 1)
        self.assertEqual(summary["threads"], 1)
        self.assertEqual(summary["frequency_hz"], 499)
        self.assertEqual(summary["exit_code"], 0)
        self.assertEqual(summary["outputs"], [{"path": path, "format": "folded"}])
        self.assertIn("samples_recorded", summary["counters"])
        self.assertNotIn("Python samples from", result.stderr)
        # The profile on stdout: the JSON object is the last line of stderr.
        result = self.run_on_shares("--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stderr.strip().splitlines()[-1])
        self.assertEqual(summary["samples"], Folded(result.stdout).total)
        self.assertEqual(summary["outputs"], [{"path": "-", "format": "folded"}])

    # --- terminal ----------------------------------------------------------------------------

    def test_status_line_on_a_terminal_stderr(self):
        master, slave = pty.openpty()
        try:
            with Target(self.python, "shares.py", 30) as target:
                target.go()
                process = subprocess.Popen(
                    [STPROF_BIN, "-p", str(target.pid), "-d", "2.5", "-o", self.path("s.folded")],
                    stderr=slave, stdout=subprocess.DEVNULL)
                os.close(slave)
                slave = None
                text = read_until_exit(master, process)
            self.assertEqual(process.returncode, 0, text)
            self.assertRegex(text, r"\r\x1b\[Kstprof-bpf: \d+ s, \d+ samples, 1 process\(es\)")
            # Cleared before the summary.
            self.assertRegex(text, r"\r\x1b\[Kstprof-bpf: \d+ Python samples from")
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)

    def test_live_top_in_a_terminal_quits_on_q(self):
        master, slave = pty.openpty()
        before = termios.tcgetattr(slave)
        try:
            with Target(self.python, "shares.py", 60) as target:
                target.go()
                process = subprocess.Popen([STPROF_BIN, "top", "-p", str(target.pid), "-F", "499"],
                                           stdin=slave, stdout=slave, stderr=slave,
                                           process_group=0)  # its own, not orphaned: it can stop
                screen = read_until(master, lambda text: "heavy" in text and "samples" in text, 20)
                raw = termios.tcgetattr(slave)
                self.assertFalse(raw[3] & termios.ICANON, "not in raw mode")
                # Suspended (as by Ctrl-Z), the terminal is the shell's again; resumed, raw again.
                os.kill(process.pid, signal.SIGTSTP)
                read_until(master, lambda text: "\x1b[?1049l" in text, 10)
                self.assertTrue(wait_until(lambda: process_state(process.pid) == "T"))
                self.assertEqual(termios.tcgetattr(slave), before, "terminal not restored on Ctrl-Z")
                os.kill(process.pid, signal.SIGCONT)
                read_until(master, lambda text: "\x1b[?1049h" in text, 10)
                self.assertFalse(termios.tcgetattr(slave)[3] & termios.ICANON, "not raw again")
                started = time.monotonic()
                os.write(master, b"q")
                rest = read_until_exit(master, process, timeout=10)
                self.assertLess(time.monotonic() - started, 5)
            self.assertEqual(process.returncode, 0, screen + rest)
            self.assertIn("\x1b[?1049h", screen)  # alternate screen
            self.assertRegex(screen, r"stprof-bpf top: \d+ s, \d+ samples, 1 process\(es\) at 499 Hz")
            self.assertRegex(screen, r"self%\s+total%\s+samples\s+function")
            self.assertIn("\x1b[?1049l", rest)  # back to the main screen
            self.assertEqual(termios.tcgetattr(slave), before, "terminal not restored")
        finally:
            os.close(master)
            os.close(slave)

    def test_live_top_without_a_terminal_prints_snapshots(self):
        with Target(self.python, "shares.py", 30) as target:
            target.go()
            result = subprocess.run([STPROF_BIN, "top", "-p", str(target.pid), "-d", "3.5",
                                     "-o", self.path("live.folded")],
                                    capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("\x1b", result.stdout)
        snapshots = [s for s in result.stdout.split("\n\n") if s.strip()]
        self.assertGreaterEqual(len(snapshots), 2, result.stdout)
        for snapshot in snapshots:
            self.assertRegex(snapshot.splitlines()[0], r"^stprof-bpf top: \d+ s, \d+ samples")
        self.assertIn("heavy", snapshots[-1])
        # -o in the live view still writes the profile at the end.
        with open(self.path("live.folded"), encoding="utf-8") as f:
            self.assertTrue(Folded(f.read()).with_leaf("heavy"))


class SavedProfiles(unittest.TestCase):
    """`convert` and `diff` on real recordings: what they write is compared with what the
    recorder wrote directly, and with what the workload measured itself."""

    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()
        cls.dir = tempfile.mkdtemp(prefix="stprof-saved-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def convert(self, *args):
        result = run_profiler("convert", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def pprof_traces(self, path):
        """The samples of a pprof file as `go tool pprof -traces` lists them (labels, value,
        frames with lines), as a sorted list: the order of samples in a file is not a fact."""
        require(shutil.which("go"), "go (Debian package golang-go)")
        env = dict(os.environ, HOME=self.dir, PPROF_TMPDIR=self.dir, GOFLAGS="-mod=mod",
                   GOTOOLCHAIN="local")
        result = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-traces", "-lines",
                                 "-sample_index=samples", path],
                                capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        blocks = result.stdout.split("-----------+-------------------------------------------------------")
        return sorted(block.strip() for block in blocks[1:])

    @staticmethod
    def speedscope_stacks(path):
        """Per profile name and unit, its stacks (frame objects) with their weights, sorted."""
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        frames = document["shared"]["frames"]
        stacks = []
        for profile in document["profiles"]:
            for sample, weight in zip(profile["samples"], profile["weights"]):
                stacks.append((profile["name"], profile["unit"],
                               json.dumps([frames[i] for i in sample], sort_keys=True), weight))
        return sorted(stacks)

    @staticmethod
    def svg_frames(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return text[text.index('<g id="frames">'):text.index("</g>\n<text id=\"details\"")]

    def test_convert_gives_the_direct_outputs_back(self):
        """One recording written in every format; its folded, pprof and speedscope files
        converted to every format give the stacks and totals the recorder wrote itself."""
        direct = {ext: self.path("direct." + ext)
                  for ext in ("folded", "pb.gz", "json", "svg", "tree", "top")}
        with Target(self.python, "shares.py", SECONDS + 30) as target, \
                Profiler("-p", target.pid, "-F", 499, "-d", SECONDS,
                         *[a for p in direct.values() for a in ("-o", p)]) as profiler:
            target.go()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
        with open(direct["folded"], encoding="utf-8") as f:
            folded = Folded(f.read())
        self.assertGreater(folded.total, 100)
        self.assertTrue(folded.with_leaf("heavy"), folded.text)
        direct_traces = self.pprof_traces(direct["pb.gz"])
        direct_stacks = self.speedscope_stacks(direct["json"])
        for source in ("folded", "pb.gz", "json"):
            out = {ext: self.path("from-%s.%s" % (source.replace(".", "-"), ext)) for ext in direct}
            self.convert(direct[source], *[a for p in out.values() for a in ("-o", p)])
            for ext in ("folded", "tree", "top"):
                with open(out[ext], encoding="utf-8") as a, open(direct[ext], encoding="utf-8") as b:
                    self.assertEqual(a.read(), b.read(), "%s from %s" % (ext, source))
            # Frames, widths, colours and titles; the subtitle names the rate, which only pprof
            # carries.
            self.assertEqual(self.svg_frames(out["svg"]), self.svg_frames(direct["svg"]), source)
            if source == "pb.gz":
                with open(out["svg"], encoding="utf-8") as a, open(direct["svg"], encoding="utf-8") as b:
                    self.assertEqual(a.read(), b.read())
            self.assertEqual(self.pprof_traces(out["pb.gz"]), direct_traces, source)
            self.assertEqual(self.speedscope_stacks(out["json"]), direct_stacks, source)

    def test_merge_adds_two_recordings_up(self):
        folded = self.path("merge-in.folded")
        with Target(self.python, "shares.py", SECONDS + 30) as target, \
                Profiler("-p", target.pid, "-F", 499, "-d", 2, output=folded) as profiler:
            target.go()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            recorded = profiler.profile()
        merged = self.path("merged.folded")
        result = run_profiler("merge", folded, folded, "-o", merged, "--no-thread")
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(merged, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(sum(int(l.rpartition(" ")[2]) for l in lines), 2 * recorded.total)
        # --no-thread: the process frame, then Python frames, no thread frame.
        for line in lines:
            self.assertIsNone(re.match(r"[^;]+ \(\d+\);[^;]+ \(\d+\);", line), line)

    def test_diff_shows_the_hot_spot_moving(self):
        """Two runs of branches.py: compute() mostly under branch_a and some under branch_c,
        then mostly under branch_b and never under branch_c. The diff colours branch_b red and
        branch_a blue, by as much as the workload measured, and lists branch_c as gone."""
        runs = []
        for name, weights in (("before", (3, 1, 1)), ("after", (1, 3, 0))):
            path = self.path(name + ".pb.gz")
            run = run_profiled(self.python, "branches.py", SECONDS, *weights,
                               options=("-F", 499, "-o", path))
            spent = run.result
            runs.append((path, {b: 100.0 * t / sum(spent.values()) for b, t in spent.items()}))
        (before, measured_before), (after, measured_after) = runs
        svg, top, folded = self.path("diff.svg"), self.path("diff.top"), self.path("diff.folded")
        result = run_profiler("diff", before, after, "-o", svg, "-o", top, "-o", folded)
        self.assertEqual(result.returncode, 0, result.stderr)

        boxes = ET.parse(svg).getroot().find(SVG_NS + "g[@id='frames']").findall(SVG_NS + "g")
        by_name = {}
        for box in boxes:
            name, numbers = box.find(SVG_NS + "title").text.split("\n")
            by_name.setdefault(name.split(" (")[0], (numbers, box.find(SVG_NS + "rect").get("fill")))
        self.assertNotIn("branch_c", by_name)  # no width in AFTER
        for branch, colour in (("branch_a", "blue"), ("branch_b", "red")):
            numbers, fill = by_name[branch]
            match = re.match(r"after: \d+ samples \(([\d.]+)%\), before: \d+ samples \(([\d.]+)%\), "
                             r"change: ([-+][\d.]+)%$", numbers)
            self.assertTrue(match, numbers)
            after_share, before_share, change = (float(g) for g in match.groups())
            # Shares as measured by the workload (thread_time per branch), within 5 points.
            self.assertAlmostEqual(after_share, measured_after[branch], delta=5, msg=numbers)
            self.assertAlmostEqual(before_share, measured_before[branch], delta=5, msg=numbers)
            self.assertAlmostEqual(change, measured_after[branch] - measured_before[branch],
                                   delta=7, msg=numbers)
            r, g, b = (int(v) for v in re.match(r"rgb\((\d+),(\d+),(\d+)\)$", fill).groups())
            if colour == "red":
                self.assertTrue(r == 255 and g == b and g < 150, (branch, fill))
            else:
                self.assertTrue(b == 255 and r == g and r < 150, (branch, fill))
        with open(svg, encoding="utf-8") as f:
            self.assertRegex(f.read(), r"<text class=\"note\"[^>]*>  [\d.]+%  branch_c \(")
        with open(top, encoding="utf-8") as f:
            text = f.read()
        gone = text.split("In BEFORE only")[1]
        self.assertRegex(gone, r"\n\s+[\d.]+%  branch_c  ")
        with open(folded, encoding="utf-8") as f:
            lines = [line.rsplit(" ", 2) for line in f.read().splitlines()]
        self.assertTrue(all(len(parts) == 3 for parts in lines), lines)
        self.assertTrue(any("branch_c" in stack and after_value == "0"
                            for stack, _, after_value in lines), lines)

        site = tempfile.mkdtemp(dir=self.dir)
        shutil.copy(svg, os.path.join(site, "flame.svg"))
        with open(os.path.join(site, "check.html"), "w") as f:
            f.write(SVG_CHECK_PAGE.replace("heavy (", "branch_b (").replace("light (", "branch_a (")
                    .replace('search.value = "light"', 'search.value = "branch_b"'))
        server, browser = LocalServer(site), Chromium()
        try:
            dom = browser.dom(server.base + "check.html")
            result = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
            self.assertTrue(result, dom[-3000:])
            facts = dict(line.split(" ", 1) for line in result.group(1).strip().splitlines())
            self.assertNotIn("error", facts, facts)
            self.assertRegex(facts["details"], r"^branch_b \(.* \u2014 after: \d+ samples .*, "
                                               r"before: .*, change: \+")
            self.assertEqual(facts["zoomed-width"], "1180.00", facts)
            self.assertEqual(facts["hidden-after-zoom"], "true", facts)
            matched = float(re.search(r"Matched: ([\d.]+)%", facts["matched"]).group(1))
            self.assertAlmostEqual(matched, measured_after["branch_b"], delta=5)
        finally:
            server.close()
            browser.close()


def process_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rpartition(")")[2].split()[0]


def read_until(master, predicate, timeout):
    text = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate(text):
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                text += os.read(master, 65536).decode("utf-8", "replace")
            except OSError:
                break
    if not predicate(text):
        raise AssertionError("terminal never showed what was expected: %r" % text[-2000:])
    return text


def read_until_exit(master, process, timeout=60):
    text = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            text += chunk.decode("utf-8", "replace")
        elif process.poll() is not None:
            break
    process.wait(10)
    return text


# Loaded next to flame.svg: drives the flame graph's own script like a person would, then
# prints what it saw into <pre id="result"> for --dump-dom.
SVG_CHECK_PAGE = """<!DOCTYPE html>
<html><body>
<iframe id="frame" src="flame.svg" width="1200" height="600"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById("frame").addEventListener("load", function () {
  var doc = this.contentDocument, out = [];
  try {
    var frames = Array.prototype.slice.call(doc.querySelectorAll("g.f"));
    var title = function (g) { return g.querySelector("title").textContent; };
    var heavy = frames.filter(function (g) { return title(g).indexOf("heavy (") === 0; })[0];
    var light = frames.filter(function (g) { return title(g).indexOf("light (") === 0; })[0];
    heavy.querySelector("rect").dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
    out.push("details " + doc.getElementById("details").textContent);
    heavy.querySelector("rect").dispatchEvent(new MouseEvent("click", {bubbles: true}));
    out.push("zoomed-width " + heavy.querySelector("rect").getAttribute("width"));
    out.push("hidden-after-zoom " + (light.style.display === "none"));
    var search = doc.getElementById("search");
    search.value = "light";
    search.dispatchEvent(new Event("input"));
    out.push("matched " + doc.getElementById("matched").textContent);
  } catch (e) {
    out.push("error " + e);
  }
  document.getElementById("result").textContent = out.join("\\n");
});
</script>
</body></html>
"""


if __name__ == "__main__":
    unittest.main(verbosity=2)
