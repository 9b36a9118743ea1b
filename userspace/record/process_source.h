// What record/ asks of the system about processes (record/live_processes.h reads /proc; the unit
// tests have a fake): which exist, what they are, and their memory.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "discover/exec_image.h"
#include "discover/proc_stat.h"
#include "discover/process_facts.h"
#include "discover/python_process.h"
#include "symbolize/code_free_site.h"
#include "symbolize/process_memory.h"
#include "util/result.h"

namespace stprof {

class ProcessSource {
 public:
  virtual ~ProcessSource() = default;

  virtual int self() const = 0;  // the profiler's own PID
  virtual std::vector<int> pids() = 0;
  // The processes now alive among `roots` and their descendants.
  virtual std::vector<int> in_trees(const std::vector<int>& roots) = 0;
  virtual std::optional<ProcStat> stat(int pid) = 0;
  // Its executable's path ("" when unreadable): another one means it exec'd since.
  virtual std::string exe(int pid) = 0;
  virtual ProcessFacts facts(int pid) = 0;
  // The thread's name, or "" when the thread is gone.
  virtual std::string thread_name(int pid, int tid) = 0;
  // Is it a CPython interpreter the profiler supports, and where is its runtime?
  virtual ProcessInspection inspect(int pid) = 0;
  virtual Result<std::unique_ptr<ProcessMemory>> open_memory(int pid) = 0;
  // Its executable's identity and load address (see python_images); nullopt when unreadable.
  virtual std::optional<ExecImage> exec_image(int pid) = 0;
  // Where a uprobe sees `python` (3.8-3.12) free a code object.
  virtual Result<UprobeSite> code_free_site(const PythonProcess& python,
                                            const ProcessMemory& memory) = 0;
};

}  // namespace stprof
