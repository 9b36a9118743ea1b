/* probe.c — print, from a CPython's own headers, every offset userspace/cpython/layout.cpp
 * needs, as `name = value` lines (and `debug ...` lines for the live _Py_DebugOffsets check).
 *
 * Build against one interpreter's include dir (tools/cpython-offsets/run does this):
 *   cc -std=gnu11 -DPy_BUILD_CORE -I<prefix>/include/python3.X probe.c -o probe && ./probe
 * Every number comes from offsetof/sizeof on the real structs; names that differ between
 * versions are chosen with PY_VERSION_HEX below. Supports 3.8 .. 3.15, GIL builds, and the
 * free-threaded builds (Py_GIL_DISABLED) of 3.13+. */
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX < 0x03080000
#error "CPython < 3.8 is not supported by stprof-bpf"
#endif

#if PY_VERSION_HEX < 0x03090000
#include "internal/pycore_pystate.h" /* _PyRuntimeState, struct _is */
#else
#include "internal/pycore_interp.h"  /* struct _is */
#include "internal/pycore_runtime.h" /* _PyRuntimeState (3.13: also _Py_DebugOffsets) */
#endif
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h" /* _PyInterpreterFrame, enum _frameowner (<= 3.13) */
#endif
#if PY_VERSION_HEX >= 0x030E0000
#include "internal/pycore_debug_offsets.h"       /* _Py_DebugOffsets */
#include "internal/pycore_interpframe_structs.h" /* _PyInterpreterFrame, enum _frameowner */
#include "internal/pycore_stackref.h"            /* Py_TAG_BITS */
#endif

/* pyconfig.h comes from the target build; the struct offsets are only right if this compiler
 * agrees with it on the basic types (matters when compiling on the host against a chroot). */
_Static_assert(SIZEOF_VOID_P == sizeof(void *), "pyconfig SIZEOF_VOID_P");
_Static_assert(SIZEOF_SIZE_T == sizeof(size_t), "pyconfig SIZEOF_SIZE_T");
_Static_assert(SIZEOF_LONG == sizeof(long), "pyconfig SIZEOF_LONG");
_Static_assert(SIZEOF_INT == sizeof(int), "pyconfig SIZEOF_INT");
_Static_assert(SIZEOF_SHORT == sizeof(short), "pyconfig SIZEOF_SHORT");
_Static_assert(SIZEOF_LONG_LONG == sizeof(long long), "pyconfig SIZEOF_LONG_LONG");
_Static_assert(SIZEOF_WCHAR_T == sizeof(wchar_t), "pyconfig SIZEOF_WCHAR_T");
_Static_assert(SIZEOF_PID_T == sizeof(pid_t), "pyconfig SIZEOF_PID_T");

#define P(name, value) printf("%-26s = %ld\n", name, (long)(value))
#define END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Bit position of the lowest set bit of a PyASCIIObject.state with only one field set. */
static int state_bit(const PyASCIIObject *o) {
  uint32_t word;
  memcpy(&word, (const char *)o + offsetof(PyASCIIObject, state), sizeof(word));
  return word ? __builtin_ctz(word) : -1;
}

int main(void) {
  printf("# CPython %s (PY_VERSION_HEX 0x%08lx)\n", PY_VERSION, (unsigned long)PY_VERSION_HEX);
  /* Where the uprobe counting code frees is found: kTypeDeallocOffset in
   * userspace/symbolize/code_free_site.h. */
  P("type.tp_dealloc", offsetof(PyTypeObject, tp_dealloc));
#ifdef Py_GIL_DISABLED
  P("gil_disabled", 1);
#else
  P("gil_disabled", 0);
#endif
#ifdef Py_DEBUG
  P("py_debug", 1);
#else
  P("py_debug", 0);
#endif

  /* ---- thread lookup: _PyRuntime.interpreters.head -> interp -> threads -> tstate ---- */
  P("runtime_interpreters_head", offsetof(_PyRuntimeState, interpreters.head));
  P("interp_next", offsetof(PyInterpreterState, next));
#if PY_VERSION_HEX < 0x030B0000
  P("interp_threads_head", offsetof(PyInterpreterState, tstate_head));
#else
  P("interp_threads_head", offsetof(PyInterpreterState, threads.head));
#endif
  P("tstate_next", offsetof(PyThreadState, next));
  P("tstate_thread_id", offsetof(PyThreadState, thread_id));
  P("tstate_thread_id_size", sizeof(((PyThreadState *)0)->thread_id));
  P("tstate_interp", offsetof(PyThreadState, interp));
  /* The code epoch (stprof_process.interp_code_epoch): 3.13 the counter co_version is drawn
   * from; 3.14+ the count of code objects freed. */
#if PY_VERSION_HEX >= 0x030E0000
  P("interp_code_epoch", offsetof(PyInterpreterState, _code_object_generation));
  P("interp_code_epoch_size", sizeof(((PyInterpreterState *)0)->_code_object_generation));
#elif PY_VERSION_HEX >= 0x030D0000
  P("interp_code_epoch", offsetof(PyInterpreterState, func_state.next_version));
  P("interp_code_epoch_size", sizeof(((PyInterpreterState *)0)->func_state.next_version));
#else
  P("interp_code_epoch", 0);
#endif
  P("interp_size", sizeof(PyInterpreterState));

  /* ---- the main interpreter's GIL (struct _gil_runtime_state, Include/internal/pycore_gil.h) ----
   * 3.8-3.11: one GIL for the process, _PyRuntime.ceval.gil. 3.12+: one per interpreter,
   * PyInterpreterState._gil, of which the main interpreter's is inside _PyRuntime
   * (_main_interpreter, its last field); interp->ceval.gil points at the GIL in use. */
#if PY_VERSION_HEX < 0x030C0000
  P("runtime_gil", offsetof(_PyRuntimeState, ceval.gil));
#else
  P("runtime_main_interpreter", offsetof(_PyRuntimeState, _main_interpreter));
  /* It is the last field, so the sizes _Py_DebugOffsets publishes (3.13+) locate it. */
  _Static_assert(offsetof(_PyRuntimeState, _main_interpreter) ==
                     sizeof(_PyRuntimeState) - sizeof(PyInterpreterState),
                 "_main_interpreter ends _PyRuntimeState");
  P("interp_gil", offsetof(PyInterpreterState, _gil));
  P("interp_ceval_gil", offsetof(PyInterpreterState, ceval.gil));
  P("runtime_gil",
    offsetof(_PyRuntimeState, _main_interpreter) + offsetof(PyInterpreterState, _gil));
#endif
  P("gil_size", sizeof(struct _gil_runtime_state));
  P("gil_locked", offsetof(struct _gil_runtime_state, locked));
  P("gil_locked_size", sizeof(((struct _gil_runtime_state *)0)->locked));
  P("gil_last_holder", offsetof(struct _gil_runtime_state, last_holder));
  P("gil_last_holder_size", sizeof(((struct _gil_runtime_state *)0)->last_holder));
  P("gil_mutex", offsetof(struct _gil_runtime_state, mutex)); /* + 8: glibc's __owner */
#ifdef Py_GIL_DISABLED
  P("gil_enabled", offsetof(struct _gil_runtime_state, enabled));
#endif

  /* ---- current frame ---- */
#if PY_VERSION_HEX < 0x030B0000
  P("tstate_frame", offsetof(PyThreadState, frame));
  P("cframe_current_frame", -1);
#elif PY_VERSION_HEX < 0x030D0000
  P("tstate_frame", offsetof(PyThreadState, cframe));
  P("cframe_current_frame", offsetof(_PyCFrame, current_frame));
#else
  P("tstate_frame", offsetof(PyThreadState, current_frame));
  P("cframe_current_frame", -1);
#endif

  /* ---- per frame ---- */
  long window;
#if PY_VERSION_HEX < 0x030B0000
  /* PyFrameObject: f_back, f_code, f_lasti (int). */
  P("frame_code", offsetof(PyFrameObject, f_code));
  P("frame_previous", offsetof(PyFrameObject, f_back));
  P("frame_instr", offsetof(PyFrameObject, f_lasti));
  P("frame_instr_size", sizeof(((PyFrameObject *)0)->f_lasti));
  P("frame_owner", -1);
  window = MAX(END(PyFrameObject, f_code), END(PyFrameObject, f_back));
  window = MAX(window, END(PyFrameObject, f_lasti));
  P("owner_first_non_python", 255);
  P("code_pointer_mask", 0);
#else
#if PY_VERSION_HEX < 0x030D0000
  P("frame_code", offsetof(_PyInterpreterFrame, f_code));
#define FRAME_CODE_END END(_PyInterpreterFrame, f_code)
#else
  P("frame_code", offsetof(_PyInterpreterFrame, f_executable));
#define FRAME_CODE_END END(_PyInterpreterFrame, f_executable)
#endif
  P("frame_previous", offsetof(_PyInterpreterFrame, previous));
#if PY_VERSION_HEX < 0x030D0000
  P("frame_instr", offsetof(_PyInterpreterFrame, prev_instr));
  P("frame_instr_size", sizeof(((_PyInterpreterFrame *)0)->prev_instr));
  window = END(_PyInterpreterFrame, prev_instr);
#else
  P("frame_instr", offsetof(_PyInterpreterFrame, instr_ptr));
  P("frame_instr_size", sizeof(((_PyInterpreterFrame *)0)->instr_ptr));
  window = END(_PyInterpreterFrame, instr_ptr);
#endif
  window = MAX(window, FRAME_CODE_END);
  window = MAX(window, END(_PyInterpreterFrame, previous));
#if PY_VERSION_HEX < 0x030C0000
  /* 3.11: every frame in the chain is Python code (entry frames are marked by is_entry). */
  P("frame_owner", -1);
  P("frame_is_entry", offsetof(_PyInterpreterFrame, is_entry));
  P("owner_first_non_python", 255);
#else
  P("frame_owner", offsetof(_PyInterpreterFrame, owner));
  window = MAX(window, END(_PyInterpreterFrame, owner));
  P("owner_thread", FRAME_OWNED_BY_THREAD);
  P("owner_generator", FRAME_OWNED_BY_GENERATOR);
  P("owner_frame_object", FRAME_OWNED_BY_FRAME_OBJECT);
#if PY_VERSION_HEX >= 0x030E0000
  P("owner_interpreter", FRAME_OWNED_BY_INTERPRETER);
  /* Smallest owner value that is not Python code. */
  P("owner_first_non_python", FRAME_OWNED_BY_INTERPRETER);
#else
  P("owner_first_non_python", FRAME_OWNED_BY_CSTACK);
#endif
#if PY_VERSION_HEX < 0x030F0000
  P("owner_cstack", FRAME_OWNED_BY_CSTACK);
#endif
#endif
#if PY_VERSION_HEX >= 0x030E0000
  P("code_pointer_mask", Py_TAG_BITS); /* f_executable is a _PyStackRef */
#else
  P("code_pointer_mask", 0);
#endif
#endif
  P("frame_window", window);

  /* ---- code object ---- */
#if PY_VERSION_HEX < 0x030B0000
  P("code_first_instr", 0); /* instructions live in the co_code bytes object */
  P("code_co_code", offsetof(PyCodeObject, co_code));
#else
  P("code_first_instr", offsetof(PyCodeObject, co_code_adaptive));
  /* int: code units before the first instruction tracing/frames may observe. CPython hides a
   * frame whose instruction is below it ("incomplete", _PyFrame_IsIncomplete), e.g. the
   * _Py_InitCleanup trampoline that 3.13+ pushes with owner FRAME_OWNED_BY_THREAD. */
  P("code_first_traceable", offsetof(PyCodeObject, _co_firsttraceable));
#endif
  P("code_filename", offsetof(PyCodeObject, co_filename));
  P("code_name", offsetof(PyCodeObject, co_name));
#if PY_VERSION_HEX < 0x030B0000
  P("code_qualname", 0);
#else
  P("code_qualname", offsetof(PyCodeObject, co_qualname));
#endif
#if PY_VERSION_HEX < 0x030A0000
  P("code_linetable", offsetof(PyCodeObject, co_lnotab));
#else
  P("code_linetable", offsetof(PyCodeObject, co_linetable));
#endif
  P("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
  P("code_argcount", offsetof(PyCodeObject, co_argcount));
  P("code_flags", offsetof(PyCodeObject, co_flags));
#if PY_VERSION_HEX >= 0x030C0000
  P("code_serial", offsetof(PyCodeObject, co_version)); /* stprof_process.code_serial */
#endif

  /* Fingerprint window: contiguous fields set when the code object is created and never
   * written again. The boundaries are field names; the asserts pin what lies inside. Left out
   * everywhere: co_flags (third-party profilers/JITs set private bits in it at run time). */
  long fp_start, fp_end;
#if PY_VERSION_HEX < 0x030B0000
  /* co_firstlineno .. co_cell2arg: firstlineno, (4 bytes padding), co_code, co_consts,
   * co_names, co_varnames, co_freevars, co_cellvars, co_cell2arg. co_filename follows. */
  fp_start = offsetof(PyCodeObject, co_firstlineno);
  fp_end = END(PyCodeObject, co_cell2arg);
  _Static_assert(offsetof(PyCodeObject, co_code) == offsetof(PyCodeObject, co_firstlineno) + 8,
                 "co_firstlineno is followed by co_code");
  _Static_assert(offsetof(PyCodeObject, co_filename) == END(PyCodeObject, co_cell2arg),
                 "co_cell2arg is followed by co_filename");
#elif PY_VERSION_HEX < 0x030C0000
  /* co_firstlineno .. co_qualname: firstlineno, nlocalsplus, nlocals, nplaincellvars,
   * ncellvars, nfreevars, localsplusnames, localspluskinds, filename, name, qualname. */
  fp_start = offsetof(PyCodeObject, co_firstlineno);
  fp_end = END(PyCodeObject, co_qualname);
  _Static_assert(offsetof(PyCodeObject, co_nlocalsplus) == END(PyCodeObject, co_firstlineno),
                 "3.11 window layout");
#else
  /* co_argcount .. co_nfreevars: argcount, posonlyargcount, kwonlyargcount, stacksize,
   * firstlineno, nlocalsplus, framesize, nlocals, ncellvars, nfreevars. Bounded by co_flags
   * before and co_version after (reassigned), so filename/name/qualname cannot be included. */
  fp_start = offsetof(PyCodeObject, co_argcount);
  fp_end = END(PyCodeObject, co_nfreevars);
  _Static_assert(offsetof(PyCodeObject, co_argcount) == END(PyCodeObject, co_flags),
                 "co_flags precedes co_argcount");
  _Static_assert(offsetof(PyCodeObject, co_version) == END(PyCodeObject, co_nfreevars),
                 "co_version follows co_nfreevars");
#endif
  if (fp_end - fp_start > 64 || (fp_end - fp_start) % 8 != 0) {
    fprintf(stderr, "probe: fingerprint window %ld..%ld is not 8*n <= 64 bytes\n", fp_start, fp_end);
    return 1;
  }
  P("code_fingerprint", fp_start);
  P("code_fingerprint_size", fp_end - fp_start);
  P("code_fingerprint_has_firstlineno",
    offsetof(PyCodeObject, co_firstlineno) >= (size_t)fp_start &&
        END(PyCodeObject, co_firstlineno) <= (size_t)fp_end);

  /* ---- bytes and str ---- */
  P("bytes_size", offsetof(PyBytesObject, ob_base.ob_size));
  P("bytes_data", offsetof(PyBytesObject, ob_sval));
  P("unicode_length", offsetof(PyASCIIObject, length));
  P("unicode_state", offsetof(PyASCIIObject, state));
  P("unicode_ascii_data", sizeof(PyASCIIObject));
  P("unicode_compact_data", sizeof(PyCompactUnicodeObject));
  {
    PyASCIIObject o;
    memset(&o, 0, sizeof(o));
    o.state.interned = 1;
    P("unicode_state_interned_bit", state_bit(&o));
    memset(&o, 0, sizeof(o));
    o.state.kind = 1;
    P("unicode_state_kind_bit", state_bit(&o));
    memset(&o, 0, sizeof(o));
    o.state.kind = 7;
    P("unicode_state_kind_width", __builtin_popcount(*(uint32_t *)((char *)&o + offsetof(PyASCIIObject, state))));
    memset(&o, 0, sizeof(o));
    o.state.compact = 1;
    P("unicode_state_compact_bit", state_bit(&o));
    memset(&o, 0, sizeof(o));
    o.state.ascii = 1;
    P("unicode_state_ascii_bit", state_bit(&o));
  }

  /* ---- line table ---- */
#if PY_VERSION_HEX < 0x030A0000
  printf("%-26s = %s\n", "line_table", "lnotab");
#elif PY_VERSION_HEX < 0x030B0000
  printf("%-26s = %s\n", "line_table", "linetable310");
#else
  printf("%-26s = %s\n", "line_table", "location");
#endif

  /* ---- _Py_DebugOffsets (3.13+): `debug <position in table> <expected value> <name>` ---- */
#if PY_VERSION_HEX >= 0x030D0000
#define D(field, expected)                                                                \
  printf("debug %ld %ld %s\n", (long)offsetof(_Py_DebugOffsets, field), (long)(expected), \
         #field)
  D(version, PY_VERSION_HEX);
  D(runtime_state.interpreters_head, offsetof(_PyRuntimeState, interpreters.head));
  D(interpreter_state.next, offsetof(PyInterpreterState, next));
  D(interpreter_state.threads_head, offsetof(PyInterpreterState, threads.head));
#if PY_VERSION_HEX >= 0x030E0000
  D(interpreter_state.code_object_generation,
    offsetof(PyInterpreterState, _code_object_generation));
#else
  /* 3.13 only: the profiler keeps its static code epoch for the sizes probed here (3.15's
   * binary reports 8 bytes more than its headers give the host's compiler; unused there). */
  D(interpreter_state.size, sizeof(PyInterpreterState));
#endif
  /* The GIL fields are offsets into PyInterpreterState (_gil.locked, not locked). The table
   * does not say where the main interpreter is; it is _PyRuntime's last field, so the live
   * check derives it from runtime_state.size and interpreter_state.size. */
  D(interpreter_state.ceval_gil, offsetof(PyInterpreterState, ceval.gil));
  D(interpreter_state.gil_runtime_state, offsetof(PyInterpreterState, _gil));
#ifdef Py_GIL_DISABLED
  /* An offset into struct _gil_runtime_state, unlike locked and holder (3.13's
   * _Py_Debug_gilruntimestate_enabled, pycore_runtime.h). */
  D(interpreter_state.gil_runtime_state_enabled, offsetof(struct _gil_runtime_state, enabled));
#else
  D(interpreter_state.gil_runtime_state_enabled, 0);
#endif
  D(interpreter_state.gil_runtime_state_locked, offsetof(PyInterpreterState, _gil.locked));
  D(interpreter_state.gil_runtime_state_holder, offsetof(PyInterpreterState, _gil.last_holder));
  D(thread_state.next, offsetof(PyThreadState, next));
  D(thread_state.interp, offsetof(PyThreadState, interp));
  D(thread_state.current_frame, offsetof(PyThreadState, current_frame));
  D(thread_state.thread_id, offsetof(PyThreadState, thread_id));
  D(interpreter_frame.previous, offsetof(_PyInterpreterFrame, previous));
  D(interpreter_frame.executable, offsetof(_PyInterpreterFrame, f_executable));
  D(interpreter_frame.instr_ptr, offsetof(_PyInterpreterFrame, instr_ptr));
  D(interpreter_frame.owner, offsetof(_PyInterpreterFrame, owner));
  D(code_object.filename, offsetof(PyCodeObject, co_filename));
  D(code_object.name, offsetof(PyCodeObject, co_name));
  D(code_object.qualname, offsetof(PyCodeObject, co_qualname));
  D(code_object.linetable, offsetof(PyCodeObject, co_linetable));
  D(code_object.firstlineno, offsetof(PyCodeObject, co_firstlineno));
  D(code_object.co_code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
  D(unicode_object.state, offsetof(PyASCIIObject, state));
  D(unicode_object.length, offsetof(PyASCIIObject, length));
  D(unicode_object.asciiobject_size, sizeof(PyASCIIObject));
#if PY_VERSION_HEX >= 0x030E0000
  D(bytes_object.ob_size, offsetof(PyBytesObject, ob_base.ob_size));
  D(bytes_object.ob_sval, offsetof(PyBytesObject, ob_sval));
#endif
#if PY_VERSION_HEX >= 0x030F0000
  D(unicode_object.compactunicodeobject_size, sizeof(PyCompactUnicodeObject));
#endif
#endif
  return 0;
}
