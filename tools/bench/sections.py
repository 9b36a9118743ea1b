"""The eight measurements. Each takes the run's context and returns plain data (saved as JSON
beside the report, rendered by report.py)."""
import json
import math
import os
import shutil
import signal
import subprocess
import time

import bpfinfo
from common import (Attached, Lines, Stprof, Workload, austin_command, cpu_steal_idle,
                    dmesg_lines, folded_depths, forks_since_boot, proc_context_switches,
                    proc_runtime_seconds, leaf_totals_austin, leaf_totals_folded,
                    leaf_totals_perf, leaf_totals_tachyon, log, median, perf_record_command,
                    perf_script, popen, read_sysctl, reap_many, reap, tachyon_command,
                    write_sysctl)

RATES = (99, 1000, 10000)
# Perf events without stprof-bpf: an empty program on cpu-clock events of every CPU, those
# events with no program, and events with no program on the workload's threads (as -p attaches).
FLOORS = ("empty-bpf", "perf-events", "thread-perf-events")


class Load:
    """Steal and busy share of all CPUs over a section (context for the noise)."""

    def __init__(self):
        self.start = cpu_steal_idle()
        self.load_start = os.getloadavg()

    def finish(self):
        total, idle, steal = (b - a for a, b in zip(self.start, cpu_steal_idle()))
        total = total or 1
        return {"busy_percent": 100.0 * (total - idle) / total, "steal_percent": 100.0 * steal / total,
                "loadavg_start": self.load_start[0], "loadavg_end": os.getloadavg()[0]}


# ---- 1. target slowdown ------------------------------------------------------------------

def _tool_run(ctx, interpreter, tool, rate, serial, workload_args=None, stprof_args=()):
    """One timed run of a workload (default: cpu_work.py), with tool attached at rate (tool None:
    no profiler); stprof_args go to stprof-bpf before its own."""
    workload = Workload(interpreter, *(workload_args or ("cpu_work.py", ctx.work_scale)))
    profiler, samples, output = None, None, None
    try:
        if tool == "stprof-bpf":
            output = os.path.join(ctx.tmpdir, "slowdown-%d.folded" % serial)
            profiler = Stprof(ctx.binary, list(stprof_args) + ["-p", workload.pid, "-F", rate], output)
        elif tool == "austin":
            inside = "%s/austin-%d.txt" % (interpreter.workdir, serial)
            output = interpreter.host_path(inside)
            profiler = Attached(austin_command(interpreter, workload.pid, round(1e6 / rate), inside),
                                settle=ctx.austin_settle, ready_file=output)
        elif tool in FLOORS:
            profiler = bpfinfo.NullSampler(rate, ctx.cpus, program=tool == "empty-bpf",
                                           threads_of=tool == "thread-perf-events" and workload.pid)
        elif tool == "tachyon":
            inside = "%s/tachyon-%d.txt" % (interpreter.workdir, serial)
            output = interpreter.host_path(inside)
            profiler = Attached(tachyon_command(interpreter, workload.pid, rate, inside),
                                settle=ctx.tachyon_settle)
        workload.go()
        result = workload.result()
    finally:
        workload.kill()
        if tool == "stprof-bpf" and profiler is not None:
            samples = profiler.stop()["samples"]
        elif tool in FLOORS and profiler is not None:
            profiler.close()
        elif profiler is not None:
            profiler.wait()
    if tool == "austin":
        samples = leaf_totals_austin(output)[1]
    elif tool == "tachyon" and os.path.exists(output):
        samples = leaf_totals_tachyon(output)[1]
    if output and os.path.exists(output):
        os.unlink(output)
    result["samples"] = samples
    return result


def slowdown(ctx):
    # empty-bpf: an empty BPF program on the same per-CPU cpu-clock events stprof-bpf uses, the
    # floor of any perf_event sampler on this machine (timer interrupts, perf, BPF entry);
    # perf-events: the same events with no program, the timer interrupts alone.
    groups = [(ctx.interpreters["host"], ["stprof-bpf", "empty-bpf", "perf-events"])]
    if "austin" in ctx.interpreters:
        groups.append((ctx.interpreters["austin"], ["stprof-bpf", "austin"]))
    if "tachyon" in ctx.interpreters:
        groups.append((ctx.interpreters["tachyon"], ["stprof-bpf", "tachyon"]))
    data = {"work_scale": ctx.work_scale, "rounds": ctx.pairs, "rates": list(RATES),
            "austin_settle": ctx.austin_settle, "tachyon_settle": ctx.tachyon_settle,
            "interpreters": {}, "runs": []}
    for interpreter, tools in groups:
        data["interpreters"][interpreter.name] = {
            "version": interpreter.version, "configs": ["%s@%d" % (t, r) for t in tools for r in RATES]}
    load = Load()
    serial = 0
    for round_index in range(ctx.pairs):
        log("slowdown: round %d of %d" % (round_index + 1, ctx.pairs))
        for interpreter, tools in groups:
            configs = [(t, r) for t in tools for r in RATES]
            ctx.rng.shuffle(configs)
            # B P B P ... B: each profiled run is paired with the mean of the unprofiled runs
            # just before and just after it, which cancels slow drift of the machine's speed.
            previous = _tool_run(ctx, interpreter, None, 0, serial)
            data["runs"].append(dict(previous, interpreter=interpreter.name, tool=None, round=round_index))
            for tool, rate in configs:
                serial += 1
                try:
                    profiled = _tool_run(ctx, interpreter, tool, rate, serial)
                except RuntimeError as error:  # one failed attach must not lose the section
                    data.setdefault("failures", []).append(
                        {"interpreter": interpreter.name, "tool": tool, "rate": rate, "round": round_index,
                         "error": str(error)[-500:]})
                    log("slowdown: %s at %d Hz failed: %s" % (tool, rate, error))
                    continue
                following = _tool_run(ctx, interpreter, None, 0, serial)
                data["runs"].append(dict(profiled, interpreter=interpreter.name, tool=tool, rate=rate,
                                         round=round_index,
                                         baseline_cpu=(previous["cpu"] + following["cpu"]) / 2,
                                         baseline_wall=(previous["wall"] + following["wall"]) / 2))
                data["runs"].append(dict(following, interpreter=interpreter.name, tool=None, round=round_index))
                previous = following
    data["load"] = load.finish()
    return data


# ---- 2. kernel cost per sample -----------------------------------------------------------

def _measure_prog(profiler, seconds, null=None, program="stprof_sample", switches_of=None):
    """The profiler's program's run time and count over `seconds`; with a bpfinfo.NullSampler
    or NullSwitch, the empty program's over the same interval too ("null"); with switches_of (a
    pid), how many times that process's threads were switched out meanwhile ("switch_outs")."""
    time.sleep(0.3)
    before, null_before = bpfinfo.sampler_prog(profiler.pid, program), null and null.info()
    switches_before = switches_of and proc_context_switches(switches_of)
    time.sleep(seconds)
    after, null_after = bpfinfo.sampler_prog(profiler.pid, program), null and null.info()
    switches_after = switches_of and proc_context_switches(switches_of)
    if before is None or after is None:
        raise RuntimeError("no %s program held by stprof-bpf pid %d" % (program, profiler.pid))
    runs = after["run_cnt"] - before["run_cnt"]
    measured = {"run_time_ns": after["run_time_ns"] - before["run_time_ns"], "run_cnt": runs,
                "recursion_misses": after["recursion_misses"], "info": after,
                "bpftool": bpftool_show(after["id"])}
    if switches_of:
        measured["switch_outs"] = switches_after - switches_before
    if null:
        null_runs = null_after["run_cnt"] - null_before["run_cnt"]
        null_time = null_after["run_time_ns"] - null_before["run_time_ns"]
        measured["null"] = {"run_cnt": null_runs, "run_time_ns": null_time,
                            "ns_per_sample": null_time / max(1, null_runs)}
    return measured


def _measure_and_stop(profiler, seconds, null=None, program="stprof_sample", switches_of=None):
    """_measure_prog, then the profiler stopped: (measured, its summary). The empty program is
    closed and the profiler reaped whatever happens."""
    try:
        measured = _measure_prog(profiler, seconds, null, program, switches_of)
        return measured, profiler.stop()
    finally:
        if null is not None:
            null.close()
        reap(profiler.process)


def deep_run(ctx, depth, seconds, copies, frequency, shape="distinct", interpreter="host"):
    """copies workloads spinning at depth (deep.py's SHAPE) on ctx.interpreters[interpreter];
    stprof-bpf on them; the program's run time per run."""
    workloads = []
    profiler = None
    try:
        for _ in range(copies):
            workloads.append(Workload(ctx.interpreters[interpreter], "deep.py", depth, seconds + 60, shape))
        for workload in workloads:
            workload.go()  # spinning before the profiler starts: its whole life is at this depth
        output = os.path.join(ctx.tmpdir, "deep-%d.folded" % depth)
        args = ["-F", frequency]
        for workload in workloads:
            args += ["-p", workload.pid]
        profiler = Stprof(ctx.binary, args, output)
        measured = _measure_prog(profiler, seconds)
        summary = profiler.stop()
        profiler = None
    finally:
        if profiler is not None:
            reap(profiler.process)
        for workload in workloads:
            workload.kill()
    rows = folded_depths(output)
    os.unlink(output)
    counters = summary["counters"]
    whole = [d for d, ok, _ in rows if ok]
    measured.update({
        "depth": depth, "shape": shape, "python": ctx.interpreters[interpreter].version,
        "copies": copies, "frequency_hz": frequency,
        "ns_per_sample": measured["run_time_ns"] / max(1, measured["run_cnt"]),
        "python_fraction": counters.get("samples_recorded", 0) / max(1, counters.get("samples", 1)),
        "counters": counters, "deepest_whole": max(whole) if whole else 0,
        "truncated_stacks": summary["incomplete"]["truncated_stacks"],
        "samples": summary["samples"],
        "samples_at_depth": sum(c for d, ok, c in rows if ok and d == depth),
    })
    return measured


def deep_run_together(ctx, binaries, depth, seconds, copies, frequency, shape, interpreter):
    """Every build in `binaries` attached at once, in that order, to the same copies of deep.py
    at depth: each one's program's ns per run over the same interval, so that what the machine
    does meanwhile weighs on all of them alike."""
    workloads, profilers = [], []
    try:
        for _ in range(copies):
            workloads.append(Workload(ctx.interpreters[interpreter], "deep.py", depth, seconds + 60, shape))
        for workload in workloads:
            workload.go()
        args = ["-F", frequency] + [arg for w in workloads for arg in ("-p", w.pid)]
        for index, binary in enumerate(binaries):
            output = os.path.join(ctx.tmpdir, "together-%d.folded" % index)
            profilers.append(Stprof(binary, args, output))
        time.sleep(0.3)
        before = [bpfinfo.sampler_prog(p.pid) for p in profilers]
        time.sleep(seconds)
        after = [bpfinfo.sampler_prog(p.pid) for p in profilers]
    finally:
        for profiler in profilers:
            profiler.stop()
        for workload in workloads:
            workload.kill()
    if None in before + after:
        raise RuntimeError("a stprof-bpf held no stprof_sample program")
    return [(a["run_time_ns"] - b["run_time_ns"]) / max(1, a["run_cnt"] - b["run_cnt"])
            for b, a in zip(before, after)]


def kernel_cost(ctx):
    data = {"depths": [], "recursive": [], "epoch": [], "by_frequency": [], "limit_probes": [],
            "seconds": ctx.cost_seconds}
    old_stats = read_sysctl("kernel.bpf_stats_enabled")
    write_sysctl("kernel.bpf_stats_enabled", 1)
    load = Load()
    try:
        # A non-Python task on every CPU: busy shell loops while one idle Python process is
        # registered, so every sample takes the "not a registered process" exit. The floor, an
        # empty program on cpu-clock events of its own, runs at the same time under the same
        # load, and both programs' statistics are read at the same instants: the difference is
        # what the sampler's exit costs, with the machine's moods common to both.
        log("kernel cost: non-Python task, beside an empty program")
        idle = Workload(ctx.interpreters["host"], "resident.py", "idle")
        loops = [popen(["sh", "-c", "while :; do :; done"]) for _ in range(ctx.cpus)]
        null = None
        try:
            output = os.path.join(ctx.tmpdir, "nonpython.folded")
            # Selected by name, not -p: with -p only the target's own threads are sampled.
            profiler = Stprof(ctx.binary, ["-F", 1000, "--comm", "^resident\\.py$"], output)
            try:
                null = bpfinfo.NullSampler(1000, ctx.cpus)
            except OSError as error:
                data["null_program"] = {"error": str(error)}
            measured, summary = _measure_and_stop(profiler, ctx.cost_seconds, null)
        finally:
            for loop in loops:
                reap(loop)
            idle.kill()
        if "null" in measured:
            data["null_program"] = measured.pop("null")
        measured["ns_per_sample"] = measured["run_time_ns"] / max(1, measured["run_cnt"])
        measured["counters"] = summary["counters"]
        data["non_python"] = measured
        data["program"] = measured.pop("info")
        data["bpftool"] = measured.pop("bpftool")
        c_other = measured["ns_per_sample"]

        # 3.11 (its code epoch counted by the profiler's uprobe) is the main series; 3.13 and
        # 3.15 have their interpreter's (see code_memo_tag). "austin" is the trixie 3.13,
        # "tachyon" the sid 3.15.
        # The last series is one stack at other sampling rates: a sample's cost depends on how
        # much of what the sampler touches (its code, its maps, the target's memory) is still
        # cached from the CPU's previous sample.
        for interpreter, shape, depths, frequencies, rows in (
                ("host", "distinct", ctx.cost_depths, [1000], data["depths"]),
                ("host", "recursive", ctx.recursive_cost_depths, [1000], data["recursive"]),
                ("austin", "distinct", ctx.epoch_cost_depths, [1000], data["epoch"]),
                ("tachyon", "distinct", ctx.epoch_cost_depths, [1000], data["epoch"]),
                ("austin", "distinct", [50], ctx.cost_frequencies, data["by_frequency"])):
            if interpreter not in ctx.interpreters:
                continue
            for depth, frequency in ((d, f) for d in depths for f in frequencies):
                log("kernel cost: depth %d, %s functions, Python %s, %d Hz" % (
                    depth, shape, ctx.interpreters[interpreter].version, frequency))
                measured = deep_run(ctx, depth, ctx.cost_seconds, ctx.cpus, frequency, shape,
                                    interpreter)
                measured.pop("info")
                measured.pop("bpftool")
                # Samples that were not of the deep workloads (another task, idle) cost about
                # what a non-Python sample costs; take them out to get the cost of a Python one.
                f = measured["python_fraction"]
                if f > 0:
                    measured["ns_per_python_sample"] = (
                        measured["ns_per_sample"] - (1 - f) * c_other) / f
                rows.append(measured)
        for depth in ctx.limit_probes:
            log("depth limit: depth %d" % depth)
            measured = deep_run(ctx, depth, 1.0, 1, 1000)
            measured.pop("info")
            measured.pop("bpftool")
            data["limit_probes"].append(measured)
    finally:
        write_sysctl("kernel.bpf_stats_enabled", old_stats)
    data["load"] = load.finish()
    return data


def bpftool_show(prog_id):
    try:
        return subprocess.run(["bpftool", "prog", "show", "id", str(prog_id)], capture_output=True,
                              text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return "(bpftool: %s)" % error


# ---- 3. samples delivered vs requested ---------------------------------------------------

def sample_rates(ctx):
    data = {"rates": [], "seconds": ctx.rate_seconds}
    load = Load()
    max_rate_start = read_sysctl("kernel.perf_event_max_sample_rate")
    data["max_sample_rate_start"] = int(max_rate_start)
    for rate in ctx.delivery_rates:
        log("samples delivered: %d Hz" % rate)
        before_dmesg = len(dmesg_lines())
        max_before = int(read_sysctl("kernel.perf_event_max_sample_rate"))
        workload = Workload(ctx.interpreters["host"], "deep.py", 10, ctx.rate_seconds + 60)
        workload.go()
        # Every other CPU busy too (a shell loop): an idle CPU's cpu-clock interrupts depend on
        # how the platform wakes an idle (v)CPU, which is not what this measures.
        loops = [popen(["sh", "-c", "while :; do :; done"]) for _ in range(ctx.cpus - 1)]
        row = {"rate": rate, "max_sample_rate_before": max_before}
        profiler = None
        try:
            output = os.path.join(ctx.tmpdir, "rate-%d.folded" % rate)
            try:
                # By name, so that every CPU is sampled (-p would sample only the workload).
                profiler = Stprof(ctx.binary, ["-F", rate, "--comm", "^deep\\.py$"], output)
            except RuntimeError as error:
                row["error"] = str(error)
            if profiler is not None:
                # The thread's CPU time while the sampler is attached (start-up excluded).
                cpu_before, wall_before = proc_runtime_seconds(workload.pid), time.monotonic()
                time.sleep(ctx.rate_seconds)
                cpu_after, wall_after = proc_runtime_seconds(workload.pid), time.monotonic()
                summary = profiler.stop()
                profiler = None
                duration = summary["duration_seconds"]
                row.update({
                    "duration_seconds": duration, "cpus": summary["cpus"],
                    "cpu_ticks_sampled": summary["cpu_ticks_sampled"],
                    "ticks_requested": rate * summary["sampled_cpu_seconds"],
                    "python_samples": summary["samples"],
                    "thread_requested": rate * duration,
                    "window_seconds": wall_after - wall_before,
                    "thread_cpu_seconds": cpu_after - cpu_before,  # schedstat: precise
                    "counters": summary["counters"], "not_counted": summary["not_counted"],
                    "incomplete": summary["incomplete"],
                })
                if os.path.exists(output):
                    os.unlink(output)
        finally:
            if profiler is not None:
                reap(profiler.process)
            workload.kill()
            reap_many(loops)
        new = dmesg_lines()[before_dmesg:]
        row["dmesg"] = [line for line in new if "perf" in line.lower()]
        row["max_sample_rate_after"] = int(read_sysctl("kernel.perf_event_max_sample_rate"))
        data["rates"].append(row)
    data["max_sample_rate_end"] = int(read_sysctl("kernel.perf_event_max_sample_rate"))
    data["load"] = load.finish()
    return data


# ---- 4. scale: many Python processes -----------------------------------------------------

def _spawn_residents(ctx, mode, count):
    """count resident.py processes. Busy ones run under SCHED_IDLE: they still take every idle
    CPU cycle (the CPUs are 100% busy with Python), but neither the profiler nor the harness (nor
    anyone else on the machine) waits behind hundreds of CPU hogs. At equal priority, a profiler
    that needs 0.2 s of CPU to start gets 2/(N+1) of the CPUs and takes a minute to do it."""
    interpreter = ctx.interpreters["host"]
    processes = []
    for _ in range(count):
        process = popen(interpreter.script("resident.py", mode), stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        processes.append(process)
    for process in processes:
        line = process.stdout.readline()
        if not line.startswith(b"ready"):
            raise RuntimeError("resident.py did not start")
    if mode == "busy":
        for process in processes:
            process.send_signal(signal.SIGUSR1)
    return processes


def scale(ctx):
    data = {"duration": ctx.scale_seconds, "frequency_hz": 99, "runs": []}
    load = Load()
    for mode in ("idle", "busy"):
        for count in ctx.scale_counts:
            log("scale: %d %s Python processes, %d s" % (count, mode, ctx.scale_seconds))
            residents = _spawn_residents(ctx, mode, count)
            try:
                time.sleep(1.0)
                data["runs"].append(dict(_scale_run(ctx), mode=mode, count=count))
            finally:
                reap_many(residents)
                for process in residents:
                    process.stdout.close()
    data["load"] = load.finish()
    return data


def _scale_run(ctx):
    output = os.path.join(ctx.tmpdir, "scale.folded")
    command = [ctx.binary, "--all-python", "-F", "99", "-d", str(ctx.scale_seconds), "-o", output, "--json"]
    started, forks_before = time.monotonic(), forks_since_boot()
    process = popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = Lines(process.stdout), Lines(process.stderr)
    # Steady state: CPU time between 3 s after the start and 1 s before the end (start-up, i.e.
    # loading and verifying the BPF program and the first scan, is left out).
    window = None
    if ctx.scale_seconds >= 5:
        time.sleep(3.0)
        a_time, a_cpu = time.monotonic(), proc_runtime_seconds(process.pid)
        time.sleep(max(0.0, started + ctx.scale_seconds - 1.0 - time.monotonic()))
        b_time, b_cpu = time.monotonic(), proc_runtime_seconds(process.pid)
        window = {"seconds": b_time - a_time, "cpu_seconds": b_cpu - a_cpu}
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    reap(process)
    stdout, stderr = out.finish(), err.finish()
    summary = None
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            summary = json.loads(line)
            break
    if os.path.exists(output):
        os.unlink(output)
    row = {"wall_seconds": wall, "utime": usage.ru_utime, "stime": usage.ru_stime,
           "host_forks_per_second": (forks_since_boot() - forks_before) / wall,
           "maxrss_kb": usage.ru_maxrss, "exit_code": process.returncode,
           "cpu_percent_of_core": 100.0 * (usage.ru_utime + usage.ru_stime) / wall,
           "stderr": stderr.strip()[-1000:] if summary is None else ""}
    if window:
        row["steady_cpu_percent_of_core"] = 100.0 * window["cpu_seconds"] / window["seconds"]
        row["steady_window_seconds"] = window["seconds"]
    if summary:
        row.update({"processes": summary.get("processes"), "samples": summary.get("samples"),
                    "threads": summary.get("threads")})
    return row


# ---- 5. accuracy -------------------------------------------------------------------------

LEAVES = ("leaf_a", "leaf_b", "leaf_c")


def accuracy(ctx):
    cases = [("host", "stprof-bpf")]
    if "austin" in ctx.interpreters:
        cases += [("austin", "stprof-bpf"), ("austin", "austin")]
    if "tachyon" in ctx.interpreters:
        cases += [("tachyon", "stprof-bpf"), ("tachyon", "tachyon")]
    data = {"seconds": ctx.accuracy_seconds, "rate_hz": 1000, "runs": []}
    load = Load()
    serial = 0
    for repeat in range(ctx.accuracy_repeats):
        for key, tool in cases:
            interpreter = ctx.interpreters[key]
            serial += 1
            log("accuracy: %s on %s (%d/%d)" % (tool, interpreter.label, repeat + 1, ctx.accuracy_repeats))
            workload = Workload(interpreter, "shares.py", ctx.accuracy_seconds)
            profiler = None
            try:
                if tool == "stprof-bpf":
                    output = os.path.join(ctx.tmpdir, "accuracy-%d.folded" % serial)
                    profiler = Stprof(ctx.binary, ["-p", workload.pid, "-F", 1000], output)
                elif tool == "austin":
                    inside = "%s/accuracy-%d.austin" % (interpreter.workdir, serial)
                    output = interpreter.host_path(inside)
                    profiler = Attached(austin_command(interpreter, workload.pid, 1000, inside),
                                        settle=ctx.austin_settle, ready_file=output)
                else:
                    inside = "%s/accuracy-%d.collapsed" % (interpreter.workdir, serial)
                    output = interpreter.host_path(inside)
                    profiler = Attached(tachyon_command(interpreter, workload.pid, 1000, inside),
                                        settle=ctx.tachyon_settle)
                workload.go()
                truth = workload.result()
            finally:
                workload.kill()
                if tool == "stprof-bpf" and profiler is not None:
                    profiler.stop()
                elif profiler is not None:
                    profiler.wait()
            if tool == "stprof-bpf":
                totals = leaf_totals_folded(output)[0]
                unit = "samples"
            elif tool == "austin":
                totals = leaf_totals_austin(output)[0]
                unit = "microseconds (austin's wall metric)"
            else:
                totals = leaf_totals_tachyon(output)[0]
                unit = "samples"
            os.unlink(output)
            truth_total = sum(truth[leaf] for leaf in LEAVES)
            measured_total = sum(totals.get(leaf, 0) for leaf in LEAVES)
            everything = sum(totals.values())
            leaves = {}
            for leaf in LEAVES:
                true_share = 100.0 * truth[leaf] / truth_total
                share = 100.0 * totals.get(leaf, 0) / measured_total if measured_total else float("nan")
                leaves[leaf] = {"truth_percent": true_share, "measured_percent": share,
                                "error_pp": share - true_share, "truth_seconds": truth[leaf],
                                "measured": totals.get(leaf, 0)}
            data["runs"].append({
                "interpreter": interpreter.name, "version": interpreter.version, "tool": tool,
                "repeat": repeat, "unit": unit, "leaves": leaves,
                "outside_leaves_percent": 100.0 * (everything - measured_total) / everything if everything else float("nan"),
                "max_abs_error_pp": max(abs(v["error_pp"]) for v in leaves.values()),
                "total": everything,
            })
    data["load"] = load.finish()
    return data


# ---- 6. wall mode: a program on every context switch -------------------------------------

def _shell_pingpong():
    """Two shell loops passing a line back and forth through two pipes: tens of thousands of
    context switches a second, of tasks that no profiler selects."""
    there, back = os.pipe(), os.pipe()
    loop = ["sh", "-c", "while read x; do echo x; done"]
    players = [popen(loop, stdin=there[0], stdout=back[1]), popen(loop, stdin=back[0], stdout=there[1])]
    os.write(there[1], b"x\n")
    for fd in there + back:
        os.close(fd)
    return players


def _switch_rounds(ctx, target_pid, rounds, switches_of=None):
    """stprof-bpf --mode wall -p target_pid beside an empty tp_btf/sched_switch program, started
    afresh each round (the empty program attached before the profiler in even rounds, after it in
    odd ones), both programs' run time and count read at the same instants."""
    rows = []
    for index in range(rounds):
        empty_first = index % 2 == 0
        output = os.path.join(ctx.tmpdir, "wall-%d.folded" % index)
        null = bpfinfo.NullSwitch() if empty_first else None
        try:
            profiler = Stprof(ctx.binary, ["--mode", "wall", "-p", target_pid], output)
            null = null or bpfinfo.NullSwitch()
        except BaseException:  # else the section's end reaps the profiler
            if null is not None:
                null.close()
            raise
        measured, summary = _measure_and_stop(profiler, ctx.wall_seconds, null, "stprof_switch",
                                              switches_of)
        if os.path.exists(output):
            os.unlink(output)
        measured.pop("bpftool")
        info = measured.pop("info")
        measured.update({
            "empty_first": empty_first, "counters": summary["counters"],
            "ns_per_switch": measured["run_time_ns"] / max(1, measured["run_cnt"]),
            "over_empty_ns": (measured["run_time_ns"] / max(1, measured["run_cnt"])
                              - measured["null"]["ns_per_sample"]),
            "xlated_insns": info["xlated_insns"], "jited_bytes": info["jited_bytes"],
            "verified_insns": info["verified_insns"]})
        rows.append(measured)
    return rows


def _clock_rounds(ctx, rounds):
    """The empty sched_switch program beside one that only reads the clock (bpf_ktime_get_ns),
    attached in alternating order, read at the same instants: what a clock read costs there."""
    rows = []
    for index in range(rounds):
        programs = []
        try:
            for clock in ((False, True) if index % 2 == 0 else (True, False)):
                programs.append(bpfinfo.NullSwitch(clock))
            time.sleep(0.3)
            before = [program.info() for program in programs]
            time.sleep(ctx.wall_seconds / 2)
            after = [program.info() for program in programs]
        finally:
            for program in programs:
                program.close()
        row = {"clock_first": index % 2 == 1}
        for program, b, a in zip(programs, before, after):
            row["clock_ns" if program.clock else "empty_ns"] = (
                (a["run_time_ns"] - b["run_time_ns"]) / max(1, a["run_cnt"] - b["run_cnt"]))
        rows.append(row)
    return rows


def wall_mode(ctx):
    interpreter = ctx.interpreters.get("austin") or ctx.interpreters["host"]  # trixie's 3.13
    data = {"python": interpreter.version, "interpreter": interpreter.name, "depth": ctx.wall_depth,
            "seconds": ctx.wall_seconds, "rate_hz": ctx.wall_rate,
            "round_trips": ctx.wall_round_trips, "rounds": ctx.wall_pairs}
    old_stats = read_sysctl("kernel.bpf_stats_enabled")
    write_sysctl("kernel.bpf_stats_enabled", 1)
    load = Load()
    try:
        # (a) Switches of tasks nobody selected: a registered Python process that never runs (a
        # pingpong.py never told to start) while two shell loops switch as fast as they can.
        log("wall: unselected switches, beside an empty sched_switch program")
        idle = Workload(interpreter, "pingpong.py", ctx.wall_depth, 1)
        players = _shell_pingpong()
        try:
            data["unselected"] = _switch_rounds(ctx, idle.pid, ctx.wall_rounds)
            # stprof_switch reads the clock first, before it tests either side's PID.
            log("wall: a clock read in a sched_switch program")
            data["clock"] = _clock_rounds(ctx, ctx.wall_rounds)
        finally:
            reap_many(players)
            idle.kill()
        over_empty = median([row["over_empty_ns"] for row in data["unselected"]])

        # (b) Switches of the profiled threads: two threads of pingpong.py passing a token at
        # depth DEPTH, all along. Every run of stprof_switch pays at least what an unselected
        # one does (the empty program's floor of the round + (a)'s median over it); what the
        # runs cost beyond that is the work of the profiled threads' switch-outs (each walks
        # its stack) and switch-ins (each counts its interval), charged to the switch-outs.
        log("wall: switches of two Python threads at depth %d" % ctx.wall_depth)
        busy = Workload(interpreter, "pingpong.py", ctx.wall_depth, 10 ** 9)
        busy.go()
        try:
            data["selected"] = _switch_rounds(ctx, busy.pid, ctx.wall_rounds, switches_of=busy.pid)
        finally:
            busy.kill()
        for row in data["selected"]:
            unselected_ns = row["null"]["ns_per_sample"] + over_empty
            outs = max(1, row["switch_outs"])
            row["ns_per_switch_out"] = (row["run_time_ns"] - (row["run_cnt"] - outs) * unselected_ns) / outs
            row["net_ns_per_switch_out"] = row["ns_per_switch_out"] - row["null"]["ns_per_sample"]
    finally:
        write_sysctl("kernel.bpf_stats_enabled", old_stats)

    # 2. The slowdown of a switch-heavy program: pingpong.py making a fixed number of round
    # trips, with no profiler, stprof-bpf --mode cpu and --mode wall, Austin (wall time, its
    # default) and per-thread perf events with no program (what -p's events cost by themselves),
    # round-robin, the order rotating from round to round.
    configs = [None, "cpu", "wall"] + (["austin"] if "austin" in ctx.interpreters else []) + [
        "thread-perf-events"]
    data["configs"] = [config or "none" for config in configs]
    data["runs"] = []
    serial = 0
    for round_index in range(ctx.wall_pairs):
        log("wall: slowdown round %d of %d" % (round_index + 1, ctx.wall_pairs))
        shift = round_index % len(configs)
        for config in configs[shift:] + configs[:shift]:
            serial += 1
            tool = config if config in ("austin", "thread-perf-events") else config and "stprof-bpf"
            try:
                result = _tool_run(ctx, interpreter, tool, ctx.wall_rate, serial,
                                   ("pingpong.py", ctx.wall_depth, ctx.wall_round_trips),
                                   ["--mode", config] if tool == "stprof-bpf" else [])
            except RuntimeError as error:
                data.setdefault("failures", []).append(
                    {"config": config or "none", "round": round_index, "error": str(error)[-500:]})
                log("wall: %s failed: %s" % (config or "no profiler", error))
                continue
            data["runs"].append(dict(result, config=config or "none", round=round_index))
    data["load"] = load.finish()
    return data


# ---- 7. churn: short-lived processes ------------------------------------------------------

def _profiler_state(pid):
    """CPU seconds (all threads), RSS (kB) and open descriptors of a running profiler."""
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return {"cpu_seconds": proc_runtime_seconds(pid), "rss_kb": rss,
            "fds": len(os.listdir("/proc/%d/fd" % pid))}


def _churn_run(ctx, start_processes):
    """One `--all-python` run: its state 3 s after the start and 1 s before the end, with a
    short process started every ctx.churn_interval seconds in between when start_processes."""
    output = os.path.join(ctx.tmpdir, "churn.folded")
    profiler = popen([ctx.binary, "--all-python", "-F", "99", "-d", str(ctx.churn_seconds + 4), "-o", output],
                     stderr=subprocess.PIPE)
    err = Lines(profiler.stderr)
    time.sleep(3.0)
    before = _profiler_state(profiler.pid)
    short = ctx.interpreters["host"].script("short_lived.py", ctx.churn_cpu_seconds)
    children, end = [], time.monotonic() + ctx.churn_seconds
    while time.monotonic() < end:
        if start_processes:
            children.append(popen(short, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(ctx.churn_interval)
    for child in children:
        child.wait()
    after = _profiler_state(profiler.pid)
    profiler.wait()
    err.finish()
    pids = {child.pid for child in children}
    total = unknown = 0
    with open(output) as f:
        for line in f:
            stack, _, count = line.rpartition(" ")
            process = stack.split(";", 1)[0]
            if int(process.rpartition("(")[2].rstrip(")").split(",")[0]) not in pids:
                continue
            total += int(count)
            unknown += int(count) if "<unknown code" in stack else 0
    os.unlink(output)
    return {"processes": len(children), "before": before, "after": after,
            "window_seconds": ctx.churn_seconds, "samples": total, "unknown_samples": unknown,
            "exit_code": profiler.returncode}


def churn(ctx):
    """The profiler's cost of short-lived Python processes: its CPU, RSS and descriptors with a
    new process every churn_interval s, beside the same run without them."""
    data = {"interval": ctx.churn_interval, "cpu_per_process": ctx.churn_cpu_seconds}
    log("churn: %d s without new processes" % ctx.churn_seconds)
    data["quiet"] = _churn_run(ctx, False)
    log("churn: %d s with a new Python process every %.2f s" % (ctx.churn_seconds, ctx.churn_interval))
    data["churn"] = _churn_run(ctx, True)
    return data


# ---- 8. real programs, against the kernel's own samples ------------------------------------

REAL_PROGRAMS = ("docutils", "pygments", "jinja2")  # workloads/real.py, Debian's python3-* in trixie
# profiling.sampling (3.15) run from the sid root at a 3.13 process of the trixie root fails
# with "Failed to find the PyRuntime section": the target's binary is not in its root.
TACHYON_SKIPPED = "Tachyon (3.15's profiling.sampling) does not attach to a 3.13 process"


def self_shares(totals):
    """{function: samples} -> {function: percent of all}."""
    total = sum(totals.values())
    return {function: 100.0 * count / total for function, count in totals.items()} if total else {}


def sampling_error_pp(percent, samples):
    """Binomial standard error of a share estimated from `samples` samples, in points."""
    p = percent / 100.0
    return 100.0 * math.sqrt(p * (1 - p) / samples) if samples else float("nan")


def worst_difference(shares, samples, reference, reference_samples, top):
    """The largest |share − reference share| over the reference's `top` functions, where, and
    the 1-sigma sampling error of that difference (both sides' binomial errors combined)."""
    worst = None
    for function in sorted(reference, key=reference.get, reverse=True)[:top]:
        mine, theirs = shares.get(function, 0.0), reference[function]
        if worst is None or abs(mine - theirs) > abs(worst["difference_pp"]):
            worst = {"function": "%s (%s)" % function, "difference_pp": mine - theirs,
                     "share": mine, "reference_share": theirs,
                     "sigma_pp": math.hypot(sampling_error_pp(mine, samples),
                                            sampling_error_pp(theirs, reference_samples))}
    return worst


def _real_profiles(ctx, interpreter, program, serial):
    """One run of workloads/real.py PROGRAM under -X perf, with perf record, stprof-bpf and
    Austin (-s: CPU time, as the other two sample) all attached before it starts, so that all
    three sample the same seconds. {tool: (leaf totals by (qualname, file), samples)}, and
    perf's samples without a Python frame."""
    rate = ctx.real_rate
    workload = Workload(interpreter, "real.py", program, ctx.real_seconds, options=["-X", "perf"])
    perf_data = os.path.join(ctx.tmpdir, "real-%d.perf" % serial)
    folded = os.path.join(ctx.tmpdir, "real-%d.folded" % serial)
    austin_inside = "%s/real-%d.austin" % (interpreter.workdir, serial)
    austin_output = interpreter.host_path(austin_inside)
    perf = stprof = austin = None
    try:
        perf = Attached(perf_record_command(workload.pid, rate, perf_data), settle=0.2)
        # --full-filenames: files as co_filename has them, as perf's and Austin's frames do.
        stprof = Stprof(ctx.binary, ["-p", workload.pid, "-F", rate, "--full-filenames"], folded)
        austin = Attached(austin_command(interpreter, workload.pid, round(1e6 / rate), austin_inside, cpu=True),
                          settle=ctx.austin_settle, ready_file=austin_output)
        workload.go()
        rounds = workload.result()["rounds"]
    finally:
        workload.kill()
        if stprof is not None:
            stprof.stop()
        for attached in (austin, perf):
            if attached is not None:
                attached.wait()
    perf_map = interpreter.host_path("/tmp/perf-%d.map" % workload.pid)
    try:
        perf_totals, perf_samples, without = leaf_totals_perf(perf_script(perf_data, workload.pid, perf_map))
    finally:
        for path in (perf_data, perf_map):
            if os.path.exists(path):
                os.unlink(path)
    stprof_totals = leaf_totals_folded(folded, with_file=True)[0]
    austin_totals, austin_samples = leaf_totals_austin(austin_output, with_file=True, metric=False)
    os.unlink(folded)
    os.unlink(austin_output)
    profiles = {"perf": (perf_totals, perf_samples - without),
                "stprof-bpf": (stprof_totals, sum(stprof_totals.values())),
                "austin": (austin_totals, austin_samples)}
    return profiles, {"rounds": rounds, "perf_without_python": without, "perf_samples": perf_samples}


def _real_run(ctx, interpreter, program, serial):
    """One simultaneous run: each tool's samples, top shares and worst difference from perf's."""
    profiles, row = _real_profiles(ctx, interpreter, program, serial)
    reference_totals, reference_samples = profiles["perf"]
    reference = self_shares(reference_totals)
    reference_top = sorted(reference, key=reference.get, reverse=True)[:ctx.real_top]
    row["tools"] = {}
    for tool, (totals, samples) in profiles.items():
        shares = self_shares(totals)
        top = sorted(shares, key=shares.get, reverse=True)[:ctx.real_top]
        entry = {"samples": samples, "top": [["%s (%s)" % function, shares[function]] for function in top],
                 # the same functions in every tool, so that differences can be averaged over runs
                 "at_reference_top": {"%s (%s)" % function: shares.get(function, 0.0)
                                      for function in reference_top}}
        if tool != "perf":
            entry["worst"] = worst_difference(shares, samples, reference, reference_samples, ctx.real_top)
        row["tools"][tool] = entry
    return row


def real_programs(ctx):
    interpreter = ctx.interpreters.get("austin")
    if interpreter is None:
        raise RuntimeError("needs trixie's 3.13 (-X perf, Austin): run tools/provision-interpreters")
    if shutil.which("perf") is None:
        raise RuntimeError("needs perf, the reference: apt-get install linux-perf")
    data = {"python": interpreter.version, "interpreter": interpreter.name, "seconds": ctx.real_seconds,
            "rate_hz": ctx.real_rate, "top": ctx.real_top, "repeats": ctx.real_repeats,
            "skipped": [TACHYON_SKIPPED], "runs": {program: [] for program in REAL_PROGRAMS}}
    load = Load()
    serial = 0
    for repeat in range(ctx.real_repeats):
        for program in REAL_PROGRAMS:
            serial += 1
            log("real: %s on %s, perf + stprof-bpf + Austin (%d/%d)" % (
                program, interpreter.label, repeat + 1, ctx.real_repeats))
            data["runs"][program].append(_real_run(ctx, interpreter, program, serial))
    data["load"] = load.finish()
    return data
