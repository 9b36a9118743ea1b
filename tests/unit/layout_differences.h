// Comparing CPython layouts field by field, for the tests of cpython/debug_offsets: what a
// _Py_DebugOffsets table changed in a static layout (cpython/layout.cpp), by field name.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cpython/layout.h"

namespace stprof {

// The layout cpython/layout.cpp holds for `version` built as `build` (a test failure if there is
// none).
inline CPythonLayout static_layout(const PythonVersion& version,
                                   PythonBuild build = PythonBuild::kGil) {
  Result<CPythonLayout> layout = layout_for(version, build);
  EXPECT_TRUE(layout.ok()) << layout.error().message;
  return layout.ok() ? *layout : CPythonLayout{};
}

// Every field of a layout by name, to compare two layouts and name what differs.
inline std::vector<std::pair<std::string, int64_t>> fields_of(const CPythonLayout& l) {
  const stprof_process& w = l.walker;
  return {
      {"build", static_cast<int64_t>(l.build)},
      {"walker.flags", w.flags},
      {"walker.interpreters_head_addr", static_cast<int64_t>(w.interpreters_head_addr)},
      {"walker.code_pointer_mask", static_cast<int64_t>(w.code_pointer_mask)},
      {"walker.interp_next", w.interp_next},
      {"walker.interp_threads_head", w.interp_threads_head},
      {"walker.tstate_next", w.tstate_next},
      {"walker.tstate_thread_id", w.tstate_thread_id},
      {"walker.tstate_frame", w.tstate_frame},
      {"walker.cframe_current_frame", w.cframe_current_frame},
      {"walker.frame_code", w.frame_code},
      {"walker.frame_previous", w.frame_previous},
      {"walker.frame_instr", w.frame_instr},
      {"walker.frame_owner", w.frame_owner},
      {"walker.frame_window", w.frame_window},
      {"walker.instr_kind", w.instr_kind},
      {"walker.owner_first_non_python", w.owner_first_non_python},
      {"walker.code_first_instr", w.code_first_instr},
      {"walker.code_fingerprint", w.code_fingerprint},
      {"walker.code_fingerprint_size", w.code_fingerprint_size},
      {"walker.code_name", w.code_name},
      {"walker.code_fingerprint_mask", w.code_fingerprint_mask},
      {"walker.str_length", w.str_length},
      {"walker.str_state", w.str_state},
      {"walker.str_ascii_data", w.str_ascii_data},
      {"walker.code_serial", w.code_serial},
      {"walker.tstate_interp", w.tstate_interp},
      {"walker.interp_code_epoch", w.interp_code_epoch},
      {"walker.code_epoch_size", w.code_epoch_size},
      {"walker.gil_addr", static_cast<int64_t>(w.gil_addr)},
      {"walker.gil_size", w.gil_size},
      {"walker.gil_locked", w.gil_locked},
      {"walker.gil_last_holder", w.gil_last_holder},
      {"walker.gil_mutex_owner", w.gil_mutex_owner},
      {"walker.gil_enabled", w.gil_enabled},
      {"runtime_interpreters_head", l.runtime_interpreters_head},
      {"runtime_gil", l.runtime_gil},
      {"code_filename", l.code_filename},
      {"code_name", l.code_name},
      {"code_qualname", l.code_qualname},
      {"code_linetable", l.code_linetable},
      {"code_firstlineno", l.code_firstlineno},
      {"line_table", static_cast<int64_t>(l.line_table)},
      {"bytes_size", l.bytes_size},
      {"bytes_data", l.bytes_data},
      {"unicode_length", l.unicode_length},
      {"unicode_state", l.unicode_state},
      {"unicode_ascii_data", l.unicode_ascii_data},
      {"unicode_compact_data", l.unicode_compact_data},
      {"type_dealloc", l.type_dealloc},
  };
}

// "name: expected X, got Y" for each field that differs; empty when the layouts are equal.
inline std::string differences(const CPythonLayout& expected, const CPythonLayout& got) {
  std::ostringstream out;
  std::vector<std::pair<std::string, int64_t>> e = fields_of(expected), g = fields_of(got);
  for (size_t i = 0; i < e.size(); i++) {
    if (e[i].second != g[i].second) {
      out << "  " << e[i].first << ": static " << e[i].second << ", from the table "
          << g[i].second << "\n";
    }
  }
  if (out.str().empty() && std::memcmp(&expected.walker, &got.walker, sizeof(got.walker)) != 0) {
    out << "  walker: bytes differ in a field fields_of() does not list\n";
  }
  return out.str();
}

}  // namespace stprof
