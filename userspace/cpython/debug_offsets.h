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

// Checks `table` (the first debug_offsets_size(version) bytes of the target's _PyRuntime): the
// cookie "xdebugpy", a `version` of the same major.minor as `version`, a GIL build, and that every
// offset the profiler takes fits its field; then overwrites those fields of `layout` (which
// layout_for(version) made) with the table's values. On error `layout` is left unchanged and the
// message says what is wrong with the table (not which file it came from). GIL numbers that do
// not fit are no error: the GIL is then unknown (runtime_gil 0).
Result<void> apply_debug_offsets(const PythonVersion& version, std::span<const uint8_t> table,
                                 CPythonLayout& layout);

}  // namespace stprof
