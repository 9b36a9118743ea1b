"""The markdown report: machine facts, the targets met or missed, one table per measurement, the
raw A/B pairs in an appendix. Reads only the data the sections returned."""
import math
import os
import platform
import statistics

from common import (REPO_DIR, bootstrap_median_ci, command_output, linear_fit, median, quartiles,
                    read_sysctl, sha256)

TOOL_NAMES = {"stprof-bpf": "stprof-bpf", "empty-bpf": "empty BPF program (floor)",
              "perf-events": "perf events, no program (floor)", "austin": "Austin", "tachyon": "Tachyon"}
RATE_NAMES = {99: "99 Hz", 1000: "1 kHz", 10000: "10 kHz", 20000: "20 kHz", 50000: "50 kHz"}


def rate_name(rate):
    return RATE_NAMES.get(rate, "%d Hz" % rate)


def machine_facts(ctx):
    cpu_model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    facts = {
        "kernel": platform.release(), "kernel_version": platform.version(), "cpu_model": cpu_model,
        "cpus": ctx.cpus, "memory_gb": round(mem_kb / 1048576, 1),
        "hypervisor": "", "loadavg": os.getloadavg()[0],
        "perf_event_max_sample_rate": read_sysctl("kernel.perf_event_max_sample_rate"),
        "perf_cpu_time_max_percent": read_sysctl("kernel.perf_cpu_time_max_percent"),
        "stprof_binary": ctx.binary, "stprof_sha256": sha256(ctx.binary),
        "stprof_version": command_output([ctx.binary, "--version"]),
        "git": command_output(["git", "-C", REPO_DIR, "describe", "--always", "--dirty"]),
        "bpftool": command_output(["bpftool", "version"]).splitlines()[0],
        "interpreters": {},
    }
    for line in command_output(["lscpu"]).splitlines():
        if line.startswith("Hypervisor vendor"):
            facts["hypervisor"] = line.split(":", 1)[1].strip()
    for key, interpreter in ctx.interpreters.items():
        version = command_output(interpreter.command([interpreter.python, "-VV"]))
        facts["interpreters"][key] = {"name": interpreter.name, "python": interpreter.python,
                                      "root": interpreter.root, "version": version}
    if "austin" in ctx.interpreters:
        facts["austin"] = command_output(ctx.interpreters["austin"].command(["austin", "-V"]))
    others = command_output(["bpftool", "prog", "show"])
    facts["other_samplers_loaded"] = others.count("name stprof_sample")
    return facts


def f1(value, digits=1):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return "%.*f" % (digits, value)


def verdict(ok):
    return "**met**" if ok else "**missed**"


class Targets:
    def __init__(self):
        self.rows = []

    def add(self, what, measured, target, ok):
        self.rows.append((what, measured, target, None if ok is None else verdict(ok)))


# ---- section renderers ----------------------------------------------------------------

def slowdown_stats(data):
    """{(interpreter, tool, rate): stats} from the runs."""
    stats = {}
    for run in data["runs"]:
        if not run.get("tool"):
            continue
        key = (run["interpreter"], run["tool"], run["rate"])
        entry = stats.setdefault(key, {"cpu": [], "wall": [], "samples": [], "rate_delivered": []})
        entry["cpu"].append(100.0 * (run["cpu"] / run["baseline_cpu"] - 1))
        entry["wall"].append(100.0 * (run["wall"] / run["baseline_wall"] - 1))
        if run.get("samples") is not None:
            entry["samples"].append(run["samples"])
            entry["rate_delivered"].append(run["samples"] / run["wall"] if run["wall"] else 0)
    for entry in stats.values():
        entry["cpu_median"] = median(entry["cpu"])
        entry["cpu_iqr"] = quartiles(entry["cpu"])
        entry["cpu_ci"] = bootstrap_median_ci(entry["cpu"])
        entry["wall_median"] = median(entry["wall"])
        entry["wall_iqr"] = quartiles(entry["wall"])
        entry["wall_ci"] = bootstrap_median_ci(entry["wall"])
    return stats


def render_slowdown(data, targets, out):
    out.append("## 1. Target slowdown\n")
    out.append(
        "`workloads/cpu_work.py %d`: a fixed amount of pure-Python work (recursion, loops, dict and "
        "string work, method calls; about 12 frames deep), timed by the process itself with "
        "`time.process_time()` (CPU) and `time.perf_counter()` (wall) between a `go` on stdin and "
        "the end of the work, so the profiler's start-up and shutdown are outside the measurement. "
        "Every run is a fresh process; the profiler attaches to it (stprof-bpf `-p PID`, Austin "
        "`-p PID`, Tachyon `attach PID`) before `go`. Each round runs, per interpreter, "
        "`B P B P … B` with the profiled configurations in a shuffled order; a profiled run P is "
        "compared with the mean of the unprofiled runs B just before and after it. slowdown = "
        "(P − B)/B; the table shows the median over %d rounds, the interquartile range and a "
        "bootstrap 95%% confidence interval of the median. Austin's interval is 10⁶/rate µs.\n"
        % (data["work_scale"], data["rounds"]))
    stats = slowdown_stats(data)
    baselines = {}
    for run in data["runs"]:
        if not run.get("tool"):
            baselines.setdefault(run["interpreter"], {"cpu": [], "wall": []})
            baselines[run["interpreter"]]["cpu"].append(run["cpu"])
            baselines[run["interpreter"]]["wall"].append(run["wall"])
    for name, info in data["interpreters"].items():
        base = baselines.get(name, {"cpu": [], "wall": []})
        out.append("### CPython %s (%s)\n" % (info["version"], name))
        out.append("Unprofiled: median CPU %s s, IQR %s–%s s, %d runs (context only).\n" % (
            f1(median(base["cpu"]), 3), *(f1(v, 3) for v in quartiles(base["cpu"])), len(base["cpu"])))
        out.append("| profiler | rate | CPU slowdown (median) | CPU IQR | CPU 95% CI | wall slowdown (median) | wall IQR | wall 95% CI | samples/run (median) | pairs |")
        out.append("|---|---|---:|---|---|---:|---|---|---:|---:|")
        for config in info["configs"]:
            tool, rate = config.split("@")
            entry = stats.get((name, tool, int(rate)))
            if not entry:
                continue
            out.append("| %s | %s | %s%% | %s%% … %s%% | %s%% … %s%% | %s%% | %s%% … %s%% | %s%% … %s%% | %s | %d |" % (
                TOOL_NAMES.get(tool, tool), rate_name(int(rate)), f1(entry["cpu_median"], 2),
                f1(entry["cpu_iqr"][0], 2), f1(entry["cpu_iqr"][1], 2),
                f1(entry["cpu_ci"][0], 2), f1(entry["cpu_ci"][1], 2),
                f1(entry["wall_median"], 2), f1(entry["wall_iqr"][0], 2), f1(entry["wall_iqr"][1], 2),
                f1(entry["wall_ci"][0], 2), f1(entry["wall_ci"][1], 2),
                f1(median(entry["samples"]), 0) if entry["samples"] else "–", len(entry["cpu"])))
        out.append("")
        floor_lines = []
        for rate in data["rates"]:
            mine, floor = stats.get((name, "stprof-bpf", rate)), stats.get((name, "empty-bpf", rate))
            bare = stats.get((name, "perf-events", rate))
            if mine and floor:
                floor_lines.append("%s: %s%% CPU of which the empty program's floor is %s%% (stprof-bpf's own "
                                   "share ≈ %s%%)%s" % (rate_name(rate), f1(mine["cpu_median"], 2),
                                                        f1(floor["cpu_median"], 2),
                                                        f1(mine["cpu_median"] - floor["cpu_median"], 2),
                                                        ", the events without a program %s%%" % f1(bare["cpu_median"], 2)
                                                        if bare else ""))
        if floor_lines:
            out.append("*empty BPF program* is `r0 = 0; exit` attached to the same per-CPU cpu-clock "
                       "perf events stprof-bpf opens, at the same frequency: what any perf_event "
                       "sampler costs the target on this machine before doing any work (timer "
                       "interrupts, perf overflow handling, entering BPF). *perf events, no program* "
                       "are those events with nothing attached: the timer interrupts alone. "
                       "Medians: " + "; ".join(floor_lines) + ".\n")
    for failure in data.get("failures", []):
        out.append("- failed run (left out): %s at %s on %s, round %d: `%s`" % (
            TOOL_NAMES.get(failure["tool"], failure["tool"]), rate_name(failure["rate"]), failure["interpreter"],
            failure["round"] + 1, failure["error"].replace("`", "'").replace("\n", " ")[:300]))
    if data.get("failures"):
        out.append("")
    out.append("Samples/run: stprof-bpf counts only samples of the target on a CPU; Austin and "
               "Tachyon sample wall-clock time, including the wait before `go` while they attach "
               "(about %s s for Austin, %s s for Tachyon), so their counts are not comparable "
               "one to one.\n" % (f1(data.get("austin_settle", 0.2), 1), f1(data.get("tachyon_settle", 1.5), 1)))
    for name, info in data["interpreters"].items():
        entry = stats.get((name, "stprof-bpf", 1000))
        if entry:
            unresolved = entry["cpu_ci"][0] <= 0.5 <= entry["cpu_ci"][1] or entry["wall_ci"][0] <= 0.5 <= entry["wall_ci"][1]
            targets.add("slowdown at 1 kHz, CPython %s" % info["version"],
                        "CPU %s%% (CI %s…%s); wall %s%% (CI %s…%s)%s" % (
                            f1(entry["cpu_median"], 2), f1(entry["cpu_ci"][0], 2), f1(entry["cpu_ci"][1], 2),
                            f1(entry["wall_median"], 2), f1(entry["wall_ci"][0], 2), f1(entry["wall_ci"][1], 2),
                            " — a CI contains 0.5%: within the noise" if unresolved else ""),
                        "≤ 0.5% (CPU and wall)", entry["cpu_median"] <= 0.5 and entry["wall_median"] <= 0.5)
        for floor_tool, label in (("empty-bpf", "empty BPF program on the same events"),
                                  ("perf-events", "the same perf events without a program")):
            floor = stats.get((name, floor_tool, 1000))
            if floor:
                targets.add("(context) %s at 1 kHz, CPython %s" % (label, info["version"]),
                            "CPU %s%%; wall %s%%" % (f1(floor["cpu_median"], 2), f1(floor["wall_median"], 2)),
                            "–", None)
        for other in ("austin", "tachyon"):
            for rate in data["rates"]:
                mine, theirs = stats.get((name, "stprof-bpf", rate)), stats.get((name, other, rate))
                if mine and theirs:
                    overlap = [metric for metric in ("cpu", "wall") if
                               mine[metric + "_ci"][0] <= theirs[metric + "_ci"][1] and
                               theirs[metric + "_ci"][0] <= mine[metric + "_ci"][1]]
                    targets.add("slowdown below %s's at %s (CPython %s)" % (
                        TOOL_NAMES[other], rate_name(rate), info["version"]),
                        "CPU %s%% vs %s%%; wall %s%% vs %s%%%s" % (
                            f1(mine["cpu_median"], 2), f1(theirs["cpu_median"], 2),
                            f1(mine["wall_median"], 2), f1(theirs["wall_median"], 2),
                            " — %s CIs overlap: within the noise" % " and ".join(m.upper() if m == "cpu" else m for m in overlap)
                            if overlap else ""),
                        "lower (CPU and wall)",
                        mine["cpu_median"] < theirs["cpu_median"] and mine["wall_median"] < theirs["wall_median"])


def render_kernel(data, targets, out):
    out.append("## 2. Kernel cost per sample\n")
    out.append(
        "`kernel.bpf_stats_enabled=1` during the section (restored after). The run time and run "
        "count of the stprof-bpf's own `stprof_sample` program (found through the profiler's file "
        "descriptors, so other loaded profilers do not interfere) are read twice, %s s apart, "
        "while %d copies of `workloads/deep.py DEPTH` (one per CPU) spin at the bottom of a "
        "Python stack of exactly DEPTH frames, sampled at 1 kHz. Every frame of those stacks runs "
        "a function of its own (the *one function recursing* rows: one function). The sampler "
        "keeps each code object's fingerprint from one stack to the next while the process's "
        "code epoch stands still: the interpreter's count of code objects made (3.13) or freed "
        "(3.14+), or for 3.8-3.12 the profiler's own count of frees (a uprobe on code_dealloc). "
        "So a stack seen before costs no code-object read at all; without an epoch each stack "
        "would read each of its code objects once. "
        "ns/sample = Δrun_time_ns / "
        "Δrun_cnt. Samples of other tasks (another process, idle) are in that mean; the "
        "*per Python sample* column takes them out at the non-Python cost: (mean − (1 − f) × "
        "non-Python cost) / f, f = recorded / all samples from the run's counters. The "
        "kernel's statistics themselves cost something per run (a clock read around the program); "
        "an empty program on cpu-clock events of its own, attached during the non-Python "
        "measurement and read at the same instants, measures that floor under the same load, "
        "and the *net* column subtracts it. The targets are judged on the net numbers.\n"
        % (f1(data["seconds"]), len(data["depths"]) and data["depths"][0]["copies"]))
    non_python = data.get("non_python")
    null = data.get("null_program", {})
    floor = null.get("ns_per_sample")
    out.append("| task on the CPU | Python depth | runs (Δrun_cnt) | ns/sample (all) | Python fraction f | ns per Python sample | net of the empty program | stack captured |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|")
    if floor is not None:
        out.append("| busy shell loop per CPU, **empty program** (`r0 = 0; exit`, calibration, beside the next row) | – | %d | %s | – | – | 0 | – |" % (
            null["run_cnt"], f1(floor)))
    elif null.get("error"):
        out.append("| empty program (calibration) | – | – | %s | – | – | – | – |" % null["error"])

    def net(value):
        return None if value is None or floor is None else value - floor

    if non_python:
        out.append("| busy shell loop per CPU (one idle Python process registered) | – | %d | %s | – | – | %s | – |" % (
            non_python["run_cnt"], f1(non_python["ns_per_sample"]), f1(net(non_python["ns_per_sample"]))))
        shown = net(non_python["ns_per_sample"])
        targets.add("kernel time per sample, non-Python task (net of the empty program; raw)",
                    "%s ns; raw %s ns" % (f1(shown), f1(non_python["ns_per_sample"])), "≤ 100 ns",
                    (shown if shown is not None else non_python["ns_per_sample"]) <= 100)
    xs, ys = [], []
    recursive_50 = next((r.get("ns_per_python_sample") for r in data.get("recursive", []) if r["depth"] == 50), None)
    epoch_rows = data.get("epoch", [])
    for row in data["depths"] + data.get("recursive", []) + epoch_rows:
        cost = row.get("ns_per_python_sample")
        captured = "%d frames whole%s" % (row["deepest_whole"], ", truncated" if row["truncated_stacks"] else "")
        out.append("| Python %s, spinning: %s | %d | %d | %s | %s | %s | %s | %s |" % (
            row.get("python", ""),
            "one function recursing" if row.get("shape") == "recursive" else "a function per frame",
            row["depth"], row["run_cnt"], f1(row["ns_per_sample"]), f1(row["python_fraction"], 3),
            f1(cost), f1(net(cost)), captured))
        if row in epoch_rows and row["depth"] == 50 and cost is not None:
            shown = net(cost) if floor is not None else cost
            targets.add("kernel time per sample at Python depth 50, a function per frame, %s "
                        "(code epoch: the interpreter's; net of the empty program; raw)" % row["python"],
                        "%s ns; raw %s ns" % (f1(shown), f1(cost)), "≤ 2 µs", shown <= 2000)
        if row in data.get("recursive", []) or row in epoch_rows or cost is None:
            continue
        xs.append(row["depth"])
        ys.append(cost)
        if row["depth"] == 50:
            shown = net(cost) if floor is not None else cost
            targets.add("kernel time per sample at Python depth 50, a function per frame, %s "
                        "(code epoch: the profiler's count of code frees; net of the empty "
                        "program; raw; net, one function recursing)"
                        % row["python"],
                        "%s ns; raw %s ns; recursing %s ns" % (
                            f1(shown), f1(cost), f1(net(recursive_50))),
                        "≤ 2 µs", shown <= 2000)
    out.append("")
    if len(xs) >= 3:
        a, b, r2 = linear_fit(xs, ys)
        out.append("Least-squares fit over depths %s (a function per frame): **%s ns + %s ns × depth**, R² = %s. "
                   "Relative to the fit, each depth's cost: %s.\n" % (
                       ", ".join(str(x) for x in xs), f1(a), f1(b, 2), f1(r2, 4),
                       ", ".join("%d: %s%%" % (x, f1(100.0 * (y - a - b * x) / (a + b * x), 1)) for x, y in zip(xs, ys))))
        targets.add("kernel cost linear in depth", "%s + %s·depth ns, R² %s" % (f1(a), f1(b, 2), f1(r2, 4)),
                    "linear (R² ≥ 0.98)", r2 >= 0.98)
        data["fit"] = {"intercept_ns": a, "ns_per_frame": b, "r2": r2}
    by_frequency = data.get("by_frequency", [])
    if by_frequency:
        out.append("### Cost by sampling rate\n")
        out.append("The 3.13 stack of depth 50 (a function per frame) again, at other rates. A sample "
                   "does the same work at every rate; what changes is how long the CPU ran other "
                   "code since its previous sample, and with it how much of what the program "
                   "touches (its own code, its maps, the target's thread state, frames and code "
                   "objects) is still cached. Raw ns per Python sample: the empty program was "
                   "measured at 1 kHz only.\n")
        out.append("| sampling rate | runs (Δrun_cnt) | ns per Python sample | relative to 1 kHz |")
        out.append("|---:|---:|---:|---:|")
        at_1khz = next((r.get("ns_per_python_sample") for r in by_frequency
                        if r["frequency_hz"] == 1000), None)
        for row in by_frequency:
            cost = row.get("ns_per_python_sample")
            relative = "%s×" % f1(cost / at_1khz, 2) if cost and at_1khz else "–"
            out.append("| %d Hz | %d | %s | %s |" % (row["frequency_hz"], row["run_cnt"], f1(cost),
                                                    relative))
        out.append("")
    program = data.get("program")
    if program:
        out.append("The sampling program (from `bpf_prog_info`): %d xlated instructions (%d bytes), "
                   "%d bytes JITed, **%d instructions processed by the verifier** (`verified_insns`)."
                   " `bpftool prog show`:\n" % (program["xlated_insns"], program["xlated_bytes"],
                                                 program["jited_bytes"], program["verified_insns"]))
        out.append("```\n%s\n```\n" % data.get("bpftool", ""))
    if data.get("limit_probes") or data["depths"]:
        out.append("### Depth limit\n")
        out.append("`deep.py DEPTH` spinning under stprof-bpf for a second; the deepest stack the "
                   "folded output has whole (no `[truncated]`/`[partial]` marker), and whether the "
                   "`stack_truncated` counter moved.\n")
        out.append("| Python stack depth | deepest whole stack | samples at full depth | truncated stacks |")
        out.append("|---:|---:|---:|---:|")
        probes = [r for r in data["depths"] if r["depth"] >= 1000] + data.get("limit_probes", [])
        deepest = 0
        for row in probes:
            out.append("| %d | %d | %d of %d | %d |" % (row["depth"], row["deepest_whole"], row["samples_at_depth"],
                                                     row["samples"], row["truncated_stacks"]))
            deepest = max(deepest, row["deepest_whole"])
        out.append("")
        targets.add("frames captured whole", "%d frames (recursion 2040: %s)" % (
            deepest, next(("%d whole" % r["deepest_whole"] for r in probes if r["depth"] == 2040), "n/a")),
                    "≥ 2048", deepest >= 2048)


def render_rates(data, targets, out):
    out.append("## 3. Samples delivered vs requested\n")
    out.append(
        "One `deep.py 10` thread spinning and a busy shell loop on every other CPU; "
        "`stprof-bpf --comm '^deep\\.py$' -F RATE` for %s s (selected by name, so that every CPU "
        "is sampled; `-p` would sample the workload's threads only). CPU ticks: the summary's "
        "`cpu_ticks_sampled` against RATE × `sampled_cpu_seconds`, the time the CPUs' cpu-clock "
        "events ran (the CPUs are kept busy "
        "because how often an idle vCPU's timer fires is up to the platform). Python samples: samples of the spinning thread against "
        "RATE × duration, and against RATE × the CPU time the thread actually got while the "
        "sampler was attached (/proc/PID/task/*/schedstat; on a shared 2-CPU machine it does not "
        "get a whole CPU, and a sample can only land while it runs). Not counted: samples of the "
        "process the sampler dropped, by reason (see `--json`). `kernel.perf_event_max_sample_rate` "
        "before and after, and any perf throttling messages in dmesg.\n" % f1(data["seconds"]))
    out.append("| rate | CPU ticks sampled / requested | Python samples / (F × duration) | thread on CPU | Python samples / (F × thread CPU time) | not counted | max_sample_rate before → after | dmesg |")
    out.append("|---|---:|---:|---:|---:|---|---|---|")
    for row in data["rates"]:
        if "error" in row:
            out.append("| %s | refused: %s | | | | | %d → %d | %s |" % (
                rate_name(row["rate"]), row["error"].replace("|", "/")[:200], row["max_sample_rate_before"],
                row["max_sample_rate_after"], "<br>".join(row["dmesg"]) or "none"))
            continue
        ticks = 100.0 * row["cpu_ticks_sampled"] / row["ticks_requested"]
        thread = 100.0 * row["python_samples"] / row["thread_requested"]
        thread_cpu = (100.0 * row["python_samples"] / (row["rate"] * row["thread_cpu_seconds"])
                      if row["thread_cpu_seconds"] else float("nan"))
        on_cpu = 100.0 * row["thread_cpu_seconds"] / row["window_seconds"] if row.get("window_seconds") else float("nan")
        row["ticks_percent"], row["thread_percent"], row["thread_cpu_percent"] = ticks, thread, thread_cpu
        dropped = ", ".join("%s %d" % (k, v) for k, v in sorted(row["not_counted"].items()) if v) or "0"
        out.append("| %s | %d / %d = **%s%%** | %d / %d = %s%% | %s%% | **%s%%** | %s | %d → %d | %s |" % (
            rate_name(row["rate"]), row["cpu_ticks_sampled"], row["ticks_requested"], f1(ticks, 2),
            row["python_samples"], row["thread_requested"], f1(thread, 2), f1(on_cpu), f1(thread_cpu, 2),
            dropped, row["max_sample_rate_before"], row["max_sample_rate_after"],
            "<br>".join(row["dmesg"]) or "none"))
        if row["rate"] == 10000:
            targets.add("CPU ticks delivered at 10 kHz (all CPUs)", "%s%%" % f1(ticks, 2), "≥ 99%", ticks >= 99)
            targets.add("samples of one busy Python thread at 10 kHz (vs F × its CPU time; vs F × duration)",
                        "%s%%; %s%% (thread on CPU %s%% of the time)" % (f1(thread_cpu, 2), f1(thread, 2), f1(on_cpu)),
                        "≥ 99%", thread_cpu >= 99)
    out.append("")
    if data["max_sample_rate_end"] != data["max_sample_rate_start"]:
        out.append("The kernel lowered `kernel.perf_event_max_sample_rate` from %d to %d during this "
                   "section (perf throttling); the harness restores the original value at the end.\n"
                   % (data["max_sample_rate_start"], data["max_sample_rate_end"]))


def render_scale(data, targets, out):
    out.append("## 4. Scale: many Python processes\n")
    out.append(
        "N `workloads/resident.py` processes (CPython 3.11): *idle* sleep in a `time.sleep(0.1)` "
        "loop; *busy* burn CPU (all N share the 2 CPUs, under `SCHED_IDLE` so that the profiler "
        "and the harness are not queued behind them; the CPUs stay 100%% busy with Python). Then `stprof-bpf --all-python -F 99 -d %d` "
        "(every Python process on the host: the count includes the harness itself and anything "
        "else running). CPU: the profiler's utime+stime from `wait4()` over its whole run, "
        "including loading the BPF program, as a share of one core; *steady* is the CPU time of all "
        "its threads (/proc/PID/task/*/schedstat) between 3 s after the start and 1 s before the "
        "end, i.e. without start-up. Max RSS from "
        "`wait4()`. Forks/s: new processes on the whole host during the run (/proc/stat); "
        "with `--all-python` the profiler inspects every exec, so other work on the machine "
        "(builds, tests) costs it CPU too.\n" % data["duration"])
    out.append("| processes | mode | profiled | CPU, whole run (% of one core) | CPU, steady | user / sys s | max RSS | samples | forks/s on the host |")
    out.append("|---:|---|---:|---:|---:|---|---:|---:|---:|")
    for row in data["runs"]:
        out.append("| %d | %s | %s | %s%% | %s%% | %s / %s | %s MB | %s | %s |" % (
            row["count"], row["mode"], row.get("processes", "n/a"), f1(row["cpu_percent_of_core"], 2),
            f1(row.get("steady_cpu_percent_of_core"), 2), f1(row["utime"], 2), f1(row["stime"], 2),
            f1(row["maxrss_kb"] / 1024.0), row.get("samples", "n/a"), f1(row.get("host_forks_per_second"))))
        if row["count"] == 500:
            targets.add("userspace CPU, 500 %s Python processes at 99 Hz (whole run; steady)" % row["mode"],
                        "%s%%; steady %s%%" % (f1(row["cpu_percent_of_core"], 2), f1(row.get("steady_cpu_percent_of_core"), 2)),
                        "< 1% of one core", row["cpu_percent_of_core"] < 1)
            targets.add("max RSS, 500 %s Python processes" % row["mode"], "%s MB" % f1(row["maxrss_kb"] / 1024.0),
                        "< 64 MB", row["maxrss_kb"] < 64 * 1024)
    out.append("")
    crowded = [row for row in data["runs"] if (row.get("processes") or 0) > row["count"] + 5]
    if crowded:
        out.append("Other Python processes were running on the host during %s: `--all-python` "
                   "profiled them as well (the *profiled* column), and their samples, stacks and "
                   "names cost the profiler CPU too, so those rows overstate the cost of N "
                   "processes.\n" % ", ".join("%d %s" % (row["count"], row["mode"]) for row in crowded))
    failed = [row for row in data["runs"] if row.get("stderr")]
    for row in failed:
        out.append("%d %s: exit %d, stderr: `%s`\n" % (row["count"], row["mode"], row["exit_code"], row["stderr"][-300:]))


def render_accuracy(data, targets, out):
    out.append("## 5. Attribution accuracy\n")
    out.append(
        "`workloads/shares.py %s`: three leaves doing the same loop with 25000/15000/10000 "
        "iterations per round; each call timed with `time.thread_time()`, so the script reports "
        "its own split. Each profiler at 1 kHz (stprof-bpf `-F 1000`, Austin `-i 1000`, Tachyon "
        "`-r 1000 --collapsed`). Shares are over the three leaves (samples whose leaf is another "
        "function, e.g. the timing loop, are left out and their share shown); Austin's collapsed "
        "lines carry a time metric (µs, wall mode), summed per leaf; stprof-bpf's folded and "
        "Tachyon's collapsed counts are samples. error = measured − truth, percentage points.\n"
        % f1(data["seconds"]))
    out.append("| interpreter | profiler | run | leaf_a truth → measured | leaf_b truth → measured | leaf_c truth → measured | max abs error | outside the leaves | total |")
    out.append("|---|---|---:|---|---|---|---:|---:|---:|")
    worst = {}
    for run in data["runs"]:
        cells = []
        for leaf in ("leaf_a", "leaf_b", "leaf_c"):
            v = run["leaves"][leaf]
            cells.append("%s%% → %s%% (%+.2f pp)" % (f1(v["truth_percent"], 2), f1(v["measured_percent"], 2), v["error_pp"]))
        out.append("| %s | %s | %d | %s | %s pp | %s%% | %d |" % (
            run["version"], run["tool"], run["repeat"] + 1, " | ".join(cells), f1(run["max_abs_error_pp"], 2),
            f1(run["outside_leaves_percent"], 2), run["total"]))
        key = (run["tool"], run["version"])
        worst[key] = max(worst.get(key, 0), run["max_abs_error_pp"])
    out.append("")
    for (tool, version), error in sorted(worst.items()):
        if tool == "stprof-bpf":
            targets.add("attribution error per leaf, CPython %s" % version, "%s pp (worst leaf, worst run)" % f1(error, 2),
                        "≤ 2 pp", error <= 2)
        else:
            targets.add("(for comparison) %s's attribution error, CPython %s" % (TOOL_NAMES.get(tool, tool), version),
                        "%s pp" % f1(error, 2), "–", None)


def mean_difference(runs, tool):
    """The function of perf's top ones whose difference (tool − perf, pp) has the largest mean
    over the runs: what repeats, unlike sampling noise. (function, mean, its standard error)."""
    differences = {}
    for run in runs:
        mine, perf = run["tools"][tool].get("at_reference_top"), run["tools"]["perf"].get("at_reference_top")
        for function in (perf or {}):
            differences.setdefault(function, []).append(mine[function] - perf[function])
    candidates = [(abs(sum(d) / len(d)), function, d) for function, d in differences.items() if len(d) >= 2]
    if not candidates:
        return None
    _, function, values = max(candidates)
    return function, sum(values) / len(values), statistics.stdev(values) / math.sqrt(len(values))


def real_summary(runs, tool):
    """A tool's runs of one program: median samples, the worst differences from perf (median,
    min, max), the median 1-sigma sampling error of those differences and the largest mean
    difference over the runs."""
    rows = [run["tools"][tool] for run in runs if tool in run["tools"]]
    summary = {"runs": len(rows), "samples": median([row["samples"] for row in rows])}
    worst = [row["worst"] for row in rows if row.get("worst")]
    if worst:
        differences = [abs(w["difference_pp"]) for w in worst]
        summary.update({"worst_pp": median(differences), "worst_min_pp": min(differences),
                        "worst_max_pp": max(differences),
                        "sigma_pp": median([w["sigma_pp"] for w in worst]),
                        "mean_difference": mean_difference(runs, tool)})
    return summary


def _closest_measured(program, mine, others):
    """`program stprof-bpf vs others pp` for the target line; two medians closer than either
    side's sampling error are marked as not told apart."""
    tied = any(abs(mine["worst_pp"] - o["worst_pp"]) < max(mine["sigma_pp"], o["sigma_pp"]) for o in others)
    return "%s %s vs %s pp%s" % (program, f1(mine["worst_pp"], 2), "/".join(f1(o["worst_pp"], 2) for o in others),
                                 " (apart by less than 1σ: not told apart)" if tied else "")


def render_real(data, targets, out):
    out.append("## 8. Real programs against the kernel's own samples\n")
    out.append(
        "`workloads/real.py PROGRAM %s` on CPython %s (%s) started with `-X perf`, so that every "
        "Python function runs through a trampoline of its own that perf sees (named in "
        "`/tmp/perf-PID.map`, which the interpreter writes inside its root; the harness copies it "
        "to the host's `/tmp` for `perf script`). Programs, from Debian's packages: docutils "
        "rendering a generated reST document of 40 sections to HTML; Pygments highlighting the 12 "
        "largest modules of the interpreter's standard library as HTML; Jinja2 compiling (a fresh "
        "environment each round) and rendering a page of 400 rows with inheritance, a macro and "
        "filters. Before the program starts its window, all of these attach to the same process: "
        "`perf record -e cpu-clock -F %d --call-graph dwarf,16384 -p PID` on the host (the "
        "reference: the kernel samples the thread synchronously, and each sample's innermost "
        "`py::` frame is the function that was running), stprof-bpf `-p PID -F %d "
        "--full-filenames` and Austin `-s -i %d -p PID` (`-s`: samples of the thread while idle "
        "dropped, CPU time as the others see it; its samples are counted, not its time metric). "
        "Self share of a function = samples whose innermost Python frame it is / samples with a "
        "Python frame; a function is its qualified name and file (`co_qualname`, `co_filename`), "
        "which all three name alike. *Worst difference*: the largest |share − perf's share| over "
        "perf's top %d functions of the run; its 1σ sampling error combines both sides' "
        "binomial errors √(p(1−p)/n); from sampling alone, the largest of %d such differences is "
        "typically about 2σ. %d runs per program: median [min–max]. The last column averages each "
        "of perf's top functions' difference (signed) over the runs, where sampling noise shrinks "
        "and a bias stays, and shows the largest.\n"
        % (f1(data["seconds"], 0), data["python"], data["interpreter"], data["rate_hz"], data["rate_hz"],
           round(1e6 / data["rate_hz"]), data["top"], data["top"], data["repeats"]))
    for reason in data.get("skipped", []):
        out.append("Not measured: %s (run from the sid root it stops at \"Failed to find the PyRuntime "
                   "section\": the target's binary is in the trixie root).\n" % reason)
    closest = []
    for program, runs in data["runs"].items():
        if not runs:
            continue
        out.append("### %s\n" % program)
        perf = real_summary(runs, "perf")
        without = sum(run["perf_without_python"] for run in runs)
        out.append("| profiler | samples (median) | worst difference from perf, pp: median [min–max] | its 1σ sampling error (median) | largest mean difference over the runs ± its standard error |")
        out.append("|---|---:|---|---:|---|")
        out.append("| perf (reference) | %s | – | – | %s%% of its samples had no Python frame, left out (where looked at: the interpreter's exit after the window) |" % (
            f1(perf["samples"], 0), f1(100.0 * without / max(1, sum(run["perf_samples"] for run in runs)))))
        summaries = {tool: real_summary(runs, tool) for tool in ("stprof-bpf", "austin")}
        for tool, summary in summaries.items():
            if "worst_pp" not in summary:
                continue
            mean = summary["mean_difference"]
            out.append("| %s | %s | **%s** [%s–%s] | %s | %s |" % (
                TOOL_NAMES.get(tool, tool), f1(summary["samples"], 0), f1(summary["worst_pp"], 2),
                f1(summary["worst_min_pp"], 2), f1(summary["worst_max_pp"], 2), f1(summary["sigma_pp"], 2),
                "%+.2f ± %s pp, `%s`" % (mean[1], f1(mean[2], 2), mean[0]) if mean else "–"))
        out.append("")
        data.setdefault("derived", {})[program] = summaries
        mine = summaries["stprof-bpf"]
        others = [s for t, s in summaries.items() if t != "stprof-bpf" and "worst_pp" in s]
        closest.append((program, mine, others))
    if closest:
        targets.add("stprof-bpf closest to perf on every real program (median worst difference over "
                    "perf's top %d: stprof-bpf vs Austin)" % data["top"],
                    "; ".join(_closest_measured(*entry) for entry in closest), "closest on every program",
                    all("worst_pp" in mine and all(mine["worst_pp"] < o["worst_pp"] for o in others)
                        for _, mine, others in closest))


WALL_CONFIGS = {"none": "no profiler", "cpu": "stprof-bpf `--mode cpu`", "wall": "stprof-bpf `--mode wall`",
                "austin": "Austin (wall time, its default)",
                "thread-perf-events": "perf events, no program, on the workload's threads (floor of `-p`)"}


def _median_ci(values):
    """(median, (CI low, CI high)) of a list."""
    return median(values), bootstrap_median_ci(values)


def wall_slowdown_stats(data):
    """{config: stats}: each run's wall and CPU time over the unprofiled run of its round."""
    by_round = {}
    for run in data["runs"]:
        by_round.setdefault(run["round"], {})[run["config"]] = run
    stats = {}
    for config in data["configs"]:
        runs = [r[config] for r in by_round.values() if config in r]
        paired = [(r[config], r["none"]) for r in by_round.values() if config in r and "none" in r]
        stats[config] = {
            "runs": len(runs), "wall_median": median([run["wall"] for run in runs]),
            "switches_per_second": median([run["switches"] / run["wall"] for run in runs]),
            "samples": median([run["samples"] for run in runs if run.get("samples") is not None]),
            "wall_ratio": _median_ci([run["wall"] / none["wall"] for run, none in paired]),
            "cpu_ratio": _median_ci([run["cpu"] / none["cpu"] for run, none in paired])}
    wall_over_cpu = [r["wall"]["wall"] / r["cpu"]["wall"] for r in by_round.values() if "wall" in r and "cpu" in r]
    return stats, _median_ci(wall_over_cpu)


def render_wall(data, targets, out):
    out.append("## 6. Wall mode: a program on every context switch\n")
    out.append(
        "`--mode wall` adds `stprof_switch` (tp_btf/sched_switch): it runs on every context switch "
        "of the host, tests each side's PID bit, walks the Python stack of a "
        "profiled thread that is switched out and counts its time off the CPU at its switch-in. "
        "`kernel.bpf_stats_enabled=1` during the kernel-time measurements (restored after). CPython "
        "%s (%s) throughout.\n" % (data["python"], data["interpreter"]))
    out.append(
        "**Kernel time per switch.** Each of %d rounds starts `stprof-bpf --mode wall -p PID` "
        "and an empty tp_btf/sched_switch program (`r0 = 0; exit`, loaded with bpf(2) by "
        "`bpfinfo.py`) afresh, the empty one attached first in odd rounds and second in even ones "
        "(a program's place on the tracepoint changes its cost); 0.3 s later both programs' "
        "run time and run count are read, then again %s s later, at the same instants. "
        "ns/switch = Δrun_time_ns / Δrun_cnt. *Unselected*: PID is `workloads/pingpong.py` never "
        "told to start (its threads stay blocked), while two `sh` loops pass a line back and "
        "forth through two pipes, so nearly every switch is of tasks no profiler selected. "
        "*Selected*: PID is `pingpong.py %d` running all along: two threads pass a one-byte token "
        "through two pipes, each blocked in `os.read` at the bottom of a stack of exactly %d "
        "Python frames, so every switch-out of theirs walks %d frames. S, their switch-outs "
        "over the same instants, is the change in their `voluntary_ctxt_switches` + "
        "`nonvoluntary_ctxt_switches` (/proc/PID/task/*/status). Every run of `stprof_switch` "
        "costs at least what an unselected one does (the round's empty program + the unselected "
        "rows' median over it); what all runs cost beyond that, the profiled threads' stack "
        "walks and the interval counts at their switch-ins, is charged to the switch-outs: per "
        "switch-out = (Δrun_time_ns − (Δrun_cnt − S) × unselected) / S, which includes the "
        "switch-out's own run. *net* subtracts the round's empty program.\n"
        % (len(data["unselected"]), f1(data["seconds"]), data["depth"], data["depth"], data["depth"]))
    out.append("| switches | rounds | runs/s (host) | stprof_switch ns/run | empty program ns/run | over the empty | over the empty, 95% CI |")
    out.append("|---|---:|---:|---:|---:|---:|---|")
    seconds = data["seconds"]
    for key, label in (("unselected", "unselected (two `sh` loops ping-ponging)"),
                       ("selected", "all, while two Python threads at depth %d ping-pong" % data["depth"])):
        rows = data[key]
        over, ci = _median_ci([row["over_empty_ns"] for row in rows])
        out.append("| %s | %d | %s | %s | %s | %s ns | %s … %s ns |" % (
            label, len(rows), f1(median([row["run_cnt"] / seconds for row in rows]), 0),
            f1(median([row["ns_per_switch"] for row in rows])),
            f1(median([row["null"]["ns_per_sample"] for row in rows])), f1(over), f1(ci[0]), f1(ci[1])))
        data.setdefault("derived", {})[key + "_over_empty_ns"] = over
    out.append("")
    unselected = data["unselected"]
    over, ci = _median_ci([row["over_empty_ns"] for row in unselected])
    targets.add("wall mode: kernel time per context switch of unselected tasks, over an empty "
                "sched_switch program beside it (median, 95% CI; raw)",
                "%s ns (%s … %s); raw %s ns, empty %s ns" % (
                    f1(over), f1(ci[0]), f1(ci[1]), f1(median([row["ns_per_switch"] for row in unselected])),
                    f1(median([row["null"]["ns_per_sample"] for row in unselected]))),
                "≤ 100 ns", over <= 100)
    clock = data.get("clock", [])
    if clock:
        cost, ci = _median_ci([row["clock_ns"] - row["empty_ns"] for row in clock])
        out.append("`stprof_switch` reads the clock (`bpf_ktime_get_ns`) only for a profiled "
                   "thread, after the PID tests: what that read would cost on every switch is "
                   "shown for scale. An empty program that only calls "
                   "`bpf_ktime_get_ns` costs **%s ns** (95%% CI %s … %s) more than the empty one "
                   "beside it (the same ping-pong, %d rounds of %s s, the two attached in "
                   "alternating order).\n" % (f1(cost), f1(ci[0]), f1(ci[1]), len(clock), f1(seconds / 2)))
        data["derived"]["clock_read_ns"] = cost
    selected = data["selected"]
    out.append("| Python depth | rounds | switch-outs S/s | S / Δrun_cnt | switch-outs with a stack recorded | ns per switch-out, raw | net of the empty | net, 95% CI |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---|")
    recorded = sum(row["counters"].get("offcpu_recorded", 0) for row in selected)
    no_stack = sum(row["counters"].get("offcpu_no_stack", 0) for row in selected)
    net, ci = _median_ci([row["net_ns_per_switch_out"] for row in selected])
    raw = median([row["ns_per_switch_out"] for row in selected])
    out.append("| %d | %d | %s | %s | %s%% | %s | **%s** | %s … %s |" % (
        data["depth"], len(selected), f1(median([row["switch_outs"] / seconds for row in selected]), 0),
        f1(median([row["switch_outs"] / max(1, row["run_cnt"]) for row in selected]), 3),
        f1(100.0 * recorded / max(1, recorded + no_stack), 2), f1(raw), f1(net), f1(ci[0]), f1(ci[1])))
    out.append("")
    out.append("*Switch-outs with a stack recorded*: the profiler's `offcpu_recorded` / (`offcpu_recorded` "
               "+ `offcpu_no_stack`) over its whole runs. `stprof_switch`: %d xlated instructions, %d "
               "bytes JITed, %d instructions verified.\n" % (
                   selected[0]["xlated_insns"], selected[0]["jited_bytes"], selected[0]["verified_insns"]))
    data["derived"].update({"ns_per_switch_out": raw, "net_ns_per_switch_out": net})
    targets.add("wall mode: kernel time per switch-out of a Python thread at depth %d, with its "
                "switch-in (median; net of the empty program; raw)" % data["depth"],
                "%s ns (CI %s … %s); raw %s ns" % (f1(net), f1(ci[0]), f1(ci[1]), f1(raw)),
                "≤ 3 µs", net <= 3000)

    stats, (wall_over_cpu, wall_over_cpu_ci) = wall_slowdown_stats(data)
    out.append("**Slowdown of a switch-heavy program.** `workloads/pingpong.py %d %d`: the same two "
               "threads at depth %d, %d round trips, timed by the process itself from its first token "
               "to the join of both threads (`time.perf_counter()`, and `time.process_time()` for "
               "CPU, which includes the kernel time of their switches). A fresh process per run; the "
               "profiler attaches (`-p PID -F %d`; Austin `-i %d -p PID`) before `go`. Each of %d "
               "rounds runs the %d configurations once, round-robin, the order rotating by one from "
               "round to round; a run's ratio is to the unprofiled run of its round. Medians, with a "
               "bootstrap 95%% interval of the median ratio; switches/s: the two threads' context "
               "switches (their own `/proc/thread-self/status`) per second of the run.\n" % (
                   data["depth"], data["round_trips"], data["depth"], data["round_trips"], data["rate_hz"],
                   round(1e6 / data["rate_hz"]), data["rounds"], len(data["configs"])))
    out.append("| configuration | runs | wall time (median) | wall ratio | wall ratio 95% CI | CPU ratio | CPU ratio 95% CI | switches/s | samples/run |")
    out.append("|---|---:|---:|---:|---|---:|---|---:|---:|")
    for config in data["configs"]:
        entry = stats[config]
        (wall, wall_ci), (cpu, cpu_ci) = entry["wall_ratio"], entry["cpu_ratio"]
        ratios = ["–", "–", "–", "–"] if config == "none" else [
            "×" + f1(wall, 2), "%s … %s" % (f1(wall_ci[0], 2), f1(wall_ci[1], 2)),
            "×" + f1(cpu, 2), "%s … %s" % (f1(cpu_ci[0], 2), f1(cpu_ci[1], 2))]
        out.append("| %s | %d | %s s | %s | %s | %s | %s | %s | %s |" % (
            WALL_CONFIGS.get(config, config), entry["runs"], f1(entry["wall_median"], 3), *ratios,
            f1(entry["switches_per_second"], 0), f1(entry["samples"], 0)))
    out.append("")
    out.append("`--mode wall` over `--mode cpu`, run by run: ×%s (95%% CI %s … %s). With `-p`, "
               "CPU mode samples the workload through a cpu-clock perf event on each of its "
               "threads (at %s), which the kernel stops and starts at each of their switches; "
               "*perf events, no program* are such events with nothing attached. Wall mode "
               "samples every CPU instead (one event each; other tasks' samples are dropped "
               "after a bit test).\n" % (
                   f1(wall_over_cpu, 2), f1(wall_over_cpu_ci[0], 2), f1(wall_over_cpu_ci[1], 2),
                   rate_name(data["rate_hz"])))
    for failure in data.get("failures", []):
        out.append("- failed run (left out): %s, round %d: `%s`" % (
            WALL_CONFIGS.get(failure["config"], failure["config"]), failure["round"] + 1,
            failure["error"].replace("`", "'").replace("\n", " ")[:300]))
    if data.get("failures"):
        out.append("")
    data["derived"]["slowdown"] = {config: {"wall_ratio": stats[config]["wall_ratio"][0],
                                            "cpu_ratio": stats[config]["cpu_ratio"][0],
                                            "switches_per_second": stats[config]["switches_per_second"]}
                                   for config in data["configs"]}
    targets.add("(context) switch-heavy program (%s switches/s), wall-time ratio to no profiler: "
                "`--mode wall`; `--mode cpu`; Austin; per-thread perf events alone" % f1(
                    stats["none"]["switches_per_second"], 0),
                "; ".join("×%s" % f1(stats[c]["wall_ratio"][0], 2) if c in stats else "n/a"
                          for c in ("wall", "cpu", "austin", "thread-perf-events")), "–", None)


def render_churn(data, targets, out):
    out.append("## 7. Churn: short-lived Python processes\n")
    quiet, churn = data["quiet"], data["churn"]
    seconds = churn["window_seconds"]
    out.append(
        "`stprof-bpf --all-python -F 99` twice, each measured from 3 s after its start over %d s: "
        "once with nothing new starting, once with a `workloads/short_lived.py` process (host "
        "CPython; imports `json`, burns %s s of CPU, exits) started every %s s. CPU: all the "
        "profiler's threads (/proc/PID/task/*/schedstat); RSS and open descriptors at the start and "
        "the end of the window. *Unknown frames*: the short processes' samples with an "
        "`<unknown code>` frame (a code object gone before it was read).\n"
        % (seconds, f1(data["cpu_per_process"], 2), f1(data["interval"], 2)))
    out.append("| run | processes started | CPU (% of one core) | RSS start → end | descriptors start → end | unknown frames |")
    out.append("|---|---:|---:|---|---|---:|")
    for name, run in (("quiet", quiet), ("churn", churn)):
        cpu = run["after"]["cpu_seconds"] - run["before"]["cpu_seconds"]
        out.append("| %s | %d | %s%% | %s → %s MB | %d → %d | %s |" % (
            name, run["processes"], f1(100.0 * cpu / seconds, 2), f1(run["before"]["rss_kb"] / 1024.0),
            f1(run["after"]["rss_kb"] / 1024.0), run["before"]["fds"], run["after"]["fds"],
            "%s%% of %d" % (f1(100.0 * run["unknown_samples"] / run["samples"]), run["samples"])
            if run["samples"] else "–"))
    out.append("")
    extra = (churn["after"]["cpu_seconds"] - churn["before"]["cpu_seconds"]) - \
            (quiet["after"]["cpu_seconds"] - quiet["before"]["cpu_seconds"])
    per_process_ms = 1000.0 * extra / churn["processes"] if churn["processes"] else None
    data["cpu_ms_per_process"] = per_process_ms
    targets.add("profiler CPU per new Python process of a binary seen before (churn minus quiet)",
                "%s ms" % f1(per_process_ms, 2), "≤ 2 ms",
                per_process_ms is not None and per_process_ms <= 2)
    cpu_share = 100.0 * (churn["after"]["cpu_seconds"] - churn["before"]["cpu_seconds"]) / seconds
    targets.add("profiler CPU with a new Python process every %s s" % f1(data["interval"], 2),
                "%s%% of one core" % f1(cpu_share, 2), "< 1% of one core", cpu_share < 1)
    if churn["samples"]:
        share = 100.0 * churn["unknown_samples"] / churn["samples"]
        targets.add("short-lived processes' samples with an unknown frame", "%s%%" % f1(share),
                    "< 1%", share < 1)


def render_appendix(data, out):
    slowdown = data["sections"].get("slowdown")
    if not slowdown:
        return
    out.append("## Appendix: raw A/B pairs\n")
    out.append("Every profiled run with the mean of its neighbouring unprofiled runs (seconds). The "
               "unprofiled runs themselves and every other number are in the JSON file.\n")
    out.append("| round | interpreter | profiler | rate | CPU | baseline CPU | CPU slowdown | wall | baseline wall | wall slowdown | samples |")
    out.append("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in slowdown["runs"]:
        if not run.get("tool"):
            continue
        out.append("| %d | %s | %s | %s | %.4f | %.4f | %+.2f%% | %.4f | %.4f | %+.2f%% | %s |" % (
            run["round"] + 1, run["interpreter"], run["tool"], rate_name(run["rate"]), run["cpu"],
            run["baseline_cpu"], 100.0 * (run["cpu"] / run["baseline_cpu"] - 1), run["wall"],
            run["baseline_wall"], 100.0 * (run["wall"] / run["baseline_wall"] - 1), run.get("samples")))
    out.append("")


# ---- the whole report -----------------------------------------------------------------

def render(data, json_name):
    machine = data["machine"]
    out = ["# stprof-bpf benchmark\n"]
    out.append("`%s` (%s mode), started %s, took **%s min**. Raw numbers: `%s` beside this file.\n" % (
        data["command"], data["mode"], data["started"], f1(data.get("elapsed_seconds", 0) / 60), json_name))
    if data.get("errors"):
        out.append("**Errors:**\n")
        for name, error in data["errors"].items():
            out.append("- %s: `%s`" % (name, error.strip().splitlines()[0] if error.strip() else ""))
        out.append("")

    targets = Targets()
    body = []
    renderers = [("slowdown", render_slowdown), ("kernel", render_kernel), ("rates", render_rates),
                 ("scale", render_scale), ("accuracy", render_accuracy), ("real", render_real), ("wall", render_wall),
                 ("churn", render_churn)]
    for name, renderer in renderers:
        if name in data["sections"]:
            renderer(data["sections"][name], targets, body)

    out.append("## Targets\n")
    out.append("| target | measured | goal | |")
    out.append("|---|---|---|---|")
    for what, measured, goal, ok in targets.rows:
        out.append("| %s | %s | %s | %s |" % (what, measured, goal, ok or ""))
    out.append("")

    out.append("## Machine and tools\n")
    out.append("- kernel: %s (`%s`)" % (machine["kernel"], machine["kernel_version"]))
    out.append("- CPU: %s, %d CPUs%s; %s GB RAM" % (
        machine["cpu_model"], machine["cpus"],
        ", %s guest" % machine["hypervisor"] if machine["hypervisor"] else "", machine["memory_gb"]))
    out.append("- `kernel.perf_event_max_sample_rate` %s, `kernel.perf_cpu_time_max_percent` %s at the start" % (
        machine["perf_event_max_sample_rate"], machine["perf_cpu_time_max_percent"]))
    out.append("- load average at the start %s; other `stprof_sample` programs loaded at the start: %d" % (
        f1(machine["loadavg"], 2), machine["other_samplers_loaded"]))
    out.append("- stprof-bpf: `%s` (%s, checkout `%s`, sha256 `%s…`)" % (
        machine["stprof_binary"], machine["stprof_version"], machine["git"], machine["stprof_sha256"][:16]))
    for key, info in machine["interpreters"].items():
        out.append("- %s: `%s`%s — %s" % (info["name"], info["python"],
                                         " in the root `%s`" % info["root"] if info["root"] else "",
                                         info["version"].replace("\n", " ")))
    if "austin" in machine:
        out.append("- Austin: %s (trixie root)" % machine["austin"])
    out.append("- %s; bpf_prog_info read with the bpf(2) syscall (`tools/bench/bpfinfo.py`)" % machine["bpftool"])
    out.append("")
    out.append("Commands (PID: the workload, started first; in a Debian root every command runs as "
               "`unshare -m sh -c 'mount -t proc proc ROOT/proc && exec chroot ROOT …'`, and a "
               "profiler that attaches runs as `nsenter -t PID -m chroot ROOT …`, so both see the "
               "same paths and a /proc without anything mounted on the host):\n")
    out.append("```")
    out.append("stprof-bpf -p PID -F RATE -o OUT.folded --json          # slowdown, kernel cost by depth, accuracy")
    out.append("stprof-bpf --comm NAME -F RATE -o OUT.folded --json     # kernel cost of other tasks, rates")
    out.append("stprof-bpf --all-python -F 99 -d SECONDS -o OUT --json  # scale")
    out.append("stprof-bpf --all-python -F 99 -d SECONDS -o OUT         # churn")
    out.append("stprof-bpf --mode wall|cpu -p PID [-F RATE] -o OUT.folded --json   # wall")
    out.append("austin -i INTERVAL_US -o OUT -p PID                       # trixie root")
    out.append("austin -s -i INTERVAL_US -o OUT -p PID                    # trixie root, real programs")
    out.append("perf record -q -N -e cpu-clock -F RATE --call-graph dwarf,16384 -p PID -o OUT   # host, real programs")
    out.append("stprof-bpf -p PID -F RATE --full-filenames -o OUT.folded --json                  # real programs")
    out.append("python3.15 -m profiling.sampling attach -r RATE --collapsed -o OUT PID   # sid root")
    out.append("```\n")
    out.append("Noise: this is a small shared VM; every comparison is between runs interleaved in one "
               "run of the harness, and absolute times are context only. CPU load per section "
               "(busy share of all CPUs, steal, load average):\n")
    out.append("| section | took | busy | steal | load average start → end |")
    out.append("|---|---:|---:|---:|---|")
    for name, section in data["sections"].items():
        load = section.get("load", {})
        out.append("| %s | %s s | %s%% | %s%% | %s → %s |" % (
            name, f1(section.get("elapsed_seconds"), 0), f1(load.get("busy_percent")), f1(load.get("steal_percent"), 2),
            f1(load.get("loadavg_start"), 2), f1(load.get("loadavg_end"), 2)))
    out.append("")
    if data.get("restored_sysctls"):
        out.append("Sysctls changed during the run and restored at the end: %s\n" % ", ".join(
            "%s was %s" % kv for kv in data["restored_sysctls"].items()))
    out.extend(body)
    render_appendix(data, out)
    if data.get("errors"):
        out.append("## Errors\n")
        for name, error in data["errors"].items():
            out.append("%s:\n```\n%s\n```\n" % (name, error.strip()))
    return "\n".join(out) + "\n"
