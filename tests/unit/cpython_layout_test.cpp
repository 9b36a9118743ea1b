// The per-version layouts (cpython/layout.h) and what is derived from them per process.
#include "cpython/layout.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace stprof
