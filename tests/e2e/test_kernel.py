"""--kernel against the host's python3.11: kernel frames named on top of the Python frame that
entered the kernel, in CPU mode, and under the [off-CPU: REASON] frame in wall mode; and a clear
error when the kernel hides its addresses."""

import collections
import subprocess
import unittest

from stprof_e2e import Profiler, STPROF_BIN, Target, interpreter_under_test, run_profiled

FREQUENCY = 499
KERNEL = "[k] "
OFF_CPU = "[off-CPU: "
# What only the tracing that recorded a stack would put at its leaf (see KernelFunction).
MACHINERY = ("[k] schedule", "[k] __schedule", "[k] bpf_", "[k] 0x")


def split(stack):
    """(Python functions, the off-CPU frame or None, kernel functions), checking the order:
    Python frames, then the off-CPU frame, then kernel frames."""
    functions = stack.functions
    kernel_at = next((i for i, f in enumerate(functions) if f.startswith(KERNEL)), len(functions))
    python, rest = functions[:kernel_at], functions[kernel_at:]
    off_cpu = None
    if python and python[-1].startswith(OFF_CPU):
        off_cpu = python.pop()
    assert all(f.startswith(KERNEL) for f in rest), functions
    assert not any(f.startswith(KERNEL) or f.startswith(OFF_CPU) for f in python), functions
    return python, off_cpu, rest


class KernelFrames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = interpreter_under_test()

    def test_system_calls_show_the_kernel_functions_under_the_python_frame(self):
        run = run_profiled(self.python, "kernel_calls.py", 3, options=("--kernel", "-F", FREQUENCY))
        main = [s for s in run.stacks if s.tid == run.result["tid"]["main"]]
        by_function = collections.defaultdict(collections.Counter)  # leaf Python function -> kind
        kernel_paths = collections.Counter()
        for stack in main:
            python, off_cpu, kernel = split(stack)
            self.assertIsNone(off_cpu, stack)
            if not python or python[-1] not in ("read_random", "spin"):
                continue
            by_function[python[-1]]["in the kernel" if kernel else "in Python"] += stack.count
            if python[-1] == "read_random" and kernel:
                kernel_paths[";".join(kernel)] += stack.count
        print("\nkernel frames: %s; hottest kernel path of read_random: %s"
              % (dict(by_function), kernel_paths.most_common(1)))
        # Reading /dev/urandom is the kernel's work: its samples are in the kernel, entered by a
        # system call (the root-most kernel frame), through read.
        reading = by_function["read_random"]
        self.assertGreater(reading["in the kernel"], 0.8 * sum(reading.values()), reading)
        for path, count in kernel_paths.items():
            self.assertTrue(path.startswith("[k] entry_SYSCALL_64"), path)
            self.assertTrue(all(not f.startswith("[k] 0x") for f in path.split(";")), path)
        self.assertGreater(sum(c for p, c in kernel_paths.items() if "[k] vfs_read" in p.split(";")),
                           0.8 * sum(kernel_paths.values()), kernel_paths)
        # A sample of Python code interrupts user mode: no kernel frame.
        spinning = by_function["spin"]
        self.assertLess(spinning["in the kernel"], 0.02 * sum(spinning.values()) + 1, spinning)
        # Shares as the script measured them: kernel frames change no total.
        truth = run.result["cpu"]
        total = sum(sum(c.values()) for c in by_function.values())
        for function in ("read_random", "spin"):
            measured = truth[function] / sum(truth.values())
            profiled = sum(by_function[function].values()) / total
            self.assertLess(abs(measured - profiled), 0.05, (function, truth, dict(by_function)))

    def test_off_cpu_time_shows_where_in_the_kernel_the_thread_blocked(self):
        run = run_profiled(self.python, "kernel_calls.py", 2,
                           options=("--kernel", "--mode", "wall", "-F", FREQUENCY))
        for reader in ("early_reader", "late_reader"):
            stacks = [s for s in run.stacks if s.tid == run.result["tid"][reader]]
            waited = collections.Counter()
            for stack in stacks:
                python, off_cpu, kernel = split(stack)
                waited[(off_cpu, kernel[0] if kernel else None, kernel[-1] if kernel else None)] += stack.count
                if kernel:
                    self.assertFalse(kernel[-1].startswith(MACHINERY), stack)
            print("\n%s waited: %s" % (reader, waited.most_common(3)))
            # The whole wait: blocked in read, entered by a system call (found blocked at the
            # start, early_reader; switched out during the run, late_reader).
            total = sum(waited.values())
            in_read = sum(n for (off_cpu, root, _), n in waited.items()
                          if off_cpu == "[off-CPU: read]" and root and root.startswith("[k] entry_SYSCALL_64"))
            self.assertGreater(in_read, 0.95 * total, waited)
            self.assertGreater(total, 1e6, waited)  # microseconds: most of the 2 s

    def test_hidden_kernel_addresses_are_a_clear_error(self):
        with open("/proc/sys/kernel/kptr_restrict") as f:
            restrict = f.read().strip()
        subprocess.run(["sysctl", "-qw", "kernel.kptr_restrict=2"], check=True)
        try:
            with Target(self.python, "kernel_calls.py", 1) as target:
                run = subprocess.run([STPROF_BIN, "-p", str(target.pid), "--kernel", "-d", "1"],
                                     capture_output=True, text=True, timeout=60)
        finally:
            subprocess.run(["sysctl", "-qw", "kernel.kptr_restrict=" + restrict], check=True)
        self.assertNotEqual(run.returncode, 0, run.stderr)
        lines = run.stderr.strip().splitlines()
        self.assertIn("kptr_restrict", lines[-1], run.stderr)
        self.assertTrue(lines[-1].startswith("stprof-bpf: error: "), run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
