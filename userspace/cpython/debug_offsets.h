// CPython 3.13+ publishes its own offsets in _Py_DebugOffsets, the table at the start of
// _PyRuntime: the layout takes every offset the table has from the target itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "cpython/layout.h"
#include "cpython/version.h"
#include "util/result.h"

namespace stprof {

// Bytes at the start of _PyRuntime that apply_debug_offsets reads for `version`; 0 when the
// profiler knows no _Py_DebugOffsets table for that minor (before 3.13, or after 3.15).
size_t debug_offsets_size(const PythonVersion& version);

// Which build `table` (the start of a _PyRuntime, as for apply_debug_offsets) describes: its
// free_threaded member; kGil when the table is too short to hold it.
PythonBuild debug_offsets_build(std::span<const uint8_t> table);

// Checks `table` (the first debug_offsets_size(version) bytes of the target's _PyRuntime): the
// cookie "xdebugpy", a `version` of the same major.minor as `version`, the build `layout` is for
// (debug_offsets_build: layout_for(version, build) made it), and that every
// offset the profiler takes fits its field; then overwrites those fields of `layout` with the
// table's values. On error `layout` is left unchanged and the message says what is wrong with
// the table (not which file it came from). GIL numbers that do not fit are no error: the GIL is
// then unknown (runtime_gil 0).
Result<void> apply_debug_offsets(const PythonVersion& version, std::span<const uint8_t> table,
                                 CPythonLayout& layout);

}  // namespace stprof
