// The per-version layouts (cpython/layout.h) and what is derived from them per process.
#include "cpython/layout.h"

#include <gtest/gtest.h>

#include <string>

namespace stprof {
namespace {

CPythonLayout layout_of(int minor) {
  Result<CPythonLayout> layout = layout_for(PythonVersion{3, minor, 0});
  EXPECT_TRUE(layout) << "3." << minor;
  return layout ? *layout : CPythonLayout{};
}

TEST(CPythonLayout, EverySupportedMinorKnowsItsGil) {
  for (int minor = 8; minor <= 15; minor++) {
    CPythonLayout layout = layout_of(minor);
    EXPECT_NE(layout.runtime_gil, 0u) << "3." << minor;
    EXPECT_EQ(layout.walker.gil_size, 208u) << "3." << minor;
    EXPECT_LT(layout.walker.gil_locked + 4u, layout.walker.gil_size);
    EXPECT_LT(layout.walker.gil_last_holder + 8u, layout.walker.gil_size);
    // pthread_mutex_t.__data.__owner of `mutex`, after interval, last_holder, locked,
    // switch_number and the 48-byte `cond`.
    EXPECT_EQ(layout.walker.gil_mutex_owner, 88u) << "3." << minor;
  }
}

TEST(CPythonLayout, The312GilMovesWithTheRuntimesSize) {
  CPythonLayout probed = layout_of(12);
  gil_moved_to_runtime_size(probed, 459944);  // 3.12.1, where it was probed
  EXPECT_EQ(probed.runtime_gil, 77432u);

  CPythonLayout grown = layout_of(12);  // a patch release with 48 more bytes of static objects
  gil_moved_to_runtime_size(grown, 459944 + 48);
  EXPECT_EQ(grown.runtime_gil, 77432u + 48);

  CPythonLayout tiny = layout_of(12);  // a size the GIL cannot be in: unknown
  gil_moved_to_runtime_size(tiny, 1000);
  EXPECT_EQ(tiny.runtime_gil, 0u);

  CPythonLayout unknown_size = layout_of(12);  // no symbol size: as probed
  gil_moved_to_runtime_size(unknown_size, 0);
  EXPECT_EQ(unknown_size.runtime_gil, 77432u);
}

TEST(CPythonLayout, OtherMinorsKeepTheirGilWhateverTheRuntimesSize) {
  for (int minor : {8, 9, 10, 11, 13, 14, 15}) {
    CPythonLayout layout = layout_of(minor);
    uint32_t gil = layout.runtime_gil;
    gil_moved_to_runtime_size(layout, 123456789);
    EXPECT_EQ(layout.runtime_gil, gil) << "3." << minor;
  }
}

// The free-threaded 3.13 layout is the GIL one with every offset into an object 16 bytes further
// (PyObject's header: ob_tid, ob_flags, ob_mutex, ob_gc_bits, ob_ref_local, ob_ref_shared) and a
// GIL that starts with `enabled`; the numbers are tools/cpython-offsets/probe.c's (and offsetof's
// for the GIL's mutex) for trixie's 3.13.5 built --disable-gil.
TEST(CPythonLayout, FreeThreaded313MovesObjectFieldsAndItsGilCanBeOff) {
  Result<CPythonLayout> built = layout_for(PythonVersion{3, 13, 5}, PythonBuild::kFreeThreaded);
  ASSERT_TRUE(built) << built.error().message;
  const CPythonLayout& l = *built;
  EXPECT_EQ(l.build, PythonBuild::kFreeThreaded);
  EXPECT_EQ(l.code_filename, 128);
  EXPECT_EQ(l.code_name, 136);
  EXPECT_EQ(l.code_qualname, 144);
  EXPECT_EQ(l.walker.code_name, 144);  // the qualname, read for the fingerprint
  EXPECT_EQ(l.code_linetable, 152);
  EXPECT_EQ(l.code_firstlineno, 84);
  EXPECT_EQ(l.code_first_traceable, 200);
  EXPECT_EQ(l.walker.code_first_instr, 216);
  EXPECT_EQ(l.walker.code_fingerprint, 64);  // co_flags' word, as 48 in the GIL build
  EXPECT_EQ(l.walker.code_serial, 108);      // co_version
  EXPECT_EQ(l.unicode_length, 32);
  EXPECT_EQ(l.unicode_state, 48);
  EXPECT_EQ(l.unicode_ascii_data, 56);
  EXPECT_EQ(l.unicode_compact_data, 72);
  EXPECT_EQ(l.walker.str_ascii_data, 56);
  EXPECT_EQ(l.bytes_size, 32);
  EXPECT_EQ(l.bytes_data, 48);
  EXPECT_EQ(l.type_dealloc, 64);
  EXPECT_EQ(l.walker.interp_code_epoch, 20092);
  // Thread states, interpreters and frames keep the GIL build's offsets.
  CPythonLayout gil = layout_of(13);
  EXPECT_EQ(l.walker.tstate_thread_id, gil.walker.tstate_thread_id);
  EXPECT_EQ(l.walker.frame_instr, gil.walker.frame_instr);
  EXPECT_EQ(l.runtime_interpreters_head, gil.runtime_interpreters_head);
  EXPECT_EQ(l.runtime_gil, 112704u + 7760);  // _main_interpreter._gil
  EXPECT_EQ(l.walker.gil_size, 216u);
  EXPECT_EQ(l.walker.gil_enabled, 0u);
  EXPECT_EQ(l.walker.gil_last_holder, 16u);
  EXPECT_EQ(l.walker.gil_locked, 24u);
  EXPECT_EQ(l.walker.gil_mutex_owner, 88u + 8);
  EXPECT_TRUE(l.walker.flags & STPROF_PROCESS_FREE_THREADED);
  EXPECT_FALSE(gil.walker.flags & STPROF_PROCESS_FREE_THREADED);
}

TEST(CPythonLayout, FreeThreadedBuildsOfOtherMinorsAreNamedUnsupported) {
  for (int minor : {12, 14, 15}) {
    Result<CPythonLayout> layout = layout_for(PythonVersion{3, minor, 0}, PythonBuild::kFreeThreaded);
    ASSERT_FALSE(layout) << "3." << minor;
    EXPECT_NE(layout.error().message.find("free-threaded CPython 3." + std::to_string(minor)),
              std::string::npos) << layout.error().message;
  }
}

}  // namespace
}  // namespace stprof
