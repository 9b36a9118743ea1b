"""What the kernel lets this process do, asked directly with the system calls the profiler
makes: create a BPF map, open a CPU-wide perf event, read another process's maps and memory.
Run it with a reduced capability set (setpriv) to see which capability each one needs, with no
privilege check of the profiler's in the way. Usage: cap_probe.py PID. Prints one JSON object:
operation -> "ok" or the errno name."""
import ctypes
import errno
import json
import os
import struct
import sys

SYS_BPF = 321             # x86-64
SYS_PERF_EVENT_OPEN = 298
BPF_MAP_CREATE = 0
BPF_MAP_TYPE_ARRAY = 2
PERF_TYPE_SOFTWARE = 1
PERF_COUNT_SW_CPU_CLOCK = 0

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def outcome(result):
    if result >= 0:
        os.close(result)
        return "ok"
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


def bpf_map_create():
    attr = ctypes.create_string_buffer(struct.pack("IIII", BPF_MAP_TYPE_ARRAY, 4, 4, 1), 128)
    return outcome(libc.syscall(SYS_BPF, BPF_MAP_CREATE, attr, ctypes.c_uint(128)))


def perf_event_open_cpu_wide():
    # struct perf_event_attr: type, size, config, then zeros (a counting event, not sampling).
    attr = ctypes.create_string_buffer(struct.pack("IIQ", PERF_TYPE_SOFTWARE, 128, PERF_COUNT_SW_CPU_CLOCK), 128)
    return outcome(libc.syscall(SYS_PERF_EVENT_OPEN, attr, -1, 0, -1, ctypes.c_ulong(0)))


def read_maps(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "ok" if f.readline() else "empty"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error))


def read_mem(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            start = int(f.readline().split("-")[0], 16)
    except OSError:
        start = 0x400000
    try:
        with open("/proc/%d/mem" % pid, "rb", buffering=0) as f:
            f.seek(start)
            return "ok" if len(f.read(16)) == 16 else "short read"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error))


pid = int(sys.argv[1])
print(json.dumps({"bpf_map_create": bpf_map_create(),
                  "perf_event_open_cpu_wide": perf_event_open_cpu_wide(),
                  "read_proc_maps": read_maps(pid),
                  "read_proc_mem": read_mem(pid)}))
