// Where CPython keeps what we read, per minor version: the one place that knows versions.
#pragma once

#include <linux/types.h>

#include <cstdint>

#include "cpython/line_table.h"
#include "cpython/version.h"
#include "stprof_abi.h"
#include "util/result.h"

namespace stprof {

// Which kind of build of a minor version: with the GIL, or free-threaded (./configure
// --disable-gil, Py_GIL_DISABLED: _Py_DebugOffsets.free_threaded).
enum class PythonBuild { kGil, kFreeThreaded };

struct CPythonLayout {
  PythonBuild build = PythonBuild::kGil;
  // What the BPF walker reads; interpreters_head_addr is filled in per process.
  stprof_process walker{};
  uint16_t runtime_interpreters_head = 0;  // _PyRuntimeState.interpreters.head
  // Where the main interpreter's GIL (struct _gil_runtime_state) is, from _PyRuntime's start
  // (walker.gil_addr is filled in per process from it); 0: unknown. Its size and the offsets of
  // `locked` and `last_holder` are in walker.gil_size/gil_locked/gil_last_holder.
  uint32_t runtime_gil = 0;
  // For a minor whose GIL is in the main interpreter, _PyRuntime's last field, behind static
  // objects a patch release may add to, and which publishes no _Py_DebugOffsets (3.12):
  // sizeof(_PyRuntimeState) where runtime_gil was probed. In a _PyRuntime of another size the
  // GIL has moved by the difference (see gil_moved_to_runtime_size). 0: runtime_gil holds as is.
  uint64_t runtime_gil_probed_size = 0;
  // Sizes of PyInterpreterState at which walker.interp_code_epoch was probed, for a minor whose
  // _Py_DebugOffsets does not publish the epoch (3.13): at any other size a patch release may
  // have moved it, and debug_offsets.cpp drops it. 0: unused.
  uint64_t code_epoch_interp_sizes[2] = {};

  // Code object fields read by userspace symbolization (PyCodeObject).
  uint16_t code_filename = 0;
  uint16_t code_name = 0;
  uint16_t code_qualname = 0;  // 0: no co_qualname (before 3.11)
  uint16_t code_linetable = 0; // co_lnotab (3.8/3.9) or co_linetable
  uint16_t code_firstlineno = 0;
  // _co_firsttraceable (3.11+; 0: none): the index of the code's RESUME. A frame that has not
  // reached it is "incomplete" and CPython hides it from tracebacks and sys._getframe(); so do
  // we. From 3.13 this hides the __init__ trampoline (_Py_InitCleanup) CPython pushes between a
  // class call and the class's __init__.
  uint16_t code_first_traceable = 0;
  LineTableFormat line_table = LineTableFormat::kLocationTable;

  // PyBytesObject: ob_size and ob_sval.
  uint16_t bytes_size = 16;
  uint16_t bytes_data = 32;
  // PyUnicodeObject: length, state bit field, data of compact ASCII / compact non-ASCII strings.
  uint16_t unicode_length = 16;
  uint16_t unicode_state = 32;
  uint16_t unicode_ascii_data = 48;
  uint16_t unicode_compact_data = 72;
  // PyTypeObject.tp_dealloc: after the object header, ob_size, tp_name, tp_basicsize and
  // tp_itemsize (without Py_TRACE_REFS).
  uint16_t type_dealloc = 48;
};

// Moves runtime_gil by how much larger `runtime_size` (the target's _PyRuntime symbol size) is
// than runtime_gil_probed_size, when that is set.
void gil_moved_to_runtime_size(CPythonLayout& layout, uint64_t runtime_size);

// Sets the walker fields that follow from the userspace ones (the name and str fields read for
// the fingerprint); call after changing any of those.
void derive_walker_fields(CPythonLayout& layout);

// The layout for `version` built as `build`, or an error naming the version (and build) when it
// is not supported.
Result<CPythonLayout> layout_for(const PythonVersion& version,
                                 PythonBuild build = PythonBuild::kGil);

}  // namespace stprof
