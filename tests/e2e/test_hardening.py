"""Hardening, with the host's python3.11 (and 3.13-3.15 where they differ): code objects freed
and reallocated while sampled, frames pushed at a high rate, 64 threads, a target killed mid-run,
a full disk, the profiler itself killed, and the least privilege it runs with.

Every test prints what it measured (rates, counts), so a run's log documents the numbers."""

import ast
import collections
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from stprof_e2e import (SCRIPTS_DIR, STPROF_BIN, Folded, Profiler, Target, counter,
                        interpreter_under_test, list_interpreters, run_profiled, wait_until)


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("stprof-bpf: error:")]


def summary_samples(stderr):
    match = re.search(r"^stprof-bpf: (\d+) Python samples from", stderr, re.MULTILINE)
    if not match:
        raise AssertionError("no summary line in:\n%s" % stderr)
    return int(match.group(1))


def unknown_frames_reported(stderr):
    match = re.search(r"(\d+) frame\(s\) whose code object was gone", stderr)
    return int(match.group(1)) if match else 0


def function_lines(script):
    """name -> (first line, last line) of every function in tests/e2e/scripts/<script>, and
    '<module>' -> the whole file."""
    with open(os.path.join(SCRIPTS_DIR, script), encoding="utf-8") as f:
        source = f.read()
    ranges = {"<module>": (1, len(source.splitlines()))}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            ranges[node.name] = (node.lineno, node.end_lineno)
    return ranges


def loaded(interpreter_name):
    interpreters = list_interpreters()
    if interpreter_name not in interpreters:
        raise AssertionError("%s is missing: run tools/provision-interpreters" % interpreter_name)
    return interpreters[interpreter_name]


class CodeChurn(unittest.TestCase):
    """Code objects freed and reallocated all the time, at two call depths: a sample may name a
    frame `<unknown code …>`, but never with another function's name."""

    SECONDS = 6
    ITERATIONS = 3000  # per generated function: about 0.1 ms of CPU
    FREQUENCY = 999

    # The stacks the script makes, root first; LEAF:gen is what driver() calls (account() or a
    # gen_ function), LEAF:deep the same under helper() with deep_ functions, EXEC what
    # generate() runs (the <module> of the source exec'd to define a function).
    SHAPES = [["<module>"], ["<module>", "main"], ["<module>", "main", "driver"],
              ["<module>", "main", "driver", "LEAF:gen"],
              ["<module>", "main", "driver", "keep_or_drop"],
              ["<module>", "main", "driver", "generate"],
              ["<module>", "main", "driver", "generate", "EXEC"],
              ["<module>", "main", "driver", "helper"],
              ["<module>", "main", "driver", "helper", "LEAF:deep"],
              ["<module>", "main", "driver", "helper", "keep_or_drop"],
              ["<module>", "main", "driver", "helper", "generate"],
              ["<module>", "main", "driver", "helper", "generate", "EXEC"]]

    @staticmethod
    def generated_kind(frame):
        if frame.function.startswith("<unknown code"):
            return "unknown"
        if frame.file != "<generated>":
            return None
        if re.fullmatch(r"gen_\d{7}", frame.function):
            return "gen"
        if re.fullmatch(r"deep_\d{6}", frame.function):
            return "deep"
        return "exec" if frame.function == "<module>" else "other"

    def frame_verdict(self, frame, slot, partial):
        """'ok', 'unknown', 'wrong-depth', or None when the frame cannot be in that slot."""
        kind = self.generated_kind(frame)
        # A whole stack has unknown frames only where a generated function or its exec'd
        # <module> stands. A [partial] stack may have one in any slot (once on 3.12, not
        # reproduced: '[partial];<unknown code X>;<unknown code X>'): no name, so no wrong one.
        if kind == "unknown" and (partial or slot == "EXEC" or slot.startswith("LEAF:")):
            return "unknown"
        if slot == "EXEC":
            return "ok" if kind == "exec" else ("wrong-depth" if kind in ("gen", "deep") else None)
        if not slot.startswith("LEAF:"):
            return "ok" if frame.function == slot and kind is None else None
        if kind is None:
            return "ok" if frame.function == "account" else None
        if kind in ("gen", "deep"):
            return "ok" if kind == slot[len("LEAF:"):] else "wrong-depth"
        return None

    def classify(self, stack):
        """(verdict, name of the generated function in it or None); verdict is 'ok',
        'unknown' (allowed), 'wrong-depth' or 'wrong-shape'. A [partial] stack is the leaf
        side of one of the shapes."""
        frames = stack.frames
        partial = bool(frames) and frames[0].function == "[partial]"
        if partial:
            frames = frames[1:]
        for shape in self.SHAPES:
            if len(frames) > len(shape) or (not partial and len(frames) != len(shape)):
                continue
            slots = shape[len(shape) - len(frames):]
            verdicts = [self.frame_verdict(f, slot, partial) for f, slot in zip(frames, slots)]
            if not frames or None in verdicts:
                continue
            names = [f.function for f in frames if self.generated_kind(f) in ("gen", "deep")]
            for verdict in ("wrong-depth", "unknown", "ok"):
                if verdict in verdicts:
                    return verdict, (names[0] if names else None)
        return "wrong-shape", None

    def test_freed_and_reallocated_code_is_never_named_wrong(self):
        self.churn(interpreter_under_test())

    def test_freed_and_reallocated_code_is_never_named_wrong_38_312(self):
        # The code epoch is the profiler's count of the frees, by a uprobe on code_dealloc: in
        # the executable (Debian's, the test above) or in a shared libpython (pyenv's).
        self.churn(loaded("pyenv-3.8.18"))
        self.churn(loaded("pyenv-3.12.1"))

    def test_freed_and_reallocated_code_is_never_named_wrong_without_uprobe(self):
        # No code epoch on 3.11 then: fingerprints are read on every walk.
        self.churn(interpreter_under_test(), "--no-uprobe")

    def test_freed_and_reallocated_code_is_never_named_wrong_313(self):
        # The code epoch counts code objects made: each generated function moves it.
        self.churn(loaded("debian-trixie-3.13"))

    def test_freed_and_reallocated_code_is_never_named_wrong_313t(self):
        # Free-threaded: its own code epoch offset, and code objects freed late (QSBR).
        self.churn(loaded("debian-trixie-3.13t"))

    def test_freed_and_reallocated_code_is_never_named_wrong_314_315(self):
        # The code epoch counts code objects freed (_code_object_generation).
        self.churn(loaded("debian-sid-3.14"))
        self.churn(loaded("debian-sid-3.15"))

    def churn(self, python, *options):
        # Never wrong must not come from never naming them. Most generated functions are freed
        # before the profiler can read them (how many it names depends on how soon its reader
        # wakes: 0.1-40% of their samples here), but the kept ones live 2 s: at least half of
        # the samples their CPU time makes must name them. A code epoch that missed the frees
        # kept stale fingerprints, which the symbolizer refuses: then none was named at all.
        result, kept_named, total = self.churn_once(python, *options)
        expected = result["kept_calls"] * self.FREQUENCY
        print("code churn: %d samples named a kept function, %.0f expected from their CPU time"
              % (kept_named, expected))
        self.assertGreater(expected, 50, "too little CPU time in kept functions to judge")
        self.assertGreater(kept_named, 0.5 * expected, "kept generated functions hardly ever named")

    def churn_once(self, python, *options):
        """Asserts that no sample is misnamed; (the script's result, samples naming a kept
        generated function, samples)."""
        result, stacks, stderr, _, _ = run_profiled(python, "code_churn.py", self.SECONDS, self.ITERATIONS,
                                                    options=("-F", self.FREQUENCY, "-v") + options)
        total = sum(s.count for s in stacks)
        self.assertGreater(total, 300, stderr)
        by_verdict = collections.Counter()
        examples = collections.defaultdict(list)
        per_name = collections.Counter()
        for stack in stacks:
            verdict, name = self.classify(stack)
            by_verdict[verdict] += stack.count
            if name:
                per_name[name] += stack.count
            if verdict.startswith("wrong") and len(examples[verdict]) < 5:
                examples[verdict].append(";".join(f.function for f in stack.frames))
        # One generated function ran at most `longest_call` seconds of CPU: more samples than
        # that time allows under one name are samples of other functions given its name (a
        # cache that kept the name of a code object freed and replaced at the same address).
        # At least a millisecond: the cpu-clock counts the vCPU's time, which the hypervisor can
        # steal while the thread runs, and thread_time() does not (once here: 3 samples in a
        # run whose longest call took 0.33 ms).
        limit = 2 + int(3 * max(result["longest_call"], 0.001) * self.FREQUENCY)
        stale = {name: n for name, n in per_name.items() if n > limit}
        stale_samples = sum(n - limit for n in stale.values())
        generated_samples = sum(per_name.values())
        kept_samples = sum(n for name, n in per_name.items()
                           if int(name.split("_")[1]) % result["keep_every"] == 0)
        unknown_frames = unknown_frames_reported(stderr)
        print("\ncode churn (%s): %d functions of each kind generated, longest call %.2f ms, "
              "%d samples" % (python.name, result["generated"], 1000 * result["longest_call"], total))
        print("code churn: %d samples (%.1f%%) with an <unknown code> frame, %d unknown frames "
              "reported in the summary" % (by_verdict["unknown"], 100.0 * by_verdict["unknown"] / total,
                                           unknown_frames))
        print("code churn: %d samples named a generated function, under %d distinct names"
              % (generated_samples, len(per_name)))
        print("code churn: %d samples with a name from the other depth, %d of the wrong shape"
              % (by_verdict["wrong-depth"], by_verdict["wrong-shape"]))
        print("code churn: %d names with more samples than their function's CPU time allows "
              "(> %d), at least %d samples named after another function; worst: %s"
              % (len(stale), limit, stale_samples,
                 ", ".join("%s %d" % item for item in collections.Counter(stale).most_common(5))))
        for verdict, lines in examples.items():
            print("code churn: %s, e.g. %s" % (verdict, lines))
        # The fingerprint (immutable code fields + the name's content, recorded by the sampler)
        # and the symbolizer's second check after reading catch the reuse this script provokes.
        misnamed = by_verdict["wrong-depth"] + by_verdict["wrong-shape"] + stale_samples
        print("code churn: %d samples (%.2f%%) misnamed" % (misnamed, 100.0 * misnamed / total))
        self.assertEqual(misnamed, 0,
                             "samples named after the wrong function: %s, %s, stale %s"
                             % (examples["wrong-depth"], examples["wrong-shape"],
                                collections.Counter(stale).most_common(3)))
        return result, kept_samples, total


class FrameStorm(unittest.TestCase):
    """a() -> b() -> c() called in a tight loop: every stack is a prefix of the true chain."""

    SECONDS = 8
    FREQUENCY = 1999
    CHAIN = ["<module>", "main", "a", "b", "c"]

    def storm(self, python):
        ranges = function_lines("call_storm.py")
        result, stacks, stderr, _, _ = run_profiled(python, "call_storm.py", self.SECONDS,
                                                    options=("-F", self.FREQUENCY, "-v"))
        total = sum(s.count for s in stacks)
        wrong, partial, no_line = 0, 0, 0
        examples = []
        for stack in stacks:
            names = stack.functions
            is_partial = bool(names) and names[0] == "[partial]"
            if is_partial:
                names = names[1:]
                frames = stack.frames[1:]
                # The leaf side of a prefix of the chain.
                good = any(names == self.CHAIN[i:j] for j in range(1, len(self.CHAIN) + 1)
                           for i in range(j))
            else:
                frames = stack.frames
                good = names == self.CHAIN[:len(names)] and bool(names)
            for frame in frames if good else []:
                low, high = ranges[frame.function]
                if frame.line is None:
                    no_line += stack.count
                elif not low <= frame.line <= high:
                    good = False
            if not good:
                wrong += stack.count
                if len(examples) < 5:
                    examples.append("%s x%d" % (";".join("%s:%s" % (f.function, f.line) for f in stack.frames),
                                                stack.count))
            elif is_partial:
                partial += stack.count
        faults = counter(stderr, "FRAME_READ_FAULT")
        loops = counter(stderr, "FRAME_LOOP")
        recorded = counter(stderr, "SAMPLES_RECORDED")
        print("\nframe storm (%s): %d calls of a() in %d s, %d samples; wrong stacks %d (%.3f%%); "
              "[partial] stacks %d (%.3f%%); FRAME_READ_FAULT %d, FRAME_LOOP %d (%.3f%% of %d "
              "recorded); frames without a line %d"
              % (python.name, result["calls"], self.SECONDS, total, wrong, 100.0 * wrong / max(total, 1),
                 partial, 100.0 * partial / max(total, 1), faults, loops,
                 100.0 * (faults + loops) / max(recorded, 1), recorded, no_line))
        if examples:
            print("frame storm (%s): wrong stacks, e.g. %s" % (python.name, examples))
        self.assertGreater(total, 300, stderr)
        self.assertLessEqual(wrong, 0.001 * total,
                             "%s: %d of %d samples are not a prefix of <module>;main;a;b;c: %s"
                             % (python.name, wrong, total, examples))
        # Every partial stack is counted by the kernel side as one of these.
        self.assertLessEqual(partial, faults + loops)

    def test_stacks_are_prefixes_of_the_true_chain(self):
        self.storm(interpreter_under_test())

    def test_stacks_are_prefixes_of_the_true_chain_313(self):
        # 3.13: offsets from _Py_DebugOffsets, frames with an owner field and C-stack shims.
        self.storm(loaded("debian-trixie-3.13"))

    def test_stacks_are_prefixes_of_the_true_chain_313t(self):
        # Free-threaded: the same frame layout as 3.13 behind a larger object header.
        self.storm(loaded("debian-trixie-3.13t"))


class ManyStacks(unittest.TestCase):
    """More distinct stacks in one run than the kernel's stacks map holds at once (32768 chunks;
    these stacks take one each): the profiler deletes the stacks it has copied as the map fills,
    and no sample is dropped for want of room."""

    SECONDS = 8
    FREQUENCY = 10000
    DEPTH = 17  # 131072 paths through the tree
    MAP_CAPACITY = 32768

    def test_more_stacks_than_the_stacks_map_holds(self):
        python = interpreter_under_test()
        result, stacks, stderr, _, _ = run_profiled(python, "call_tree.py", self.DEPTH, self.SECONDS,
                                                    options=("-F", self.FREQUENCY, "-v"))
        at_leaf = [s for s in stacks if [f.function for f in s.frames[-2:]] == ["down", "spin"]]
        distinct = len({tuple(s.frames) for s in at_leaf})
        total = sum(s.count for s in stacks)
        dropped = counter(stderr, "EXIT_STACK_MAP_FULL")
        print("\nmany stacks (%s): %d leaves visited in %d s; %d samples, %d distinct stacks at a "
              "leaf (the map holds %d); EXIT_STACK_MAP_FULL %d, STACKS_NEW %d"
              % (python.name, result["leaves"], self.SECONDS, total, distinct, self.MAP_CAPACITY,
                 dropped, counter(stderr, "STACKS_NEW")))
        self.assertGreater(distinct, self.MAP_CAPACITY)
        self.assertEqual(dropped, 0)
        self.assertEqual(total, counter(stderr, "SAMPLES_RECORDED"))
        # Each of those stacks is the whole path: <module>, main, DEPTH + 1 calls of down, spin.
        for stack in at_leaf[:100]:
            self.assertEqual([f.function for f in stack.frames],
                             ["<module>", "main"] + ["down"] * (self.DEPTH + 1) + ["spin"])


class ManyThreads(unittest.TestCase):
    THREADS = 64

    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def test_64_threads_each_under_its_own_thread_frame(self):
        tids, stacks, stderr, _, _ = run_profiled(self.python, "many_threads.py", self.THREADS, 8,
                                                  options=("-F", 999))
        self.assertEqual(len(tids), self.THREADS)
        self.assertEqual(len(set(tids.values())), self.THREADS, tids)
        per_function = collections.Counter()
        problems = []
        for stack in stacks:
            spinners = [f.function for f in stack.frames if re.fullmatch(r"spin_\d\d", f.function)]
            if not spinners:
                continue
            if len(spinners) > 1 or stack.frames[-1].function != spinners[0]:
                problems.append("not one spin_ leaf: %s" % ";".join(stack.functions))
                continue
            name = spinners[0]
            if name not in tids:
                problems.append("unknown function %s" % name)
            elif stack.tid != tids[name]:
                problems.append("%s under thread %d, ran in thread %d" % (name, stack.tid, tids[name]))
            else:
                per_function[name] += stack.count
        missing = sorted(set(tids) - set(per_function))
        counts = sorted(per_function.values())
        print("\n64 threads: %d of %d functions seen, each in its own thread; samples per thread "
              "min %d, median %d, max %d; %d thread frames in the profile"
              % (len(per_function), self.THREADS, counts[0] if counts else 0,
                 counts[len(counts) // 2] if counts else 0, counts[-1] if counts else 0,
                 len({s.tid for s in stacks})))
        self.assertFalse(problems, problems[:10])
        self.assertFalse(missing, "never sampled in their thread: %s\n%s" % (missing, stderr))

    def test_too_few_file_descriptors_for_a_perf_event_per_thread(self):
        """-p follows each thread with a perf event of its own. With 64 threads already running
        and 60 file descriptors, that fails; every CPU is sampled instead (a busy shell loop's
        ticks show it), and every thread is still profiled."""
        bystander = subprocess.Popen(["sh", "-c", "while :; do :; done"])
        try:
            # 64 threads take turns at the GIL, some much more often than others (the other
            # test's samples per thread range from about 70 to over 1000): 6 s of profile give
            # the least lucky one a few turns, where 3 s once left one with none.
            with Target(self.python, "many_threads.py", self.THREADS, 8) as target:
                target.go()
                time.sleep(0.5)  # the threads run before the profiler starts
                with tempfile.TemporaryDirectory() as directory:
                    output = os.path.join(directory, "profile.folded")
                    result = subprocess.run(
                        ["prlimit", "--nofile=60:60", STPROF_BIN, "-p", str(target.pid), "-d", "6",
                         "-F", "499", "-v", "-o", output], capture_output=True, text=True, timeout=120)
                    self.assertEqual(result.returncode, 0, result.stderr)
                    with open(output, encoding="utf-8") as f:
                        folded = Folded(f.read())
                tids = target.result()
        finally:
            bystander.kill()
            bystander.wait()
        not_python = int(re.search(r"counter EXIT_NOT_PYTHON = (\d+)", result.stderr).group(1))
        self.assertGreater(not_python, 100, result.stderr)
        warnings = [l for l in result.stderr.splitlines() if l.startswith("stprof-bpf: warning:")]
        self.assertEqual(len(warnings), 1, result.stderr)
        self.assertIn("sampling every CPU instead", warnings[0])
        seen = {f.function for s in folded.stacks for f in s.frames}
        self.assertEqual(set(tids) - seen, set(), result.stderr)


class KilledTarget(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def check_whole(self, profiler, folded):
        self.assertTrue(folded.text.endswith("\n"))
        self.assertEqual(folded.total, summary_samples(profiler.stderr), profiler.stderr)
        self.assertFalse(glob.glob(profiler.output + ".tmp-*"))

    def test_sigkilled_target_mid_run_with_a_duration(self):
        with Target(self.python, "shares.py", 60) as victim, \
                Target(self.python, "shares.py", 60) as survivor, \
                Profiler("-p", victim.pid, "-p", survivor.pid, "-d", 5, "-F", 499) as profiler:
            victim.go()
            survivor.go()
            time.sleep(1.5)
            victim.process.kill()
            victim.process.wait()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            folded = profiler.profile()
            self.check_whole(profiler, folded)
            before = sum(s.count for s in folded.of_pid(victim.pid))
            after = sum(s.count for s in folded.of_pid(survivor.pid))
            print("\nkilled target: %d samples of the killed one (1.5 s), %d of the survivor (5 s)"
                  % (before, after))
            self.assertTrue(folded.with_leaf("heavy", folded.of_pid(victim.pid)), profiler.stderr)
            self.assertTrue(folded.with_leaf("heavy", folded.of_pid(survivor.pid)), profiler.stderr)
            # The survivor was recorded to the end, not only until the kill.
            self.assertGreater(after, 1.5 * before, profiler.stderr)
            self.assertFalse(error_lines(profiler.stderr), profiler.stderr)

    def test_sigkilled_target_then_the_last_one_exits(self):
        # Only -p: the run ends when every target has exited, one of them by SIGKILL.
        with Target(self.python, "shares.py", 60) as victim, \
                Target(self.python, "shares.py", 4) as survivor, \
                Profiler("-p", victim.pid, "-p", survivor.pid, "-F", 499) as profiler:
            victim.go()
            survivor.go()
            time.sleep(1.5)
            victim.process.kill()
            victim.process.wait()
            survivor.result()
            self.assertEqual(profiler.wait(), 0, profiler.stderr)
            self.assertIn("every profiled process exited", profiler.stderr)
            folded = profiler.profile()
            self.check_whole(profiler, folded)
            self.assertEqual(folded.pids, {victim.pid, survivor.pid}, profiler.stderr)


class Endings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def test_full_disk(self):
        # A 16 KiB tmpfs in a private mount namespace; a deep stack makes an SVG far bigger.
        shell = ('mount -t tmpfs -o size=16k stprof-full /mnt || exit 99; "$0" "$@"; '
                 'echo "exit=$?"; ls -A /mnt | sed "s/^/left: /"')
        with Target(self.python, "recursion.py", 400, 60) as target:
            target.go()
            time.sleep(0.5)
            result = subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", shell, STPROF_BIN,
                 "-p", str(target.pid), "-d", "3", "-F", "499", "-o", "/mnt/x.svg"],
                capture_output=True, text=True, timeout=120)
        print("\nfull disk: stderr %r, stdout %r" % (result.stderr, result.stdout))
        self.assertNotEqual(result.returncode, 99, result.stderr)
        self.assertIn("exit=1\n", result.stdout, result.stderr)
        errors = error_lines(result.stderr)
        self.assertEqual(len(errors), 1, result.stderr)
        self.assertIn("/mnt/x.svg", errors[0])
        self.assertIn("No space left on device", errors[0])
        self.assertNotIn("left: ", result.stdout, "a partial or temporary file was left behind")

    def bpf_objects_of(self, pid):
        """The BPF program, link and map ids a process holds, from its fdinfo."""
        ids = {"prog_id": set(), "link_id": set(), "map_id": set()}
        for fdinfo in glob.glob("/proc/%d/fdinfo/*" % pid):
            try:
                with open(fdinfo) as f:
                    text = f.read()
            except OSError:
                continue
            if "link_id:" in text:
                ids["link_id"].add(int(re.search(r"^link_id:\s*(\d+)", text, re.MULTILINE).group(1)))
            elif "prog_id:" in text:
                ids["prog_id"].add(int(re.search(r"^prog_id:\s*(\d+)", text, re.MULTILINE).group(1)))
            elif "map_id:" in text:
                ids["map_id"].add(int(re.search(r"^map_id:\s*(\d+)", text, re.MULTILINE).group(1)))
        return ids

    def bpftool(self, *args):
        return json.loads(subprocess.run(["bpftool", "--json"] + list(args), check=True,
                                         capture_output=True, text=True).stdout or "[]")

    def held_prog_ids(self):
        """Every program id some live process holds an fd of (other profilers running now)."""
        held = set()
        for fdinfo in glob.glob("/proc/[0-9]*/fdinfo/*"):
            try:
                with open(fdinfo) as f:
                    match = re.search(r"^prog_id:\s*(\d+)", f.read(), re.MULTILINE)
            except OSError:
                continue
            if match:
                held.add(int(match.group(1)))
        return held

    def test_sigkill_leaves_no_bpf_program_or_link(self):
        before = {p["id"] for p in self.bpftool("prog", "list") if p.get("name", "").startswith("stprof_")}
        with Target(self.python, "shares.py", 30) as target, \
                Profiler("-p", target.pid, "-F", 999) as profiler:
            target.go()
            time.sleep(0.5)
            self.assertIsNone(profiler.process.poll(), profiler.stderr_lines)
            ours = self.bpf_objects_of(profiler.process.pid)
            ours_named = {p["id"]: p["name"] for p in self.bpftool("prog", "list")
                          if p["id"] in ours["prog_id"]}
            # stprof_code_free: the uprobe counting the code frees of the target (3.8-3.12).
            self.assertEqual(sorted(ours_named.values()),
                             ["stprof_code_free", "stprof_exec", "stprof_exit", "stprof_fork",
                              "stprof_sample"], ours)
            self.assertTrue(ours["link_id"], ours)
            profiler.process.kill()
            profiler.process.wait()
            killed = time.monotonic()

            def remaining():
                progs = [p for p in self.bpftool("prog", "list") if p["id"] in ours["prog_id"]]
                links = [l for l in self.bpftool("link", "list")
                         if l["id"] in ours["link_id"] or l.get("prog_id") in ours["prog_id"]]
                maps = [m for m in self.bpftool("map", "list") if m["id"] in ours["map_id"]]
                return progs, links, maps

            # The kernel frees them when the last fd closes, through RCU: allow a second (more
            # when the machine is overloaded).
            grace = 1.0 if os.getloadavg()[0] < 4 * os.cpu_count() else 10.0
            wait_until(lambda: not any(remaining()), timeout=grace, step=0.05)
            progs, links, maps = remaining()
            released = time.monotonic() - killed
        print("\nSIGKILL: %d programs, %d links, %d maps of the profiler; %s after %.2f s"
              % (len(ours["prog_id"]), len(ours["link_id"]), len(ours["map_id"]),
                 "all released" if not any((progs, links, maps)) else "still there", released))
        self.assertFalse(progs, "programs left attached after SIGKILL: %s" % progs)
        self.assertFalse(links, "bpf links left after SIGKILL: %s" % links)
        self.assertFalse(maps, "maps left after SIGKILL: %s" % maps)
        # No stprof_ program at all, except those of other profilers running right now.
        held = self.held_prog_ids()
        orphans = [p for p in self.bpftool("prog", "list")
                   if p.get("name", "").startswith("stprof_") and p["id"] not in held
                   and p["id"] not in before]
        self.assertFalse(orphans, "stprof_ programs no process holds: %s" % orphans)


# Capability names as setpriv spells them, and as the profiler's error names them.
MINIMAL_CAPS = ["bpf", "perfmon", "sys_ptrace", "dac_read_search"]
class Privileges(unittest.TestCase):
    """Not root, with only capabilities, against a root-owned python3.11."""

    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()
        # Where user nobody can read the binary and the probe, and write the profile.
        cls.dir = tempfile.mkdtemp(prefix="stprof-caps-")
        os.chmod(cls.dir, 0o777)
        cls.binary = os.path.join(cls.dir, "stprof-bpf")
        shutil.copy(shutil.which(STPROF_BIN) or STPROF_BIN, cls.binary)
        cls.probe = os.path.join(cls.dir, "cap_probe.py")
        shutil.copy(os.path.join(SCRIPTS_DIR, "cap_probe.py"), cls.probe)
        os.chmod(cls.binary, 0o755)
        os.chmod(cls.probe, 0o644)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def as_nobody(self, caps, *command, timeout=120):
        """Runs command as nobody:nogroup, no supplementary groups, with exactly `caps`
        (inheritable + ambient, so they become its permitted and effective set)."""
        spelled = ",".join(["-all"] + ["+" + cap for cap in caps])
        return subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "--inh-caps=" + spelled, "--ambient-caps=" + spelled] + [str(c) for c in command],
            capture_output=True, text=True, timeout=timeout)

    def effective_caps(self, caps):
        status = self.as_nobody(caps, "cat", "/proc/self/status").stdout
        uid = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE).group(1)
        effective = int(re.search(r"^CapEff:\s+([0-9a-f]+)", status, re.MULTILINE).group(1), 16)
        return int(uid), effective

    def profile_as_nobody(self, caps, pid):
        output = os.path.join(self.dir, "profile-%s.folded" % "-".join(caps or ["none"]))
        result = self.as_nobody(caps, self.binary, "-p", pid, "-d", 2, "-F", 499, "-o", output)
        return result, output

    def test_minimal_capabilities_profile_a_root_process(self):
        uid, effective = self.effective_caps(MINIMAL_CAPS)
        self.assertEqual(uid, 65534)
        # CAP_DAC_READ_SEARCH 2, CAP_SYS_PTRACE 19, CAP_PERFMON 38, CAP_BPF 39.
        self.assertEqual(effective, (1 << 2) | (1 << 19) | (1 << 38) | (1 << 39), hex(effective))
        with Target(self.python, "shares.py", 30) as target:
            self.assertEqual(os.stat("/proc/%d" % target.pid).st_uid, 0)
            target.go()
            result, output = self.profile_as_nobody(MINIMAL_CAPS, target.pid)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(output, encoding="utf-8") as f:
                folded = Folded(f.read())
            functions = {f.function for s in folded.of_pid(target.pid) for f in s.frames}
            print("\nleast privilege: %s as nobody: %d samples of root's PID %d"
                  % ("+".join("CAP_" + c.upper() for c in MINIMAL_CAPS), folded.total, target.pid))
            self.assertTrue({"<module>", "main", "Worker.run", "heavy", "light"} <= functions,
                            functions)

    def test_the_kernel_needs_each_capability(self):
        """Without the profiler's own check in the way: each capability of the set is needed by
        one of the system calls the profiler makes."""
        with Target(self.python, "waiting.py") as target:
            full = json.loads(self.as_nobody(MINIMAL_CAPS, "/usr/bin/python3", self.probe, target.pid).stdout)
            print("\nkernel, all of %s: %s" % (MINIMAL_CAPS, full))
            self.assertEqual(set(full.values()), {"ok"}, full)
            for cap in MINIMAL_CAPS:
                fewer = [c for c in MINIMAL_CAPS if c != cap]
                probe = json.loads(self.as_nobody(fewer, "/usr/bin/python3", self.probe, target.pid).stdout)
                refused = {op: outcome for op, outcome in probe.items() if outcome != "ok"}
                print("kernel, without %s: refused %s" % (cap, refused))
                self.assertTrue(refused, "the kernel does not need %s: %s" % (cap, probe))

    def test_without_each_capability_one_line_error(self):
        with Target(self.python, "shares.py", 60) as target:
            target.go()
            for cap in MINIMAL_CAPS:
                fewer = [c for c in MINIMAL_CAPS if c != cap]
                result, output = self.profile_as_nobody(fewer, target.pid)
                errors = error_lines(result.stderr)
                print("\nwithout %s: exit %d, %s" % (cap, result.returncode, errors))
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertEqual(len(errors), 1, result.stderr)
                self.assertFalse(os.path.exists(output))
                self.assertIn("missing privileges", errors[0])
                self.assertIn("CAP_" + cap.upper(), errors[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
