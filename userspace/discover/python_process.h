// Is process PID a CPython interpreter, and where is its runtime?
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cpython/layout.h"
#include "cpython/version.h"
#include "discover/proc_maps.h"
#include "discover/python_binary.h"

namespace stprof {

struct PythonProcess {
  int pid = 0;
  uint64_t start_time = 0;
  std::string comm;
  std::string binary;  // the mapped file that holds _PyRuntime, as the process names it
  PythonVersion version;
  uint64_t runtime_address = 0;  // _PyRuntime in the process
  uint64_t code_type_address = 0;  // PyCode_Type in the process; 0 if not found
  uint64_t none_address = 0;       // _Py_NoneStruct in the process; 0 if not found
  std::vector<Mapping> binary_mappings;  // the /proc/PID/maps lines of `binary`
  CPythonLayout layout;

  // What the sampler needs for this process.
  stprof_process walker() const;
};

struct ProcessInspection {
  enum class Status {
    kPython,       // `process` is set
    kNotPython,    // alive, no CPython runtime mapped (kernel thread, other program)
    kGone,         // no such process
    kUnreadable,   // its memory map or files could not be read
    kUnsupported,  // a CPython the profiler cannot profile (version, missing symbols)
    kLoading,      // libpython is being mapped right now (dynamic loader mid-way): look again
  };
  Status status = Status::kNotPython;
  std::optional<PythonProcess> process;
  std::string message;  // one line naming the process and the reason, for every non-kPython status
  std::string comm;
  uint64_t start_time = 0;
  uint64_t vsize = 0;   // when it was inspected
  std::string exe;      // /proc/PID/exe target: changes when the process execs
  // Its executable needs a libpython: not Python yet means its dynamic loader is not done.
  bool links_libpython = false;
};

ProcessInspection inspect_process(int pid, PythonBinaryCache& binaries,
                                  const std::string& proc_root = "/proc");

}  // namespace stprof
