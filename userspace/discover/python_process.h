// Is process PID a CPython interpreter, and where is its runtime?
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "discover/cpython_layout.h"
#include "discover/python_binary.h"
#include "discover/python_version.h"
#include "util/result.h"

namespace stprof {

struct PythonProcess {
  int pid = 0;
  uint64_t start_time = 0;
  std::string comm;
  std::string binary;  // the mapped file that holds _PyRuntime, as the process names it
  PythonVersion version;
  uint64_t runtime_address = 0;  // _PyRuntime in the process
  CPythonLayout layout;

  // What the sampler needs for this process.
  stprof_process walker() const;
};

// nullopt: alive but not Python (kernel thread, other program). Error: gone, unreadable, or a
// CPython the profiler does not support; the message names the process.
Result<std::optional<PythonProcess>> inspect_process(int pid, PythonBinaryCache& binaries,
                                                     const std::string& proc_root = "/proc");

}  // namespace stprof
