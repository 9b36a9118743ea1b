// Tests for cpython/debug_offsets on synthetic _Py_DebugOffsets tables, good and broken. The
// tables of the real 3.13+ interpreters are checked by tests/provisioned.

#include "cpython/debug_offsets.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cpython/layout.h"
#include "layout_differences.h"

namespace stprof {
namespace {

using Table = std::vector<uint8_t>;

// (position in _Py_DebugOffsets, value) of every member apply_debug_offsets reads, as
// tools/cpython-offsets/probe.c printed them for Debian trixie's 3.13.5 (argcount and the
// bytes_object members by offsetof against the same headers).
struct Member {
  const char* name;
  size_t position;
  uint64_t value;
};
const std::vector<Member> kTrixie313 = {
    {"runtime_state.size", 24, 283376},  // _main_interpreter at 88400 + sizeof(PyInterpreterState)
    {"runtime_state.interpreters_head", 40, 632},
    {"interpreter_state.next", 64, 7264},
    {"interpreter_state.size", 48, 194976},
    {"interpreter_state.threads_head", 72, 7344},
    {"interpreter_state.gil_runtime_state", 120, 7752},
    {"interpreter_state.gil_runtime_state_enabled", 128, 0},  // free-threaded builds only
    {"interpreter_state.gil_runtime_state_locked", 136, 7768},
    {"interpreter_state.gil_runtime_state_holder", 144, 7760},
    {"thread_state.next", 168, 8},
    {"thread_state.interp", 176, 16},
    {"thread_state.current_frame", 184, 72},
    {"thread_state.thread_id", 192, 152},
    {"interpreter_frame.previous", 232, 8},
    {"interpreter_frame.executable", 240, 0},
    {"interpreter_frame.instr_ptr", 248, 56},
    {"interpreter_frame.owner", 264, 70},
    {"code_object.filename", 280, 112},
    {"code_object.name", 288, 120},
    {"code_object.qualname", 296, 128},
    {"code_object.linetable", 304, 136},
    {"code_object.firstlineno", 312, 68},
    {"code_object.argcount", 320, 52},
    {"code_object.co_code_adaptive", 344, 200},
    {"bytes_object.ob_size", 520, 16},
    {"bytes_object.ob_sval", 528, 32},
    {"unicode_object.state", 544, 32},
    {"unicode_object.length", 552, 16},
    {"unicode_object.asciiobject_size", 560, 40},
};
const PythonVersion kV313{3, 13, 5};
constexpr uint64_t kHex313 = 0x030d05f0;

void put_u64(Table& table, size_t position, uint64_t value) {
  ASSERT_LE(position + 8, table.size());
  std::memcpy(table.data() + position, &value, sizeof(value));
}

void set_member(Table& table, const std::string& name, uint64_t value) {
  for (const Member& m : kTrixie313) {
    if (name == m.name) return put_u64(table, m.position, value);
  }
  ADD_FAILURE() << "no member " << name;
}

// A 3.13 table holding the static 3.13 offsets.
Table table_313() {
  Table table(debug_offsets_size(kV313), 0);
  std::memcpy(table.data(), "xdebugpy", 8);
  put_u64(table, 8, kHex313);
  put_u64(table, 16, 0);  // free_threaded
  for (const Member& m : kTrixie313) put_u64(table, m.position, m.value);
  return table;
}

// Applies `table` to the static 3.13 layout; on error checks that the layout was not touched
// and returns the message, on success returns nullopt.
std::optional<std::string> apply_313_error(const Table& table) {
  CPythonLayout layout = static_layout(kV313);
  Result<void> applied = apply_debug_offsets(kV313, table, layout);
  if (applied) return std::nullopt;
  EXPECT_EQ(differences(static_layout(kV313), layout), "")
      << "a failed apply_debug_offsets changed the layout";
  return applied.error().message;
}

TEST(DebugOffsets, SizePerMinor) {
  EXPECT_EQ(debug_offsets_size(PythonVersion{3, 12, 1}), 0u);
  EXPECT_EQ(debug_offsets_size(PythonVersion{3, 13, 0}), 568u);  // to unicode asciiobject_size
  EXPECT_EQ(debug_offsets_size(PythonVersion{3, 14, 0}), 648u);
  EXPECT_EQ(debug_offsets_size(PythonVersion{3, 15, 0}), 752u);  // compactunicodeobject_size
  EXPECT_EQ(debug_offsets_size(PythonVersion{3, 16, 0}), 0u);
}

TEST(DebugOffsets, StaticValuesLeaveTheLayoutUnchanged) {
  CPythonLayout layout = static_layout(kV313);
  Result<void> applied = apply_debug_offsets(kV313, table_313(), layout);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(differences(static_layout(kV313), layout), "");
}

TEST(DebugOffsets, GoodTableOverridesEveryPublishedField) {
  Table table = table_313();
  set_member(table, "runtime_state.interpreters_head", 700);
  set_member(table, "interpreter_state.next", 7300);
  set_member(table, "interpreter_state.threads_head", 7400);
  set_member(table, "thread_state.next", 16);
  set_member(table, "thread_state.current_frame", 80);
  set_member(table, "thread_state.thread_id", 160);
  set_member(table, "thread_state.interp", 24);
  set_member(table, "interpreter_frame.previous", 16);
  set_member(table, "interpreter_frame.executable", 24);
  set_member(table, "interpreter_frame.instr_ptr", 64);
  set_member(table, "interpreter_frame.owner", 90);
  set_member(table, "code_object.linetable", 168);
  set_member(table, "code_object.co_code_adaptive", 216);
  set_member(table, "bytes_object.ob_size", 24);
  set_member(table, "bytes_object.ob_sval", 40);
  set_member(table, "unicode_object.state", 36);
  set_member(table, "unicode_object.length", 20);
  set_member(table, "unicode_object.asciiobject_size", 44);
  set_member(table, "runtime_state.size", 283376 + 1000);  // _main_interpreter 1000 bytes later
  set_member(table, "interpreter_state.gil_runtime_state", 7800);
  set_member(table, "interpreter_state.gil_runtime_state_locked", 7800 + 8);
  set_member(table, "interpreter_state.gil_runtime_state_holder", 7800 + 16);

  CPythonLayout layout = static_layout(kV313);
  Result<void> applied = apply_debug_offsets(kV313, table, layout);
  ASSERT_TRUE(applied) << applied.error().message;
  CPythonLayout expected = static_layout(kV313);
  expected.runtime_interpreters_head = 700;
  expected.walker.interp_next = 7300;
  expected.walker.interp_threads_head = 7400;
  expected.walker.tstate_next = 16;
  expected.walker.tstate_frame = 80;
  expected.walker.tstate_thread_id = 160;
  expected.walker.tstate_interp = 24;
  expected.walker.frame_previous = 16;
  expected.walker.frame_code = 24;
  expected.walker.frame_instr = 64;
  expected.walker.frame_owner = 90;
  expected.walker.frame_window = 91;  // owner (a char) is now the furthest frame field
  expected.code_linetable = 168;
  expected.walker.code_first_instr = 216;
  expected.bytes_size = 24;
  expected.bytes_data = 40;
  expected.unicode_state = 36;
  expected.unicode_length = 20;
  expected.unicode_ascii_data = 44;
  // The sampler reads the code's name with the table's str offsets too.
  expected.walker.str_length = 20;
  expected.walker.str_state = 36;
  expected.walker.str_ascii_data = 44;
  expected.runtime_gil = 88400 + 1000 + 7800;
  expected.walker.gil_locked = 8;
  expected.walker.gil_last_holder = 16;
  EXPECT_EQ(differences(expected, layout), "");
}

// 3.13.0 has _main_interpreter, and so the GIL, 48 bytes before 3.13.5 (whose numbers the static
// layout holds); PyInterpreterState is 8 bytes shorter. Its table says so.
TEST(DebugOffsets, TheGilFollowsTheMainInterpreterOfThePatchRelease) {
  Table table = table_313();
  put_u64(table, 8, 0x030d00f0);
  set_member(table, "interpreter_state.size", 194968);
  set_member(table, "runtime_state.size", 88352 + 194968);
  CPythonLayout layout = static_layout(kV313);
  ASSERT_EQ(layout.runtime_gil, 96152u);
  Result<void> applied = apply_debug_offsets(kV313, table, layout);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(layout.runtime_gil, 96104u);
  EXPECT_EQ(layout.walker.gil_size, 208);
  EXPECT_EQ(layout.walker.gil_locked, 16);
  EXPECT_EQ(layout.walker.gil_last_holder, 8);
}

// GIL numbers that do not fit leave the GIL unknown (runtime_gil 0: the sampler cannot tell who
// holds it or waits for it) without failing: the process is still profiled, with the rest of the
// table taken.
TEST(DebugOffsets, GilThatDoesNotFitIsUnknown) {
  struct Case {
    const char* what;
    std::vector<std::pair<std::string, uint64_t>> members;
  };
  const uint64_t gil = 7752;
  const std::vector<Case> cases = {
      {"locked past the GIL's static size",
       {{"interpreter_state.gil_runtime_state_locked", gil + 206}}},
      {"last_holder straddling its end",
       {{"interpreter_state.gil_runtime_state_holder", gil + 204}}},
      {"locked before the GIL", {{"interpreter_state.gil_runtime_state_locked", gil - 4}}},
      {"no GIL offset",
       {{"interpreter_state.gil_runtime_state", 0},
        {"interpreter_state.gil_runtime_state_locked", 16},
        {"interpreter_state.gil_runtime_state_holder", 8}}},
      {"GIL past the interpreter's end",
       {{"interpreter_state.gil_runtime_state", 194976 - 100},
        {"interpreter_state.gil_runtime_state_locked", 194976 - 100 + 16},
        {"interpreter_state.gil_runtime_state_holder", 194976 - 100 + 8}}},
      {"runtime no larger than the interpreter", {{"runtime_state.size", 194976}}},
      {"no interpreter size", {{"interpreter_state.size", 0}}},
      {"offsets that overflow", {{"interpreter_state.gil_runtime_state", ~uint64_t{0} - 8},
                                 {"interpreter_state.gil_runtime_state_locked", 8},
                                 {"interpreter_state.gil_runtime_state_holder", 0}}},
      {"main interpreter beyond 4 GiB", {{"runtime_state.size", (uint64_t{1} << 32) + 194976}}},
      {"GIL beyond 4 GiB",
       {{"interpreter_state.size", uint64_t{1} << 40},
        {"runtime_state.size", (uint64_t{1} << 40) + 100},
        {"interpreter_state.gil_runtime_state", uint64_t{1} << 33},
        {"interpreter_state.gil_runtime_state_locked", (uint64_t{1} << 33) + 16},
        {"interpreter_state.gil_runtime_state_holder", (uint64_t{1} << 33) + 8}}},
  };
  for (const Case& c : cases) {
    Table table = table_313();
    set_member(table, "thread_state.next", 16);  // a field taken whatever the GIL's fate
    for (const auto& [member, value] : c.members) set_member(table, member, value);
    CPythonLayout layout = static_layout(kV313);
    Result<void> applied = apply_debug_offsets(kV313, table, layout);
    ASSERT_TRUE(applied) << c.what << ": " << applied.error().message;
    EXPECT_EQ(layout.runtime_gil, 0u) << c.what;
    EXPECT_EQ(layout.walker.tstate_next, 16) << c.what;
  }
  // The last byte of the GIL is still inside it.
  Table table = table_313();
  set_member(table, "interpreter_state.gil_runtime_state_locked", gil + 204);
  set_member(table, "interpreter_state.gil_runtime_state_holder", gil + 200);
  CPythonLayout layout = static_layout(kV313);
  ASSERT_TRUE(apply_debug_offsets(kV313, table, layout));
  EXPECT_EQ(layout.runtime_gil, 96152u);
  EXPECT_EQ(layout.walker.gil_locked, 204);
  EXPECT_EQ(layout.walker.gil_last_holder, 200);
}

// 3.13's code epoch is not in the table: an interpreter state of a size it was not probed at
// may have it elsewhere, so the sampler goes without (and the process is still profiled).
TEST(DebugOffsets, UnprobedInterpreterStateSizeDropsTheCodeEpoch) {
  CPythonLayout layout = static_layout(kV313);
  ASSERT_EQ(layout.walker.interp_code_epoch, 17000);
  ASSERT_EQ(layout.walker.code_epoch_size, 4);
  for (uint64_t size : {194968, 194976}) {  // 3.13.0, 3.13.5
    Table table = table_313();
    set_member(table, "interpreter_state.size", size);
    ASSERT_TRUE(apply_debug_offsets(kV313, table, layout));
    EXPECT_EQ(layout.walker.interp_code_epoch, 17000) << size;
  }
  Table table = table_313();
  set_member(table, "interpreter_state.size", 194984);
  Result<void> applied = apply_debug_offsets(kV313, table, layout);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(layout.walker.interp_code_epoch, 0);
  EXPECT_EQ(layout.walker.code_epoch_size, 0);
}

TEST(DebugOffsets, FrameWindowCoversAPointerFieldPastTheOwner) {
  Table table = table_313();
  set_member(table, "interpreter_frame.instr_ptr", 96);
  CPythonLayout layout = static_layout(kV313);
  Result<void> applied = apply_debug_offsets(kV313, table, layout);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(layout.walker.frame_window, 104);
}

TEST(DebugOffsets, ThreadStateFieldsBeyondTheSamplersWindowIsAnError) {
  Table table = table_313();
  set_member(table, "thread_state.thread_id", 400);  // current_frame at 72, interp at 16
  std::optional<std::string> error = apply_313_error(table);
  ASSERT_TRUE(error) << "thread_id 384 bytes after interp was accepted";
  EXPECT_NE(error->find("392 bytes apart"), std::string::npos) << *error;
  EXPECT_NE(error->find(std::to_string(STPROF_TSTATE_WINDOW)), std::string::npos) << *error;
}

// The static layouts (every supported minor) keep what the sampler reads of a thread state per
// sample within its window.
TEST(DebugOffsets, StaticLayoutsFitTheThreadStateWindow) {
  for (int minor = 8; minor <= 15; minor++) {
    CPythonLayout layout = static_layout(PythonVersion{3, minor, 0});
    stprof_span span = stprof_tstate_window(&layout.walker);
    EXPECT_LE(span.end - span.start, STPROF_TSTATE_WINDOW) << "3." << minor;
    EXPECT_LE(span.start, layout.walker.tstate_thread_id) << "3." << minor;
    EXPECT_GE(span.end, layout.walker.tstate_frame + 8u) << "3." << minor;
  }
}

TEST(DebugOffsets, BadCookieIsAnError) {
  Table table = table_313();
  std::memcpy(table.data(), "xdebugpz", 8);
  std::optional<std::string> error = apply_313_error(table);
  ASSERT_TRUE(error) << "a table without the cookie was accepted";
  EXPECT_NE(error->find("cookie"), std::string::npos) << *error;
  EXPECT_NE(error->find("not a CPython runtime"), std::string::npos) << *error;
}

TEST(DebugOffsets, ShortTableIsAnError) {
  Table table = table_313();
  table.resize(100);
  std::optional<std::string> error = apply_313_error(table);
  ASSERT_TRUE(error) << "a truncated table was accepted";
  EXPECT_NE(error->find("100 of 568 bytes"), std::string::npos) << *error;
  ASSERT_TRUE(apply_313_error(Table{}));
}

TEST(DebugOffsets, WrongMinorIsAnError) {
  Table table = table_313();
  put_u64(table, 8, 0x030e00f0);  // 3.14.0
  std::optional<std::string> error = apply_313_error(table);
  ASSERT_TRUE(error) << "a 3.14 table was accepted for 3.13";
  EXPECT_NE(error->find("3.14.0"), std::string::npos) << *error;
  EXPECT_NE(error->find("3.13.5"), std::string::npos) << *error;

  put_u64(table, 8, (uint64_t{1} << 32) | kHex313);  // not a PY_VERSION_HEX
  EXPECT_TRUE(apply_313_error(table)) << "a version with bits above 32 was accepted";

  put_u64(table, 8, 0x030d00f0);  // another 3.13 patch release: fine
  EXPECT_FALSE(apply_313_error(table));
}

// What tools/cpython-offsets/probe.c printed for trixie's 3.13.5 built with --disable-gil: the
// members whose values differ from the GIL build's (the object header is 16 bytes larger).
const std::vector<std::pair<const char*, uint64_t>> kTrixie313t = {
    {"runtime_state.size", 112704 + 215616},
    {"interpreter_state.size", 215616},
    {"interpreter_state.gil_runtime_state", 7760},
    {"interpreter_state.gil_runtime_state_locked", 7784},
    {"interpreter_state.gil_runtime_state_holder", 7776},
    {"code_object.filename", 128},
    {"code_object.name", 136},
    {"code_object.qualname", 144},
    {"code_object.linetable", 152},
    {"code_object.firstlineno", 84},
    {"code_object.argcount", 68},
    {"code_object.co_code_adaptive", 216},
    {"bytes_object.ob_size", 32},
    {"bytes_object.ob_sval", 48},
    {"unicode_object.state", 48},
    {"unicode_object.length", 32},
    {"unicode_object.asciiobject_size", 56},
};

Table table_313t() {
  Table table = table_313();
  put_u64(table, 16, 1);  // free_threaded
  for (const auto& [name, value] : kTrixie313t) set_member(table, name, value);
  return table;
}

TEST(DebugOffsets, TheBuildIsTheTablesFreeThreadedMember) {
  EXPECT_EQ(debug_offsets_build(table_313()), PythonBuild::kGil);
  EXPECT_EQ(debug_offsets_build(table_313t()), PythonBuild::kFreeThreaded);
  EXPECT_EQ(debug_offsets_build(Table(16, 0xff)), PythonBuild::kGil);  // too short to say
}

TEST(DebugOffsets, FreeThreadedTableLeavesTheFreeThreadedLayoutUnchanged) {
  const CPythonLayout expected = static_layout(kV313, PythonBuild::kFreeThreaded);
  CPythonLayout layout = expected;
  Result<void> applied = apply_debug_offsets(kV313, table_313t(), layout);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(differences(expected, layout), "");
  // Its GIL where the table puts it, `enabled` first; the code epoch of its size is kept.
  EXPECT_EQ(layout.runtime_gil, 112704u + 7760);
  EXPECT_EQ(layout.walker.gil_enabled, 0);
  EXPECT_EQ(layout.walker.gil_last_holder, 16);
  EXPECT_EQ(layout.walker.gil_locked, 24);
  EXPECT_TRUE(layout.walker.flags & STPROF_PROCESS_FREE_THREADED);
  EXPECT_EQ(layout.walker.interp_code_epoch, 20092);

  // An `enabled` outside the GIL: the GIL is unknown (all samples kept), the process profiled.
  Table table = table_313t();
  set_member(table, "interpreter_state.gil_runtime_state_enabled", 216);
  ASSERT_TRUE(apply_debug_offsets(kV313, table, layout));
  EXPECT_EQ(layout.runtime_gil, 0u);
}

TEST(DebugOffsets, TableOfTheOtherBuildIsAnError) {
  std::optional<std::string> error = apply_313_error(table_313t());  // onto the GIL layout
  ASSERT_TRUE(error) << "a free-threaded table was applied to a GIL layout";
  EXPECT_NE(error->find("free-threaded"), std::string::npos) << *error;

  const CPythonLayout free_threaded = static_layout(kV313, PythonBuild::kFreeThreaded);
  CPythonLayout layout = free_threaded;
  EXPECT_FALSE(apply_debug_offsets(kV313, table_313(), layout)) << "a GIL table on a free-threaded layout";
  EXPECT_EQ(differences(free_threaded, layout), "");
}

TEST(DebugOffsets, ValueTooLargeForItsFieldIsAnError) {
  Table table = table_313();
  set_member(table, "thread_state.thread_id", 70000);
  std::optional<std::string> error = apply_313_error(table);
  ASSERT_TRUE(error) << "thread_id 70000 was accepted into a u16";
  EXPECT_NE(error->find("thread_state.thread_id"), std::string::npos) << *error;
  EXPECT_NE(error->find("70000"), std::string::npos) << *error;
  EXPECT_NE(error->find("16-bit"), std::string::npos) << *error;

  table = table_313();
  set_member(table, "interpreter_frame.owner", 40000);  // frame_owner is an s16
  error = apply_313_error(table);
  ASSERT_TRUE(error) << "owner 40000 was accepted into an s16";
  EXPECT_NE(error->find("interpreter_frame.owner"), std::string::npos) << *error;
}

TEST(DebugOffsets, FrameFieldBeyondTheSamplersWindowIsAnError) {
  Table table = table_313();
  set_member(table, "interpreter_frame.owner", 200);
  std::optional<std::string> error = apply_313_error(table);
  ASSERT_TRUE(error) << "a frame owner at byte 200 was accepted";
  EXPECT_NE(error->find(std::to_string(STPROF_FRAME_WINDOW)), std::string::npos) << *error;
}

TEST(DebugOffsets, MovedFingerprintFieldIsAnError) {
  for (const char* member : {"code_object.argcount", "code_object.firstlineno"}) {
    Table table = table_313();
    set_member(table, member, 56);
    std::optional<std::string> error = apply_313_error(table);
    ASSERT_TRUE(error) << member << " moved and the fingerprint window was kept";
    EXPECT_NE(error->find("fingerprint"), std::string::npos) << *error;
  }
}

TEST(DebugOffsets, VersionWithoutATableIsAnError) {
  CPythonLayout layout = static_layout(PythonVersion{3, 12, 1});
  EXPECT_FALSE(apply_debug_offsets(PythonVersion{3, 12, 1}, table_313(), layout));
}

}  // namespace
}  // namespace stprof
