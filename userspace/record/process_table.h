// The Python processes being profiled. Found by a /proc scan at start, then kept current by the
// kernel's exec/fork/exit events (and a slow rescan as a safety net). A process image is one
// TrackedProcess: an exec or a reused PID makes a new one; one that ends keeps its samples and
// symbol cache.
#pragma once

#include <linux/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "discover/process_facts.h"
#include "discover/python_process.h"
#include "record/process_source.h"
#include "record/sampler_control.h"
#include "record/target_filter.h"
#include "stprof_abi.h"
#include "symbolize/code_symbolizer.h"
#include "symbolize/process_memory.h"

namespace stprof {

struct TrackedProcess {
  uint64_t serial = 0;  // unique per process image for the whole run
  PythonProcess info;
  std::string exe;  // /proc/PID/exe when it was found: another one means it exec'd since
  ProcessFacts facts;
  std::unique_ptr<ProcessMemory> memory;          // null once released (see ProcessTable::release)
  std::unique_ptr<CodeSymbolizer> symbolizer;     // null once released
  std::map<int, std::string> thread_names;  // tid -> comm, read when first sampled
  bool exited = false;
};

class ProcessTable {
 public:
  using Clock = std::chrono::steady_clock;
  using Warnings = std::vector<std::string>;  // one line per process that cannot be profiled

  // code_free_uprobe: whether 3.8-3.12 processes get a uprobe counting their code frees.
  // gil_only: the run keeps only samples of threads holding the GIL (--gil), so each
  // free-threaded process (whose samples are all kept while its GIL is disabled) gets a warning
  // line saying so.
  // The sampler was started with exec_registration(filter).
  ProcessTable(SamplerControl& sampler, ProcessSource& system, TargetFilter filter,
               bool code_free_uprobe, bool gil_only = false);

  // Which processes the kernel may register at exec for this filter: those it selects without
  // looking further (every Python process, or every one in the --pid-tree alone).
  static stprof_exec_registration exec_registration(const TargetFilter& filter);

  // The first scan of /proc: registers the targets and follows --pid-tree roots.
  Warnings start();
  // A lifecycle event from the kernel.
  Warnings handle(const stprof_event& event);
  // Inspections of freshly exec'd processes whose time has come (see kExecRetryDelays).
  Warnings retry_pending();
  std::optional<Clock::time_point> next_retry() const;
  // Safety net: notices processes the events cannot announce (a program that dlopens libpython
  // late: among the unregistered processes that ran since the last rescan) and, when
  // `events_were_lost`, the exits and execs whose events were dropped (all of /proc). Reads
  // /proc/PID/stat of untracked processes only: with 500 tracked ones, re-reading theirs was
  // two thirds of the profiler's steady CPU.
  Warnings rescan(bool events_were_lost);

  // The process that owns host `pid` now (or last, if it ended).
  TrackedProcess* find(int pid);

  // A process image that ended (exit or exec): all of its counts are in the maps by then.
  struct Retired {
    int pid = 0;
    uint64_t serial = 0;
  };
  // The images that ended since the last call: once their counts are drained, release() each.
  std::vector<Retired> take_retired();
  // Closes an ended image's memory and drops its symbol cache; it keeps its name and threads
  // for the profile.
  void release(const Retired& retired);

  // Drops the images that ended and were released: a profile handed over holds their names
  // already, and no count can name them any more. Keeps the table as large as the processes
  // alive (and not yet drained) over a run of weeks, not as every process ever seen.
  void forget_released();

  size_t profiled_count() const { return processes_.size() + gone_count_; }
  size_t alive_count() const;
  // Code objects the symbolizers of the processes still alive remember.
  size_t cached_code_objects() const;
  bool some_targets_failed() const { return targets_failed_; }
  // Whether --comm/--exe/--container/--cgroup selected a process so far.
  bool selectors_matched() const { return selected_any_; }
  bool watches_new_processes() const { return filter_.watches_new_processes(); }
  // Milliseconds from exec to registration, for processes found through an exec event and
  // registered by userspace (not those the kernel registered at exec); the first 100000.
  const std::vector<double>& exec_to_registration_ms() const { return exec_latencies_ms_; }

 private:
  enum class Outcome { kRegistered, kRejected, kTryLater };
  // How a process comes to be considered.
  struct Arrival {
    uint64_t exec_ktime_ns = 0;       // its exec, when an exec event announced it
    bool registered_at_exec = false;  // the kernel registered it then (STPROF_EVENT_REGISTERED)
  };
  Outcome consider(int pid, bool requested, Warnings& warnings, Arrival arrival);
  bool in_tree(int pid) const;
  // Unregisters the image (if the kernel has not) and retires it.
  void end(TrackedProcess& process);
  void retire(TrackedProcess& process);
  // Lets the kernel register the next processes that exec python's executable, if it holds the
  // runtime itself (a static interpreter: a shared libpython is mapped after the exec).
  void remember_image(const PythonProcess& python, stprof_process walker);
  void adopt_fork(int child, int parent);
  // What the sampler is given for `python`: with STPROF_PROCESS_CODE_FREES when its interpreter
  // keeps no code epoch (3.8-3.12), code_free_uprobe is set and a uprobe now counts its code
  // frees: one for this process when the run is confined to named processes (the rest of the
  // host is left alone), else one for every process that maps its interpreter's file (one
  // uprobe per file, however many processes: a uprobe's registration visits every process that
  // maps the file).
  stprof_process walker_for(const PythonProcess& python, const ProcessMemory& memory);
  void replace(int pid, TrackedProcess process);

  struct Pending {
    size_t attempt = 0;
    Clock::time_point due;
    Arrival arrival;
  };

  SamplerControl& sampler_;
  ProcessSource& system_;
  TargetFilter filter_;
  bool code_free_uprobe_;
  bool gil_only_;
  std::set<std::tuple<uint64_t, uint64_t, uint64_t>> remembered_images_;  // stprof_image_key
  std::map<int, TrackedProcess> processes_;
  // Processes judged not profilable, as they were then: they are looked at again when they exec
  // or map more memory (a program may dlopen libpython at any time).
  struct Ignored {
    uint64_t start_time = 0;
    uint64_t vsize = 0;
    std::string exe;
  };
  std::map<int, Ignored> ignored_;
  std::map<int, Pending> pending_;
  std::vector<double> exec_latencies_ms_;
  std::vector<Retired> retired_;
  uint64_t next_serial_ = 1;
  size_t gone_count_ = 0;  // images replaced by an exec or a reused PID, or forgotten
  bool targets_failed_ = false;
  bool selected_any_ = false;
};

}  // namespace stprof
