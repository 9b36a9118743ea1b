#include "discover/cpython_layout.h"

namespace stprof {
namespace {

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
  l.code_filename = 112;
  l.code_name = 120;
  l.code_qualname = 128;
  l.code_linetable = 136;
  l.code_firstlineno = 72;
  l.line_table = LineTableFormat::kLocationTable;
  return l;
}

}  // namespace

Result<CPythonLayout> layout_for(const PythonVersion& version) {
  if (version.major == 3 && version.minor == 11) return layout_311();
  return make_error("CPython " + version.to_string() + " is not supported (supported: 3.11)");
}

}  // namespace stprof
