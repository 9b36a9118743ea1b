// What record/ asks of the loaded sampler (bpf/sampler.h is the real one; the unit tests have a
// fake): which CPU time to sample, which processes are registered for it and followed across
// fork, the uprobes counting code frees, and the off-CPU bookkeeping of wall mode.
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stprof_abi.h"
#include "util/result.h"

namespace stprof {

class SamplerControl {
 public:
  virtual ~SamplerControl() = default;

  // Samples every online CPU (replacing any per-thread events).
  virtual Result<void> sample_every_cpu() = 0;
  // Samples the threads of these processes wherever they run, and what they start from now on.
  // Threads already sampled are skipped; returns how many were added (call again until none
  // are). A process that is gone is no error; too many threads or too few descriptors are.
  virtual Result<size_t> sample_threads_of(const std::vector<int>& pids) = 0;
  // Detaches from every CPU and from the scheduler; the counts stay readable. An error: the
  // time of threads still off the CPU could not be counted (wall mode).
  virtual Result<void> stop() = 0;
  // CPU time the perf events covered, known after stop().
  virtual double sampled_cpu_seconds() const = 0;
  virtual int possible_cpus() const = 0;

  virtual Result<void> add_process(__u32 pid, const stprof_process& process) = 0;
  // For pid, registered by the kernel at exec (STPROF_EVENT_REGISTERED): makes its entry
  // `process`, keeping STPROF_PROCESS_SAMPLED if the sampler set it meanwhile.
  virtual Result<void> confirm_process(__u32 pid, const stprof_process& process) = 0;
  // From now on, a process that execs `image` is registered at exec by the kernel with `entry`
  // (addresses relative to the start of its text).
  virtual Result<void> add_python_image(const stprof_image_key& image,
                                        const stprof_process& entry) = 0;
  // Unregisters pid and stops counting its code frees.
  virtual void remove_process(__u32 pid) = 0;
  virtual bool is_registered(__u32 pid) const = 0;
  // The unregistered processes the sampler interrupted since the last call, ascending.
  virtual std::vector<__u32> take_unregistered_that_ran() = 0;
  // Children this process forks from now on are registered (if it is) and followed at fork.
  virtual void follow(__u32 pid) = 0;
  virtual bool is_followed(__u32 pid) const = 0;

  // Counts code frees (STPROF_PROCESS_CODE_FREES) with a uprobe on the instruction at
  // `file_offset` in `path`: _of for process pid only, _in for every process mapping the file.
  virtual Result<void> count_code_frees_of(__u32 pid, const std::string& path,
                                           uint64_t file_offset) = 0;
  virtual Result<void> count_code_frees_in(const std::string& path, uint64_t file_offset) = 0;

  // Wall mode (nothing otherwise): counts the time of the threads off the CPU now, up to now, so
  // that a drain has it.
  virtual Result<void> count_open_off_cpu() = 0;
  // Wall mode: records the stack and reason of each thread of registered process pid that is off
  // the CPU now, so that its time from now on is counted.
  virtual Result<void> seed_off_cpu(__u32 pid) = 0;
};

}  // namespace stprof
