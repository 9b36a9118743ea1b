"""Reading a loaded BPF program's bpf_prog_info (run time, run count, sizes, verified
instructions) through the bpf(2) syscall, with ctypes only. bookworm's bpftool 7.1 prints
run_time_ns/run_cnt but not verified_insns, so the harness reads the info itself. Also empty
programs on cpu-clock perf events and on sched_switch, loaded the same way: the floors."""
import ctypes
import os
import re
import struct

_SYS_BPF = 321  # x86-64
_BPF_PROG_GET_FD_BY_ID = 13
_BPF_OBJ_GET_INFO_BY_FD = 15


class ProgInfo(ctypes.Structure):
    # struct bpf_prog_info up to attach_btf_id (include/uapi/linux/bpf.h, Linux 5.16+).
    _fields_ = [
        ("type", ctypes.c_uint32), ("id", ctypes.c_uint32), ("tag", ctypes.c_uint8 * 8),
        ("jited_prog_len", ctypes.c_uint32), ("xlated_prog_len", ctypes.c_uint32),
        ("jited_prog_insns", ctypes.c_uint64), ("xlated_prog_insns", ctypes.c_uint64),
        ("load_time", ctypes.c_uint64), ("created_by_uid", ctypes.c_uint32),
        ("nr_map_ids", ctypes.c_uint32), ("map_ids", ctypes.c_uint64),
        ("name", ctypes.c_char * 16), ("ifindex", ctypes.c_uint32),
        ("gpl_compatible", ctypes.c_uint32, 1), ("netns_dev", ctypes.c_uint64),
        ("netns_ino", ctypes.c_uint64), ("nr_jited_ksyms", ctypes.c_uint32),
        ("nr_jited_func_lens", ctypes.c_uint32), ("jited_ksyms", ctypes.c_uint64),
        ("jited_func_lens", ctypes.c_uint64), ("btf_id", ctypes.c_uint32),
        ("func_info_rec_size", ctypes.c_uint32), ("func_info", ctypes.c_uint64),
        ("nr_func_info", ctypes.c_uint32), ("nr_line_info", ctypes.c_uint32),
        ("line_info", ctypes.c_uint64), ("jited_line_info", ctypes.c_uint64),
        ("nr_jited_line_info", ctypes.c_uint32), ("line_info_rec_size", ctypes.c_uint32),
        ("jited_line_info_rec_size", ctypes.c_uint32), ("nr_prog_tags", ctypes.c_uint32),
        ("prog_tags", ctypes.c_uint64), ("run_time_ns", ctypes.c_uint64),
        ("run_cnt", ctypes.c_uint64), ("recursion_misses", ctypes.c_uint64),
        ("verified_insns", ctypes.c_uint32), ("attach_btf_obj_id", ctypes.c_uint32),
        ("attach_btf_id", ctypes.c_uint32),
    ]


class _GetFdById(ctypes.Structure):
    _fields_ = [("prog_id", ctypes.c_uint32), ("next_id", ctypes.c_uint32),
                ("open_flags", ctypes.c_uint32)]


class _GetInfo(ctypes.Structure):
    _fields_ = [("bpf_fd", ctypes.c_uint32), ("info_len", ctypes.c_uint32),
                ("info", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _bpf(cmd, attr):
    result = _libc.syscall(ctypes.c_long(_SYS_BPF), ctypes.c_long(cmd), ctypes.byref(attr),
                           ctypes.c_uint(ctypes.sizeof(attr)))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def prog_info(prog_id):
    """A dict of the program's info: id, name, run_time_ns, run_cnt, xlated/jited bytes,
    verified_insns (0 when the kernel does not report it)."""
    fd = _bpf(_BPF_PROG_GET_FD_BY_ID, _GetFdById(prog_id=prog_id))
    try:
        info = ProgInfo()
        attr = _GetInfo(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
        _bpf(_BPF_OBJ_GET_INFO_BY_FD, attr)
    finally:
        os.close(fd)
    return {
        "id": info.id, "name": info.name.decode(errors="replace"),
        "run_time_ns": info.run_time_ns, "run_cnt": info.run_cnt,
        "recursion_misses": info.recursion_misses,
        "xlated_bytes": info.xlated_prog_len, "xlated_insns": info.xlated_prog_len // 8,
        "jited_bytes": info.jited_prog_len, "verified_insns": info.verified_insns,
    }


def prog_ids_of(pid):
    """IDs of the BPF programs process pid holds file descriptors of (from /proc/PID/fdinfo),
    so a benchmark reads its own profiler's program even when other profilers are loaded."""
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % pid
    try:
        names = os.listdir(fdinfo)
    except OSError:
        return ids
    for name in names:
        try:
            with open(os.path.join(fdinfo, name)) as f:
                text = f.read()
        except OSError:
            continue
        match = re.search(r"^prog_id:\s*(\d+)", text, re.M)
        if match:
            ids.add(int(match.group(1)))
    return ids


def sampler_prog(pid, prefix="stprof_sample"):
    """The info of the sampling program that profiler process pid loaded, or None."""
    for prog_id in sorted(prog_ids_of(pid)):
        try:
            info = prog_info(prog_id)
        except OSError:
            continue
        if info["name"].startswith(prefix):
            return info
    return None


class _Attached:
    """A program this process loaded (prog_fd, or None) and the file descriptors that attach it
    (fds): its run statistics, and close() to detach and unload it."""
    prog_fd = None
    fds = ()

    def info(self):
        info = ProgInfo()
        attr = _GetInfo(bpf_fd=self.prog_fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
        _bpf(_BPF_OBJ_GET_INFO_BY_FD, attr)
        return {"run_time_ns": info.run_time_ns, "run_cnt": info.run_cnt}

    def close(self):
        for fd in list(self.fds) + ([self.prog_fd] if self.prog_fd is not None else []):
            os.close(fd)
        self.fds, self.prog_fd = [], None


# ---- a null perf_event program, to calibrate what a sample costs on this machine with no work --

_BPF_PROG_LOAD = 5
_BPF_PROG_TYPE_PERF_EVENT = 7
_PERF_EVENT_IOC_ENABLE = 0x2400
_PERF_EVENT_IOC_SET_BPF = 0x40042408
_SYS_PERF_EVENT_OPEN = 298  # x86-64


class _ProgLoad(ctypes.Structure):
    # union bpf_attr for BPF_PROG_LOAD up to attach_btf_obj_fd.
    _fields_ = [("prog_type", ctypes.c_uint32), ("insn_cnt", ctypes.c_uint32),
                ("insns", ctypes.c_uint64), ("license", ctypes.c_uint64),
                ("log_level", ctypes.c_uint32), ("log_size", ctypes.c_uint32),
                ("log_buf", ctypes.c_uint64), ("kern_version", ctypes.c_uint32),
                ("prog_flags", ctypes.c_uint32), ("prog_name", ctypes.c_char * 16),
                ("prog_ifindex", ctypes.c_uint32), ("expected_attach_type", ctypes.c_uint32),
                ("prog_btf_fd", ctypes.c_uint32), ("func_info_rec_size", ctypes.c_uint32),
                ("func_info", ctypes.c_uint64), ("func_info_cnt", ctypes.c_uint32),
                ("line_info_rec_size", ctypes.c_uint32), ("line_info", ctypes.c_uint64),
                ("line_info_cnt", ctypes.c_uint32), ("attach_btf_id", ctypes.c_uint32),
                ("attach_btf_obj_fd", ctypes.c_uint32), ("pad", ctypes.c_uint8 * 64)]


class _PerfEventAttr(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32), ("config", ctypes.c_uint64),
                ("sample_freq", ctypes.c_uint64), ("sample_type", ctypes.c_uint64),
                ("read_format", ctypes.c_uint64), ("flags", ctypes.c_uint64),
                ("pad", ctypes.c_uint8 * 64)]


class NullSampler(_Attached):
    """`r0 = 0; exit` attached to a cpu-clock event at frequency_hz on every CPU, as stprof-bpf
    attaches its sampler. Its run time per sample is the floor: entering a BPF program from the
    perf overflow path plus the two clock reads of kernel.bpf_stats_enabled. With program=False
    the events have no program at all: what the timer interrupts alone cost. With threads_of (a
    pid), one event per thread of that process instead, following it from CPU to CPU, as
    stprof-bpf -p attaches its sampler."""

    def __init__(self, frequency_hz, cpus, program=True, threads_of=None):
        if program:
            insns = (ctypes.c_uint8 * 16)(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0)
            license = ctypes.create_string_buffer(b"GPL")
            attr = _ProgLoad(prog_type=_BPF_PROG_TYPE_PERF_EVENT, insn_cnt=2,
                             insns=ctypes.addressof(insns), license=ctypes.addressof(license),
                             prog_name=b"bench_null")
            self.prog_fd = _bpf(_BPF_PROG_LOAD, attr)
        self.fds = []  # the perf events
        # (thread, CPU): -1 is any
        targets = ([(int(tid), -1) for tid in os.listdir("/proc/%d/task" % threads_of)] if threads_of
                   else [(-1, cpu) for cpu in range(cpus)])
        try:
            for tid, cpu in targets:
                event = _PerfEventAttr(type=1, size=112, config=0, sample_freq=frequency_hz,
                                       flags=1 << 10)  # PERF_TYPE_SOFTWARE, CPU_CLOCK, freq
                fd = _libc.syscall(ctypes.c_long(_SYS_PERF_EVENT_OPEN), ctypes.byref(event),
                                   ctypes.c_int(tid), ctypes.c_int(cpu), ctypes.c_int(-1),
                                   ctypes.c_ulong(8))  # PERF_FLAG_FD_CLOEXEC
                if fd < 0:
                    errno = ctypes.get_errno()
                    raise OSError(errno, "perf_event_open: " + os.strerror(errno))
                self.fds.append(fd)
                if program and _libc.ioctl(fd, ctypes.c_ulong(_PERF_EVENT_IOC_SET_BPF),
                                           ctypes.c_int(self.prog_fd)) < 0:
                    errno = ctypes.get_errno()
                    raise OSError(errno, "PERF_EVENT_IOC_SET_BPF: " + os.strerror(errno))
                _libc.ioctl(fd, ctypes.c_ulong(_PERF_EVENT_IOC_ENABLE), ctypes.c_int(0))
        except OSError:
            self.close()
            raise



# ---- a null sched_switch program, the floor of any program on the scheduler's switches --------

_BPF_RAW_TRACEPOINT_OPEN = 17
_BPF_PROG_TYPE_TRACING = 26
_BPF_TRACE_RAW_TP = 23
_BTF_KIND_TYPEDEF = 8
# Bytes that follow a BTF type's 12-byte header, by kind (include/uapi/linux/btf.h): fixed, and
# per member (vlen).
_BTF_EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
              15: (0, 12), 17: (4, 0), 19: (0, 12)}


def vmlinux_btf_id(name, kind=_BTF_KIND_TYPEDEF, path="/sys/kernel/btf/vmlinux"):
    """The id of the type `name` of that kind in the kernel's BTF (a tp_btf program's
    attach_btf_id is its tracepoint's btf_trace_<name> typedef)."""
    with open(path, "rb") as f:
        blob = f.read()
    magic, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from("<HBBIIIII", blob)
    if magic != 0xEB9F:
        raise OSError("%s: not BTF (or not little-endian)" % path)
    types, strings = hdr_len + type_off, hdr_len + str_off
    wanted = name.encode() + b"\0"
    offset, type_id = types, 1
    while offset < types + type_len:
        name_off, info, _ = struct.unpack_from("<III", blob, offset)
        this_kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if this_kind == kind and blob.startswith(wanted, strings + name_off):
            return type_id
        fixed, per_member = _BTF_EXTRA.get(this_kind, (0, 0))
        offset += 12 + fixed + per_member * vlen
        type_id += 1
    raise OSError("no %s in %s" % (name, path))


class _RawTracepointOpen(ctypes.Structure):
    _fields_ = [("name", ctypes.c_uint64), ("prog_fd", ctypes.c_uint32), ("pad", ctypes.c_uint32),
                ("cookie", ctypes.c_uint64)]


class NullSwitch(_Attached):
    """`r0 = 0; exit` as a tp_btf/sched_switch program, as stprof-bpf attaches its stprof_switch:
    it runs on every context switch of the host. Its run time per run is the floor of any program
    there: entering BPF from the tracepoint plus the two clock reads of kernel.bpf_stats_enabled.
    With clock=True it first calls bpf_ktime_get_ns(), as stprof_switch does on every switch."""

    def __init__(self, clock=False):
        self.clock = clock
        code = ([0x85, 0, 0, 0, 5, 0, 0, 0] if clock else []) + [  # call bpf_ktime_get_ns
            0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        insns = (ctypes.c_uint8 * len(code))(*code)
        license = ctypes.create_string_buffer(b"GPL")
        log = ctypes.create_string_buffer(4096)
        attr = _ProgLoad(prog_type=_BPF_PROG_TYPE_TRACING, insn_cnt=len(code) // 8,
                         insns=ctypes.addressof(insns), license=ctypes.addressof(license),
                         log_level=1, log_size=len(log), log_buf=ctypes.addressof(log),
                         prog_name=b"bench_clock_sw" if clock else b"bench_null_sw",
                         expected_attach_type=_BPF_TRACE_RAW_TP,
                         attach_btf_id=vmlinux_btf_id("btf_trace_sched_switch"))
        try:
            self.prog_fd = _bpf(_BPF_PROG_LOAD, attr)
        except OSError as error:
            raise OSError(error.errno, "loading an empty tp_btf/sched_switch program: %s %s"
                          % (error.strerror, log.value.decode(errors="replace").strip()))
        try:
            self.fds = [_bpf(_BPF_RAW_TRACEPOINT_OPEN, _RawTracepointOpen(prog_fd=self.prog_fd))]
        except OSError:
            self.close()
            raise

