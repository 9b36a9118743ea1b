// Tests for discover/elf_file and the binary analysis built on it, on this test's own executable:
// a dynamically linked program that is not Python.

#include "discover/elf_file.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "discover/python_binary.h"

namespace stprof {
namespace {

UniqueFd open_self() { return UniqueFd(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC)); }

TEST(ElfFile, NeededLibrariesAreTheDynamicSectionsOwn) {
  Result<ElfFile> elf = ElfFile::open(open_self(), "self");
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  std::vector<std::string> needed = elf->needed_libraries();
  EXPECT_NE(std::find(needed.begin(), needed.end(), "libc.so.6"), needed.end());
  EXPECT_EQ(std::count_if(needed.begin(), needed.end(),
                          [](const std::string& name) { return name.find('/') != std::string::npos; }),
            0)
      << "names as the loader looks them up, not paths";
}

TEST(PythonBinaryCache, AProgramWithoutLibpythonIsNeitherPythonNorBecomesIt) {
  PythonBinaryCache cache;
  Result<BinaryAnalysis> analysis = cache.analyse(open_self(), "self");
  ASSERT_TRUE(analysis.ok()) << analysis.error().message;
  EXPECT_FALSE(analysis->python);
  EXPECT_FALSE(analysis->links_libpython);
}

}  // namespace
}  // namespace stprof
