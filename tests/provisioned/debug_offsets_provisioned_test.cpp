// The _Py_DebugOffsets tables of the real 3.13+ interpreters that tools/provision-interpreters
// lists must leave the static layouts of cpython/layout.cpp unchanged, but for the fields a
// patch release is known to have elsewhere. Needs the Debian roots that tool builds (as root):
// a missing one is a failure that says so, not a skip.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "discover/python_binary.h"
#include "unit/layout_differences.h"
#include "util/open_in_root.h"

namespace stprof {
namespace {

struct Interpreter {
  std::string name, root, path, version;  // as `provision-interpreters --list` prints them
};

std::vector<Interpreter> listed_interpreters() {
  std::vector<Interpreter> out;
  FILE* pipe = ::popen(STPROF_SOURCE_DIR "/tools/provision-interpreters --list", "r");
  if (!pipe) return out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) {
    std::istringstream line(buffer);
    Interpreter i;
    if (std::getline(line, i.name, '\t') && std::getline(line, i.root, '\t') &&
        std::getline(line, i.path, '\t') && std::getline(line, i.version)) {
      while (!i.version.empty() && std::isspace(static_cast<unsigned char>(i.version.back()))) {
        i.version.pop_back();
      }
      out.push_back(i);
    }
  }
  ::pclose(pipe);
  return out;
}

Result<UniqueFd> open_file(const std::string& root, const std::string& path) {
  return open_in_root(root == "-" ? "/" : root, path);
}

// The analysis of the file that holds _PyRuntime: the interpreter itself, or its libpython.
std::optional<std::pair<std::string, PythonBinary>> runtime_binary(const Interpreter& i,
                                                                   const std::string& xy) {
  std::string prefix = i.path.substr(0, i.path.rfind("/bin/"));
  PythonBinaryCache cache;
  for (const std::string& path :
       {i.path, prefix + "/lib/libpython" + xy + ".so.1.0",
        prefix + "/lib/x86_64-linux-gnu/libpython" + xy + ".so.1.0"}) {
    Result<UniqueFd> fd = open_file(i.root, path);
    if (!fd) continue;
    Result<BinaryAnalysis> analysis = cache.analyse(std::move(*fd), path);
    if (analysis && analysis->python && analysis->python->runtime_vaddr) {
      return std::make_pair(path, *analysis->python);
    }
  }
  return std::nullopt;
}

// The static layout of `version` built as `build`, with what tools/cpython-offsets/probe.c
// printed for patch releases that differ from the one the static layout was probed at.
CPythonLayout static_layout_of_release(const PythonVersion& version, PythonBuild build) {
  CPythonLayout layout = static_layout(version, build);
  if (build == PythonBuild::kFreeThreaded) return layout;
  if (version.to_string() == "3.13.0") layout.runtime_gil = 96104;  // 3.13.5: 96152
  return layout;
}

TEST(DebugOffsetsInRealInterpreters, LeaveTheStaticLayoutUnchanged) {
  std::set<std::string> required = {"debian-trixie-3.13", "debian-sid-3.14", "debian-sid-3.15",
                                    "debian-trixie-3.13t"};
  for (const Interpreter& i : listed_interpreters()) {
    int major = 0, minor = 0;
    if (std::sscanf(i.version.c_str(), "%d.%d", &major, &minor) != 2 || major != 3 || minor < 13) {
      continue;
    }
    SCOPED_TRACE(i.name + " (" + i.root + " " + i.path + ", " + i.version + ")");
    required.erase(i.name);
    std::string xy = std::to_string(major) + "." + std::to_string(minor);
    std::optional<std::pair<std::string, PythonBinary>> found = runtime_binary(i, xy);
    ASSERT_TRUE(found) << "no file with _PyRuntime: neither " << i.path << " nor its libpython"
                       << xy;
    const auto& [file, binary] = *found;
    SCOPED_TRACE("_PyRuntime in " + file);
    ASSERT_TRUE(binary.version);
    EXPECT_EQ(binary.version->to_string(), i.version);
    ASSERT_EQ(binary.debug_offsets.size(), debug_offsets_size(*binary.version))
        << "the _Py_DebugOffsets bytes were not read from the file";

    // A free-threaded build is named with a "t" (python3.13t) and says so in its table.
    PythonBuild build = debug_offsets_build(binary.debug_offsets);
    EXPECT_EQ(build == PythonBuild::kFreeThreaded, i.name.back() == 't');
    CPythonLayout layout = static_layout(*binary.version, build);
    Result<void> applied = apply_debug_offsets(*binary.version, binary.debug_offsets, layout);
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(differences(static_layout_of_release(*binary.version, build), layout), "")
        << "fields where the target's _Py_DebugOffsets differs from cpython/layout.cpp";
    std::printf("%s: _Py_DebugOffsets in %s checked\n", i.name.c_str(), file.c_str());
  }
  for (const std::string& name : required) {
    ADD_FAILURE() << "interpreter " << name << " is not provisioned: run "
                  << "tools/provision-interpreters (as root) to build the Debian roots and the "
                  << "free-threaded interpreters";
  }
}

}  // namespace
}  // namespace stprof