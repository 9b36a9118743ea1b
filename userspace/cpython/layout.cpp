#include "cpython/layout.h"

namespace stprof {
namespace {

// Every number below was printed by tools/cpython-offsets/probe.c (offsetof/sizeof against the
// interpreter's own headers, compiled with -DPy_BUILD_CORE) and checked on a live process by
// `tools/cpython-offsets/run --live` (a walk of /proc/PID/mem with these numbers, compared with
// sys._current_frames(); for 3.13+ also against the _Py_DebugOffsets table in _PyRuntime; the
// GIL fields with one thread holding the GIL, one waiting for it, one waiting for a lock).
// All are for x86-64 GIL builds (neither Py_DEBUG nor Py_GIL_DISABLED).
//
// Fingerprint windows never include co_flags (third-party profilers and JITs set private bits
// in it while the code object lives), co_weakreflist, co_extra, caches or
// monitoring/instrumentation state. They do include 3.12+'s co_version, the code object's serial
// (see stprof_code_has_serial in stprof_abi.h).

// struct _gil_runtime_state (Include/internal/pycore_gil.h) is the same in every supported minor
// (GIL builds): interval, last_holder (a PyThreadState*) at 8, locked (an int) at 16,
// switch_number, then cond (at 32, 48 bytes), mutex (at 80, 40 bytes: glibc's __owner, the
// owning thread's TID, is its third int), switch_cond and switch_mutex (pthread types: the
// futexes a thread waiting for the GIL sleeps on), 208 bytes. Only where it is changes:
// `runtime_gil`.
void set_gil(CPythonLayout& l, uint32_t runtime_gil) {
  l.runtime_gil = runtime_gil;
  l.walker.gil_size = 208;
  l.walker.gil_locked = 16;
  l.walker.gil_last_holder = 8;
  l.walker.gil_mutex_owner = 80 + 8;
}

// CPython 3.8: Include/internal/pycore_pystate.h (_PyRuntimeState, struct _is),
// Include/cpython/pystate.h (struct _ts), Include/frameobject.h (PyFrameObject), Include/code.h,
// Include/cpython/unicodeobject.h, Include/bytesobject.h. Probed on pyenv's 3.8.18.
// The frame chain is PyFrameObject: tstate->frame, f_back, f_code, f_lasti.
CPythonLayout layout_38() {
  CPythonLayout l;
  l.runtime_interpreters_head = 32;
  stprof_process& w = l.walker;
  w.interp_next = 0;
  w.interp_threads_head = 8;    // PyInterpreterState.tstate_head
  w.tstate_next = 8;
  w.tstate_thread_id = 176;
  w.tstate_frame = 24;          // PyThreadState.frame: the PyFrameObject itself
  w.cframe_current_frame = -1;
  w.frame_code = 32;            // PyFrameObject.f_code
  w.frame_previous = 24;        // f_back
  w.frame_instr = 104;          // f_lasti: int, byte offset of the last instruction started
  w.frame_owner = -1;           // every PyFrameObject in the chain is Python code
  w.frame_window = 108;         // f_lasti ends at 108
  w.instr_kind = STPROF_INSTR_LASTI_BYTES;
  w.owner_first_non_python = 255;
  w.code_first_instr = 0;       // instructions are in the co_code bytes object
  // Window 40..120: co_firstlineno (+4 bytes padding), co_code, co_consts, co_names,
  // co_varnames, co_freevars, co_cellvars, co_cell2arg, co_filename, co_name: all set at creation.
  w.code_fingerprint = 40;
  w.code_fingerprint_size = 80;
  w.code_fingerprint_mask = 0x3ff;
  l.code_filename = 104;
  l.code_name = 112;
  l.code_qualname = 0;          // no co_qualname before 3.11
  l.code_linetable = 120;       // co_lnotab
  l.code_firstlineno = 40;
  l.line_table = LineTableFormat::kLnotab;
  l.bytes_size = 16;
  l.bytes_data = 32;
  l.unicode_length = 16;
  l.unicode_state = 32;
  l.unicode_ascii_data = 48;    // sizeof(PyASCIIObject) (still has wstr)
  l.unicode_compact_data = 72;  // sizeof(PyCompactUnicodeObject)
  set_gil(l, 1152);             // _PyRuntime.ceval.gil (struct _ceval_runtime_state, same header)
  return l;
}

// CPython 3.9: the runtime and interpreter structs moved to Include/internal/pycore_runtime.h
// and pycore_interp.h, PyFrameObject and PyCodeObject to Include/cpython/frameobject.h and
// cpython/code.h; every offset but the GIL's is unchanged from 3.8. Probed on pyenv's 3.9.18
// and Debian bullseye's 3.9.2 (identical).
CPythonLayout layout_39() {
  CPythonLayout l = layout_38();
  // _PyRuntime.ceval.gil (pycore_runtime.h): _PyRuntimeState.gc moved into
  // PyInterpreterState, so the GIL comes earlier.
  set_gil(l, 352);
  return l;
}

// CPython 3.10: f_lasti counts 2-byte code units (Include/cpython/frameobject.h, where
// f_stackdepth replaced f_stacktop) and co_linetable replaced co_lnotab at the same offset, 120
// (Include/cpython/code.h). Probed on pyenv's 3.10.13.
CPythonLayout layout_310() {
  CPythonLayout l = layout_39();
  l.walker.frame_instr = 96;      // f_lasti: int, index of the last instruction in code units
  l.walker.frame_window = 100;
  l.walker.instr_kind = STPROF_INSTR_LASTI_UNITS;
  l.line_table = LineTableFormat::kLinetable310;
  // The GIL stays at _PyRuntime.ceval.gil, 352 (pycore_runtime.h; PyInterpreterState.ceval
  // has one of its own only in EXPERIMENTAL_ISOLATED_SUBINTERPRETERS builds).
  return l;
}

// CPython 3.11: Include/internal/pycore_runtime.h, pycore_interp.h, pycore_frame.h,
// Include/cpython/pystate.h, code.h, unicodeobject.h; offsets confirmed with offsetof against
// Debian's python3.11-dev and pyenv's 3.11.7 headers (identical).
CPythonLayout layout_311() {
  CPythonLayout l;
  l.runtime_interpreters_head = 40;
  stprof_process& w = l.walker;
  w.interp_next = 0;
  w.interp_threads_head = 16;
  w.tstate_next = 8;
  w.tstate_thread_id = 152;
  w.tstate_frame = 56;          // PyThreadState.cframe
  w.cframe_current_frame = 8;   // _PyCFrame.current_frame
  w.frame_code = 32;            // _PyInterpreterFrame.f_code
  w.frame_previous = 48;
  w.frame_instr = 56;           // prev_instr: the last instruction started
  w.frame_owner = -1;           // every 3.11 frame in the chain is Python code
  w.frame_window = 64;
  w.instr_kind = STPROF_INSTR_POINTER;
  w.owner_first_non_python = 255;
  w.code_first_instr = 184;     // co_code_adaptive
  w.code_fingerprint = 72;      // co_firstlineno .. co_qualname: immutable for the code's life
  w.code_fingerprint_size = 64;
  w.code_fingerprint_mask = 0xff;
  l.code_filename = 112;
  l.code_name = 120;
  l.code_qualname = 128;
  l.code_linetable = 136;
  l.code_firstlineno = 72;
  l.code_first_traceable = 168;  // _co_firsttraceable
  l.line_table = LineTableFormat::kLocationTable;
  set_gil(l, 360);               // _PyRuntime.ceval.gil (pycore_runtime.h)
  return l;
}

// CPython 3.12: Include/internal/pycore_runtime.h, pycore_interp.h (threads.head),
// pycore_frame.h (_PyInterpreterFrame: f_code first, owner; enum _frameowner
// FRAME_OWNED_BY_CSTACK = 3 marks the shim frame at each eval-loop entry),
// Include/cpython/pystate.h (cframe; _PyCFrame.current_frame is its first field), code.h,
// unicodeobject.h (PyASCIIObject lost wstr, PyCompactUnicodeObject lost wstr_length).
// Probed on pyenv's 3.12.1.
CPythonLayout layout_312() {
  CPythonLayout l;
  l.runtime_interpreters_head = 40;
  stprof_process& w = l.walker;
  w.interp_next = 0;
  w.interp_threads_head = 72;   // PyInterpreterState.threads.head
  w.tstate_next = 8;
  w.tstate_thread_id = 136;
  w.tstate_frame = 56;          // PyThreadState.cframe
  w.cframe_current_frame = 0;   // _PyCFrame.current_frame
  w.frame_code = 0;             // _PyInterpreterFrame.f_code
  w.frame_previous = 8;
  w.frame_instr = 56;           // prev_instr: the code unit before the next instruction
  w.frame_owner = 70;           // char owner
  w.frame_window = 71;
  w.instr_kind = STPROF_INSTR_POINTER;
  w.owner_first_non_python = 3; // FRAME_OWNED_BY_CSTACK
  w.code_first_instr = 192;     // co_code_adaptive
  // Window 48..136, read whole, hashed without the word holding co_flags (48, shares it with
  // co_argcount, mutable). Hashed: co_posonlyargcount .. co_nfreevars, co_version (56..96),
  // co_localsplusnames, co_localspluskinds, co_filename, co_name, co_qualname (96..136): all
  // set at creation.
  w.code_fingerprint = 48;
  w.code_fingerprint_size = 88;
  w.code_fingerprint_mask = 0x7fe;  // words 1-10
  w.code_serial = 92;               // co_version
  l.code_filename = 112;
  l.code_name = 120;
  l.code_qualname = 128;
  l.code_linetable = 136;
  l.code_firstlineno = 68;
  l.code_first_traceable = 176;  // _co_firsttraceable
  l.line_table = LineTableFormat::kLocationTable;
  l.unicode_ascii_data = 40;    // sizeof(PyASCIIObject)
  l.unicode_compact_data = 56;  // sizeof(PyCompactUnicodeObject)
  // One GIL per interpreter (pycore_interp.h: PyInterpreterState._gil; ceval.gil points at the
  // one in use, the main interpreter's own). The main interpreter is _PyRuntime's last field,
  // _main_interpreter (pycore_runtime.h): 76392 + _gil at 1040. It comes after the static
  // objects (strings, small ints), so a patch release that adds a static string moves it (3.13.0
  // to 3.13.5 did); 3.12 publishes no _Py_DebugOffsets to correct it, but _PyRuntime's size
  // moves with it. Probed on 3.12.1, whose _PyRuntime is 459944 bytes.
  set_gil(l, 77432);
  l.runtime_gil_probed_size = 459944;
  return l;
}

// CPython 3.13: the interpreter list moved behind the big per-interpreter state
// (Include/internal/pycore_runtime.h, pycore_interp.h), PyThreadState.current_frame replaced
// cframe (Include/cpython/pystate.h), _PyInterpreterFrame.f_executable/instr_ptr replaced
// f_code/prev_instr at the same offsets (pycore_frame.h; FRAME_OWNED_BY_CSTACK still 3), and
// PyCodeObject gained co_executors before co_code_adaptive (cpython/code.h). The frame and the
// fingerprint window are as in 3.12. Probed on pyenv's 3.13.0 and Debian trixie's 3.13.5
// (identical, and equal to the targets' _Py_DebugOffsets).
CPythonLayout layout_313() {
  CPythonLayout l = layout_312();
  l.runtime_interpreters_head = 632;
  l.walker.interp_next = 7264;
  l.walker.interp_threads_head = 7344;
  l.walker.tstate_thread_id = 152;
  l.walker.tstate_frame = 72;          // PyThreadState.current_frame
  l.walker.cframe_current_frame = -1;
  l.walker.code_first_instr = 200;     // co_code_adaptive
  l.code_first_traceable = 184;
  // The code epoch (see stprof_process): func_state.next_version, which co_version is drawn
  // from. _Py_DebugOffsets does not publish it; debug_offsets.cpp keeps it only for the sizes of
  // PyInterpreterState it was probed at (a patch release may move it).
  l.walker.tstate_interp = 16;
  l.walker.interp_code_epoch = 17000;
  l.walker.code_epoch_size = 4;
  l.code_epoch_interp_sizes[0] = 194968;  // 3.13.0
  l.code_epoch_interp_sizes[1] = 194976;  // 3.13.5
  // _PyRuntime._main_interpreter._gil (pycore_runtime.h, pycore_interp.h): 88400 + 7752 in
  // 3.13.5. 3.13.0 has 88352 + 7752: a later patch added a static string (str_replace_inf,
  // pycore_global_strings.h) before _main_interpreter. debug_offsets.cpp takes the target's own,
  // so the size correction of 3.12 is not needed.
  set_gil(l, 96152);
  l.runtime_gil_probed_size = 0;
  return l;
}

// CPython 3.14: Include/internal/pycore_runtime_structs.h, pycore_interp_structs.h,
// pycore_interpframe_structs.h (f_executable is a _PyStackRef whose low Py_TAG_BITS = 3 are
// tags, from pycore_stackref.h; `stackpointer` moved owner to 74; enum _frameowner gained
// FRAME_OWNED_BY_INTERPRETER = 3 before FRAME_OWNED_BY_CSTACK = 4), cpython/code.h
// (_co_unique_id before co_code_adaptive). Probed on Debian sid's 3.14.10 (equal to its
// _Py_DebugOffsets).
CPythonLayout layout_314() {
  CPythonLayout l = layout_313();
  l.runtime_interpreters_head = 808;
  l.walker.interp_next = 7272;
  l.walker.code_pointer_mask = 3;      // Py_TAG_BITS
  l.walker.frame_owner = 74;
  l.walker.frame_window = 75;
  l.walker.owner_first_non_python = 3; // FRAME_OWNED_BY_INTERPRETER (and CSTACK = 4)
  l.walker.code_first_instr = 208;     // co_code_adaptive
  l.code_first_traceable = 192;
  // The code epoch: _code_object_generation, bumped by every code object freed (published in
  // _Py_DebugOffsets for out-of-process tools that cache code objects, as the sampler does).
  l.walker.interp_code_epoch = 7992;
  l.walker.code_epoch_size = 8;
  l.code_epoch_interp_sizes[0] = l.code_epoch_interp_sizes[1] = 0;  // the table publishes it
  // _PyRuntime._main_interpreter._gil (pycore_runtime_structs.h, where _main_interpreter is
  // declared the last field; pycore_interp_structs.h): 90752 + 7784.
  set_gil(l, 98536);
  return l;
}

// CPython 3.15: same headers as 3.14; PyThreadState grew base_frame, last_profiled_frame and
// last_profiled_frame_seq before thread_id (Include/cpython/pystate.h; base_frame is an owner-3
// sentinel at the bottom of every thread's chain), the runtime and interpreter structs shifted,
// and enum _frameowner lost FRAME_OWNED_BY_CSTACK (FRAME_OWNED_BY_INTERPRETER = 3 is the only
// non-Python owner). Frame, code, str and bytes offsets are as in 3.14. Probed on Debian sid's
// 3.15.2 (equal to its _Py_DebugOffsets).
CPythonLayout layout_315() {
  CPythonLayout l = layout_314();
  l.runtime_interpreters_head = 936;
  l.walker.interp_next = 7264;
  l.walker.interp_threads_head = 7336;
  l.walker.tstate_thread_id = 176;
  l.walker.interp_code_epoch = 7944;   // _code_object_generation
  set_gil(l, 128064);                  // _PyRuntime._main_interpreter._gil: 120328 + 7736
  return l;
}

// Free-threaded builds (Py_GIL_DISABLED, Include/object.h): PyObject's header is 32 bytes, not
// 16 (ob_tid, ob_flags, ob_mutex, ob_gc_bits, ob_ref_local and ob_ref_shared come before
// ob_type), so every offset into an object moves by 16; the thread, interpreter and frame
// structs keep their fields' offsets.
constexpr uint16_t kFreeThreadedHeaderGrowth = 16;

void grow_object_header(CPythonLayout& l, uint16_t by) {
  for (uint16_t* offset :
       {&l.walker.code_first_instr, &l.walker.code_fingerprint, &l.code_filename, &l.code_name,
        &l.code_qualname, &l.code_linetable, &l.code_firstlineno, &l.code_first_traceable,
        &l.bytes_size, &l.bytes_data, &l.unicode_length, &l.unicode_state,
        &l.unicode_ascii_data, &l.unicode_compact_data, &l.type_dealloc}) {
    *offset += by;
  }
  if (l.walker.code_serial) l.walker.code_serial += by;
}

// The GIL of a free-threaded build (Include/internal/pycore_gil.h) starts with `int enabled`,
// 0 while it is disabled (the default; PYTHON_GIL=1, -X gil=1 or a C extension not marked
// free-threading safe turns it on), which moves the rest of struct _gil_runtime_state by 8:
// last_holder at 16, locked at 24, mutex at 88 (its glibc __owner at 96), 216 bytes.
void set_switchable_gil(CPythonLayout& l, uint32_t runtime_gil) {
  set_gil(l, runtime_gil);
  l.walker.gil_size = 216;
  l.walker.gil_enabled = 0;
  l.walker.gil_last_holder = 16;
  l.walker.gil_locked = 24;
  l.walker.gil_mutex_owner = 88 + 8;
  l.walker.flags |= STPROF_PROCESS_FREE_THREADED;
}

// CPython 3.13 free-threaded: the 3.13 layout with the larger object header (PyCodeObject,
// Include/cpython/code.h, has no field of its own in these builds) and a GIL that is mostly
// disabled: _PyRuntime._main_interpreter._gil at 112704 + 7760 (pycore_runtime.h,
// pycore_interp.h; debug_offsets.cpp takes the target's own). The code epoch,
// func_state.next_version, is at 20092 of a 215616-byte PyInterpreterState (pycore_interp.h:
// the free-threaded state holds mimalloc heaps, QSBR and the reference-count pools). Probed on
// Debian trixie's 3.13.5 built with --disable-gil (equal to its _Py_DebugOffsets).
CPythonLayout layout_313t() {
  CPythonLayout l = layout_313();
  l.build = PythonBuild::kFreeThreaded;
  grow_object_header(l, kFreeThreadedHeaderGrowth);
  l.walker.interp_code_epoch = 20092;
  l.code_epoch_interp_sizes[0] = 215616;  // 3.13.5
  l.code_epoch_interp_sizes[1] = 0;
  set_switchable_gil(l, 120464);
  return l;
}

CPythonLayout derived(CPythonLayout layout) {
  derive_walker_fields(layout);
  return layout;
}

}  // namespace

void gil_moved_to_runtime_size(CPythonLayout& layout, uint64_t runtime_size) {
  if (!layout.runtime_gil || !layout.runtime_gil_probed_size || !runtime_size) return;
  int64_t moved = static_cast<int64_t>(runtime_size) - static_cast<int64_t>(layout.runtime_gil_probed_size);
  int64_t gil = static_cast<int64_t>(layout.runtime_gil) + moved;
  bool fits = gil > 0 && static_cast<uint64_t>(gil) + layout.walker.gil_size <= runtime_size;
  layout.runtime_gil = fits ? static_cast<uint32_t>(gil) : 0;
}

void derive_walker_fields(CPythonLayout& layout) {
  layout.walker.code_name = layout.code_qualname ? layout.code_qualname : layout.code_name;
  layout.walker.str_length = layout.unicode_length;
  layout.walker.str_state = layout.unicode_state;
  layout.walker.str_ascii_data = layout.unicode_ascii_data;
}

Result<CPythonLayout> layout_for(const PythonVersion& version, PythonBuild build) {
  if (build == PythonBuild::kFreeThreaded) {
    if (version.major == 3 && version.minor == 13) return derived(layout_313t());
    // 3.14t keeps a copy of the bytecode per thread (co_tlbc, _PyInterpreterFrame.tlbc_index):
    // an instruction pointer may point into another copy than co_code_adaptive.
    return make_error("free-threaded CPython " + version.to_string() +
                      " is not supported (supported free-threaded: 3.13; profile a build with "
                      "the GIL)");
  }
  if (version.major == 3) {
    switch (version.minor) {
      case 8: return derived(layout_38());
      case 9: return derived(layout_39());
      case 10: return derived(layout_310());
      case 11: return derived(layout_311());
      case 12: return derived(layout_312());
      case 13: return derived(layout_313());
      case 14: return derived(layout_314());
      case 15: return derived(layout_315());
      default: break;
    }
  }
  return make_error("CPython " + version.to_string() +
                    " is not supported (supported: 3.8 to 3.15)");
}

}  // namespace stprof
