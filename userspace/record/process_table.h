// The Python processes being profiled: found by scanning /proc (all of them, or the requested
// PIDs), registered with the sampler, dropped when they exit. Keyed by (pid, start time), so a
// reused PID is a new process. A process that exits keeps its samples and symbol cache.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bpf/sampler.h"
#include "discover/python_binary.h"
#include "discover/python_process.h"
#include "symbolize/code_symbolizer.h"
#include "symbolize/process_memory.h"

namespace stprof {

struct TrackedProcess {
  PythonProcess info;
  std::unique_ptr<LiveProcessMemory> memory;
  std::unique_ptr<CodeSymbolizer> symbolizer;
  std::map<int, std::string> thread_names;  // tid -> comm, read when first sampled
  bool exited = false;
};

class ProcessTable {
 public:
  // Empty `pids`: every Python process on the host, including ones started later.
  ProcessTable(Sampler& sampler, std::vector<int> pids);

  // Finds new Python processes and notices exits. Called at start and on every drain. Returns
  // one line per process that cannot be profiled (requested ones, and Python ones in general).
  std::vector<std::string> rescan();

  // The process that owned host `pid` during the run (the latest one if the PID was reused).
  TrackedProcess* find(int pid);

  size_t profiled_count() const { return processes_.size(); }
  size_t alive_count() const;
  // True when PIDs were requested and some could not be profiled (they were warned about).
  bool some_targets_failed() const { return targets_failed_; }
  bool all_python() const { return requested_.empty(); }

 private:
  void consider(int pid, std::vector<std::string>& warnings);
  void mark_exited(TrackedProcess& process);

  Sampler& sampler_;
  std::vector<int> requested_;
  PythonBinaryCache binaries_;
  std::map<int, TrackedProcess> processes_;
  // Processes already judged not profilable, until they exec: pid -> (start time, exe).
  std::map<int, std::pair<uint64_t, std::string>> ignored_;
  bool targets_failed_ = false;
  bool first_scan_ = true;
};

}  // namespace stprof
