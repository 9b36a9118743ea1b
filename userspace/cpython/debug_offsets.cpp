#include "cpython/debug_offsets.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

namespace stprof {
namespace {

// Which CPythonLayout fields come from the table (every minor 3.13-3.15 unless marked):
//   runtime_interpreters_head      runtime_state.interpreters_head
//   walker.interp_next             interpreter_state.next
//   walker.interp_threads_head     interpreter_state.threads_head
//   walker.tstate_next             thread_state.next
//   walker.tstate_frame            thread_state.current_frame
//   walker.tstate_thread_id        thread_state.thread_id
//   walker.tstate_interp           thread_state.interp
//   walker.interp_code_epoch       interpreter_state.code_object_generation (3.14+; on 3.13 the
//                                  static one is kept when interpreter_state.size is one it was
//                                  probed at, layout.code_epoch_interp_sizes, else there is no
//                                  code epoch)
//   walker.frame_previous          interpreter_frame.previous
//   walker.frame_code              interpreter_frame.executable
//   walker.frame_instr             interpreter_frame.instr_ptr
//   walker.frame_owner             interpreter_frame.owner
//   walker.frame_window            recomputed: the end of the furthest of the four frame fields
//   walker.code_first_instr        code_object.co_code_adaptive
//   code_filename, code_name, code_qualname, code_linetable, code_firstlineno
//                                  code_object.filename/name/qualname/linetable/firstlineno
//   bytes_size, bytes_data         bytes_object.ob_size/ob_sval
//   unicode_state, unicode_length  unicode_object.state/length
//   unicode_ascii_data             unicode_object.asciiobject_size
//   unicode_compact_data           unicode_object.compactunicodeobject_size (3.15 only)
//   runtime_gil                    runtime_state.size - interpreter_state.size (where the main
//                                  interpreter is) + interpreter_state.gil_runtime_state
//   walker.gil_locked              interpreter_state.gil_runtime_state_locked - gil_runtime_state
//   walker.gil_last_holder         interpreter_state.gil_runtime_state_holder - gil_runtime_state
//                                  (all three, or no GIL: see take_gil)
//   walker.gil_enabled             interpreter_state.gil_runtime_state_enabled (free-threaded
//                                  builds; 3.13 publishes it as an offset into the GIL)
// Which stay static (layout.cpp): walker.cframe_current_frame (-1), instr_kind,
// owner_first_non_python, code_pointer_mask, code_fingerprint/code_fingerprint_size (checked:
// code_object.argcount, firstlineno, filename, name and qualname must be where the window
// expects them), line_table, walker.gil_size,
// unicode_compact_data before 3.15.

// Where the static layouts put co_argcount (3.12+): right after co_flags, in the window's first
// word.
uint16_t code_argcount(const CPythonLayout& layout) { return layout.walker.code_fingerprint + 4; }

constexpr char kCookie[8] = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};  // _Py_Debug_Cookie
constexpr uint16_t kVersionAt = 8;        // uint64_t version (PY_VERSION_HEX), every minor
constexpr uint16_t kFreeThreadedAt = 16;  // uint64_t free_threaded, every minor

// Where each member the profiler uses sits in one minor's _Py_DebugOffsets: byte positions in
// the table (offsetof(_Py_DebugOffsets, ...)), every member a uint64_t. 0: not in this minor.
struct TableDescription {
  uint16_t size;  // bytes read: the end of the last member below
  uint16_t runtime_size;
  uint16_t runtime_interpreters_head;
  uint16_t interp_next;
  uint16_t interp_threads_head;
  uint16_t tstate_next;
  uint16_t tstate_current_frame;
  uint16_t tstate_thread_id;
  uint16_t tstate_interp;
  uint16_t interp_size;
  uint16_t interp_gil;         // gil_runtime_state: PyInterpreterState._gil
  uint16_t interp_gil_enabled; // gil_runtime_state_enabled: in _gil (free-threaded builds)
  uint16_t interp_gil_locked;  // gil_runtime_state_locked: PyInterpreterState._gil.locked
  uint16_t interp_gil_holder;  // gil_runtime_state_holder: PyInterpreterState._gil.last_holder
  uint16_t interp_code_object_generation;
  uint16_t frame_previous;
  uint16_t frame_executable;
  uint16_t frame_instr_ptr;
  uint16_t frame_owner;
  uint16_t code_filename;
  uint16_t code_name;
  uint16_t code_qualname;
  uint16_t code_linetable;
  uint16_t code_firstlineno;
  uint16_t code_argcount;
  uint16_t code_co_code_adaptive;
  uint16_t bytes_ob_size;
  uint16_t bytes_ob_sval;
  uint16_t unicode_state;
  uint16_t unicode_length;
  uint16_t unicode_asciiobject_size;
  uint16_t unicode_compactunicodeobject_size;
};

// Positions printed by tools/cpython-offsets/probe.c (its `debug` lines); code_object.argcount
// and, for 3.13, bytes_object.* (which probe.c does not print) by offsetof against the same
// headers. Each minor's table is only stable within that minor.

// CPython 3.13: Include/internal/pycore_runtime.h (struct _Py_DebugOffsets, 584 bytes). Debian
// trixie's 3.13.5 and pyenv's 3.13.0 headers agree.
constexpr TableDescription kTable313 = {
    .size = 568,
    .runtime_size = 24,
    .runtime_interpreters_head = 40,
    .interp_next = 64,
    .interp_threads_head = 72,
    .tstate_next = 168,
    .tstate_current_frame = 184,
    .tstate_thread_id = 192,
    .tstate_interp = 176,
    .interp_size = 48,
    .interp_gil = 120,
    .interp_gil_enabled = 128,
    .interp_gil_locked = 136,
    .interp_gil_holder = 144,
    .interp_code_object_generation = 0,
    .frame_previous = 232,
    .frame_executable = 240,
    .frame_instr_ptr = 248,
    .frame_owner = 264,
    .code_filename = 280,
    .code_name = 288,
    .code_qualname = 296,
    .code_linetable = 304,
    .code_firstlineno = 312,
    .code_argcount = 320,
    .code_co_code_adaptive = 344,
    .bytes_ob_size = 520,
    .bytes_ob_sval = 528,
    .unicode_state = 544,
    .unicode_length = 552,
    .unicode_asciiobject_size = 560,
    .unicode_compactunicodeobject_size = 0,
};

// CPython 3.14: Include/internal/pycore_debug_offsets.h (760 bytes): interpreter_state gained
// threads_main, code_object_generation and tlbc_generation, interpreter_frame stackpointer and
// tlbc_index, code_object co_tlbc; new set_object, gen_object, llist_node and debugger_support
// sections. Debian sid's 3.14.10.
constexpr TableDescription kTable314 = {
    .size = 648,
    .runtime_size = 24,
    .runtime_interpreters_head = 40,
    .interp_next = 64,
    .interp_threads_head = 72,
    .tstate_next = 192,
    .tstate_current_frame = 208,
    .tstate_thread_id = 216,
    .tstate_interp = 200,
    .interp_size = 48,
    .interp_gil = 128,
    .interp_gil_enabled = 136,
    .interp_gil_locked = 144,
    .interp_gil_holder = 152,
    .interp_code_object_generation = 160,
    .frame_previous = 256,
    .frame_executable = 264,
    .frame_instr_ptr = 272,
    .frame_owner = 288,
    .code_filename = 320,
    .code_name = 328,
    .code_qualname = 336,
    .code_linetable = 344,
    .code_firstlineno = 352,
    .code_argcount = 360,
    .code_co_code_adaptive = 384,
    .bytes_ob_size = 600,
    .bytes_ob_sval = 608,
    .unicode_state = 624,
    .unicode_length = 632,
    .unicode_asciiobject_size = 640,
    .unicode_compactunicodeobject_size = 0,
};

// CPython 3.15: Include/internal/pycore_debug_offsets.h (888 bytes): thread_state gained
// base_frame, last_profiled_frame and last_profiled_frame_seq before thread_id, and holds_gil,
// gil_requested, current_exception, exc_state; new err_stackitem and heap_type_object sections;
// unicode_object gained compactunicodeobject_size. Debian sid's 3.15.2.
constexpr TableDescription kTable315 = {
    .size = 752,
    .runtime_size = 24,
    .runtime_interpreters_head = 40,
    .interp_next = 64,
    .interp_threads_head = 72,
    .tstate_next = 192,
    .tstate_current_frame = 208,
    .tstate_thread_id = 240,
    .tstate_interp = 200,
    .interp_size = 48,
    .interp_gil = 128,
    .interp_gil_enabled = 136,
    .interp_gil_locked = 144,
    .interp_gil_holder = 152,
    .interp_code_object_generation = 160,
    .frame_previous = 320,
    .frame_executable = 328,
    .frame_instr_ptr = 336,
    .frame_owner = 352,
    .code_filename = 384,
    .code_name = 392,
    .code_qualname = 400,
    .code_linetable = 408,
    .code_firstlineno = 416,
    .code_argcount = 424,
    .code_co_code_adaptive = 448,
    .bytes_ob_size = 696,
    .bytes_ob_sval = 704,
    .unicode_state = 720,
    .unicode_length = 728,
    .unicode_asciiobject_size = 736,
    .unicode_compactunicodeobject_size = 744,
};

const TableDescription* description_for(const PythonVersion& version) {
  if (version.major != 3) return nullptr;
  switch (version.minor) {
    case 13: return &kTable313;
    case 14: return &kTable314;
    case 15: return &kTable315;
    default: return nullptr;
  }
}

uint64_t u64_at(std::span<const uint8_t> table, uint16_t position) {
  uint64_t value = 0;
  std::memcpy(&value, table.data() + position, sizeof(value));
  return value;
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

constexpr const char* kNotUnderstood = ": not a CPython runtime the profiler understands";

// Copies table members into layout fields, remembering the first one that does not fit.
class Taker {
 public:
  explicit Taker(std::span<const uint8_t> table) : table_(table) {}

  template <class Field>
  void take(const char* member, uint16_t position, Field& field) {
    if (position == 0 || error_) return;
    uint64_t value = u64_at(table_, position);
    if (value > static_cast<uint64_t>(std::numeric_limits<Field>::max())) {
      error_ = "_Py_DebugOffsets." + std::string(member) + " = " + std::to_string(value) +
               " does not fit the profiler's " + std::to_string(sizeof(Field) * 8) +
               "-bit offset" + kNotUnderstood;
      return;
    }
    field = static_cast<Field>(value);
  }

  const std::optional<std::string>& error() const { return error_; }

 private:
  std::span<const uint8_t> table_;
  std::optional<std::string> error_;
};

// The code epoch (stprof_process.interp_code_epoch): the table's code_object_generation where it
// publishes one; else the static one, if PyInterpreterState has a size it was probed at; else
// none, and the sampler reads each code object once per walk. Never an error: without an epoch
// the sampler is slower, not wrong.
void take_code_epoch(const TableDescription& d, std::span<const uint8_t> table,
                     CPythonLayout& layout) {
  stprof_process& w = layout.walker;
  bool known = false;
  if (d.interp_code_object_generation) {
    uint64_t offset = u64_at(table, d.interp_code_object_generation);
    known = offset > 0 && offset <= std::numeric_limits<uint16_t>::max();
    if (known) w.interp_code_epoch = static_cast<uint16_t>(offset);
  } else {
    uint64_t size = u64_at(table, d.interp_size);
    known = size > 0 && std::ranges::count(layout.code_epoch_interp_sizes, size) > 0;
  }
  if (!known) {
    w.interp_code_epoch = 0;
    w.code_epoch_size = 0;
  }
}

// The main interpreter's GIL. The table does not say where the main interpreter is, but it is
// _PyRuntimeState's last field (_main_interpreter: Include/internal/pycore_runtime.h, and from
// 3.14 pycore_runtime_structs.h, which requires it to stay last), so it starts at
// runtime_state.size - interpreter_state.size; the table gives the GIL's place in it and that of
// locked and last_holder (offsets into PyInterpreterState). This follows patch releases that
// move _main_interpreter (3.13.0 to 3.13.5 did). The GIL's size is not published: the static one
// is kept and the published fields must lie inside it. Never an error: when the numbers do not
// fit, the GIL is unknown (runtime_gil 0) and the process is profiled without it.
void take_gil(const TableDescription& d, std::span<const uint8_t> table, CPythonLayout& layout) {
  stprof_process& w = layout.walker;
  uint64_t runtime_size = u64_at(table, d.runtime_size);
  uint64_t interp_size = u64_at(table, d.interp_size);
  uint64_t gil = u64_at(table, d.interp_gil);
  uint64_t locked = u64_at(table, d.interp_gil_locked);
  uint64_t holder = u64_at(table, d.interp_gil_holder);
  uint64_t enabled = u64_at(table, d.interp_gil_enabled);  // already an offset into the GIL
  // Each field of the GIL at `at` in PyInterpreterState, `size` bytes: inside the GIL.
  auto in_gil = [&](uint64_t at, uint64_t size) {
    return at >= gil && at - gil <= w.gil_size && size <= w.gil_size - (at - gil);
  };
  uint64_t main = runtime_size - interp_size;
  bool fits = w.gil_size > 0 && interp_size > 0 && runtime_size > interp_size && gil > 0 &&
              interp_size >= w.gil_size && gil <= interp_size - w.gil_size &&
              in_gil(locked, sizeof(int32_t)) && in_gil(holder, sizeof(uint64_t)) &&
              (layout.build == PythonBuild::kGil || in_gil(gil + enabled, sizeof(int32_t))) &&
              gil <= std::numeric_limits<uint32_t>::max() &&
              main <= std::numeric_limits<uint32_t>::max() - gil;
  if (!fits) {
    layout.runtime_gil = 0;
    return;
  }
  layout.runtime_gil = static_cast<uint32_t>(main + gil);
  w.gil_locked = static_cast<uint16_t>(locked - gil);
  w.gil_last_holder = static_cast<uint16_t>(holder - gil);
  if (layout.build == PythonBuild::kFreeThreaded) w.gil_enabled = static_cast<uint16_t>(enabled);
}

}  // namespace

PythonBuild debug_offsets_build(std::span<const uint8_t> table) {
  bool free_threaded = table.size() >= kFreeThreadedAt + 8 && u64_at(table, kFreeThreadedAt) != 0;
  return free_threaded ? PythonBuild::kFreeThreaded : PythonBuild::kGil;
}

size_t debug_offsets_size(const PythonVersion& version) {
  const TableDescription* d = description_for(version);
  return d ? d->size : 0;
}

Result<void> apply_debug_offsets(const PythonVersion& version, std::span<const uint8_t> table,
                                 CPythonLayout& layout) {
  const TableDescription* d = description_for(version);
  if (!d) {
    return make_error("no _Py_DebugOffsets description for CPython " + version.to_string() +
                      " (known: 3.13 to 3.15)");
  }
  if (table.size() < d->size) {
    return make_error("_Py_DebugOffsets could not be read (" + std::to_string(table.size()) +
                      " of " + std::to_string(d->size) + " bytes at _PyRuntime)" + kNotUnderstood);
  }
  if (std::memcmp(table.data(), kCookie, sizeof(kCookie)) != 0) {
    return make_error(std::string("_Py_DebugOffsets cookie \"xdebugpy\" missing") + kNotUnderstood);
  }
  uint64_t version_hex = u64_at(table, kVersionAt);
  PythonVersion published = PythonVersion::from_hex(static_cast<uint32_t>(version_hex));
  if (version_hex >> 32 != 0 || published.major != version.major ||
      published.minor != version.minor) {
    return make_error("_Py_DebugOffsets is for CPython " + published.to_string() + " (version " +
                      hex(version_hex) + ") but the binary is CPython " + version.to_string() +
                      kNotUnderstood);
  }
  if (PythonBuild build = debug_offsets_build(table); build != layout.build) {
    return make_error(std::string("_Py_DebugOffsets.free_threaded says a ") +
                      (build == PythonBuild::kFreeThreaded ? "free-threaded" : "GIL") +
                      " build, but the layout is for a " +
                      (layout.build == PythonBuild::kFreeThreaded ? "free-threaded" : "GIL") +
                      " one: choose it with debug_offsets_build");
  }

  CPythonLayout out = layout;
  stprof_process& w = out.walker;
  uint16_t argcount = code_argcount(layout);
  Taker t(table);
  t.take("runtime_state.interpreters_head", d->runtime_interpreters_head,
         out.runtime_interpreters_head);
  t.take("interpreter_state.next", d->interp_next, w.interp_next);
  t.take("interpreter_state.threads_head", d->interp_threads_head, w.interp_threads_head);
  t.take("thread_state.next", d->tstate_next, w.tstate_next);
  t.take("thread_state.current_frame", d->tstate_current_frame, w.tstate_frame);
  t.take("thread_state.thread_id", d->tstate_thread_id, w.tstate_thread_id);
  t.take("thread_state.interp", d->tstate_interp, w.tstate_interp);
  t.take("interpreter_frame.previous", d->frame_previous, w.frame_previous);
  t.take("interpreter_frame.executable", d->frame_executable, w.frame_code);
  t.take("interpreter_frame.instr_ptr", d->frame_instr_ptr, w.frame_instr);
  t.take("interpreter_frame.owner", d->frame_owner, w.frame_owner);
  t.take("code_object.filename", d->code_filename, out.code_filename);
  t.take("code_object.name", d->code_name, out.code_name);
  t.take("code_object.qualname", d->code_qualname, out.code_qualname);
  t.take("code_object.linetable", d->code_linetable, out.code_linetable);
  t.take("code_object.firstlineno", d->code_firstlineno, out.code_firstlineno);
  t.take("code_object.argcount", d->code_argcount, argcount);
  t.take("code_object.co_code_adaptive", d->code_co_code_adaptive, w.code_first_instr);
  t.take("bytes_object.ob_size", d->bytes_ob_size, out.bytes_size);
  t.take("bytes_object.ob_sval", d->bytes_ob_sval, out.bytes_data);
  t.take("unicode_object.state", d->unicode_state, out.unicode_state);
  t.take("unicode_object.length", d->unicode_length, out.unicode_length);
  t.take("unicode_object.asciiobject_size", d->unicode_asciiobject_size, out.unicode_ascii_data);
  t.take("unicode_object.compactunicodeobject_size", d->unicode_compactunicodeobject_size,
         out.unicode_compact_data);
  if (t.error()) return make_error(*t.error());
  take_code_epoch(*d, table, out);
  take_gil(*d, table, out);

  // The sampler reads one window per frame: it must reach the end of the furthest field
  // (previous, executable and instr_ptr are 8-byte pointers, owner a char).
  size_t window = std::max({w.frame_previous + 8, w.frame_code + 8, w.frame_instr + 8});
  if (w.frame_owner >= 0) window = std::max<size_t>(window, w.frame_owner + 1);
  if (window > STPROF_FRAME_WINDOW) {
    return make_error("_Py_DebugOffsets puts frame fields up to byte " + std::to_string(window) +
                      " of _PyInterpreterFrame, beyond the " +
                      std::to_string(STPROF_FRAME_WINDOW) + " bytes the sampler reads per frame" +
                      kNotUnderstood);
  }
  w.frame_window = static_cast<uint16_t>(window);

  // It reads thread_id, the frame field and interp in one read of the thread state.
  stprof_span tstate = stprof_tstate_window(&w);
  if (tstate.end - tstate.start > STPROF_TSTATE_WINDOW) {
    return make_error("_Py_DebugOffsets puts thread-state fields " +
                      std::to_string(tstate.end - tstate.start) + " bytes apart, beyond the " +
                      std::to_string(STPROF_TSTATE_WINDOW) + " the sampler reads per sample" +
                      kNotUnderstood);
  }

  // The fingerprint window (co_flags .. co_qualname for 3.12+, with the words of mutable fields
  // left out) was chosen from the headers. The table cannot show that the window's words are
  // still the immutable ones, only whether its published fields moved: if any did, refuse to
  // guess.
  if (argcount != code_argcount(layout) || out.code_firstlineno != layout.code_firstlineno ||
      out.code_filename != layout.code_filename || out.code_name != layout.code_name ||
      out.code_qualname != layout.code_qualname) {
    return make_error("_Py_DebugOffsets moves code-object fields inside the fingerprint window "
                      "of CPython " + version.to_string() + " (co_argcount at " +
                      std::to_string(argcount) + ", co_firstlineno at " +
                      std::to_string(out.code_firstlineno) +
                      "); this build needs its own layout in cpython/layout.cpp");
  }

  derive_walker_fields(out);
  layout = out;
  return {};
}

}  // namespace stprof
