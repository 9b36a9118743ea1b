// The loaded BPF side: RAII around the libbpf skeleton, its perf events and tracepoints.
// start: open -> size maps, set rodata -> load -> attach the exec/fork/exit tracepoints; then
// the sampler is attached to cpu-clock perf events, either one per online CPU or one per thread
// of the targets. The destructor detaches and unloads everything.
#pragma once

#include <linux/types.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "drain/sampler_maps.h"
#include "stprof_abi.h"
#include "util/result.h"
#include "util/unique_fd.h"

struct sampler;  // the generated skeleton
struct bpf_link;
struct bpf_program;

namespace stprof {

class Sampler {
 public:
  struct Options {
    int frequency_hz = 99;
    int libbpf_log_level = 0;  // 0: none, 1: warnings and info, 2: also debug (verifier log)
    bool report_every_exec = false;  // exec events for every process, not only known ones
    // Which processes the kernel registers when they exec an executable of python_images.
    stprof_exec_registration register_at_exec = STPROF_REGISTER_AT_EXEC_NONE;
    // How often userspace empties the inactive counts map: it sizes the counts maps.
    std::chrono::milliseconds drain_interval{1000};
    // --mode wall: also record every switch-out of a registered thread and count the time until
    // its switch-in (STPROF_KIND_* other than CPU).
    bool wall = false;
    bool gil_only = false;  // --gil: record a stack only while its thread holds the GIL
  };

  static Result<std::unique_ptr<Sampler>> start(const Options& options);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Samples every online CPU (replacing any per-thread events): every task on the host is
  // interrupted frequency_hz times a second.
  Result<void> sample_every_cpu();
  // Samples the threads of these processes wherever they run, and every thread and process they
  // start from now on; nothing else on the host is interrupted. Threads already sampled are
  // skipped; returns how many were added (the processes may start threads meanwhile: call again
  // until none are). A process that is gone is no error; more than kMaxSampledThreads threads,
  // or no file descriptor left for one more event, is.
  Result<size_t> sample_threads_of(const std::vector<int>& pids);
  static constexpr size_t kMaxSampledThreads = 1024;

  // Detaches from every CPU and from the scheduler: nothing is counted after this returns but, in
  // wall mode, the time of every thread still off the CPU up to now (an error: that time could
  // not be counted). The maps stay readable.
  Result<void> stop();
  // CPU time the perf events covered, known after stop(): the samples requested are
  // frequency_hz times this.
  double sampled_cpu_seconds() const;

  Result<void> add_process(__u32 pid, const stprof_process& process);
  // For pid, registered by the kernel at exec (STPROF_EVENT_REGISTERED): makes its entry
  // `process`, keeping STPROF_PROCESS_SAMPLED if the sampler set it meanwhile; no write when
  // they agree already, as they do unless the uprobe counting code frees changed.
  Result<void> confirm_process(__u32 pid, const stprof_process& process);
  // From now on, a process that execs `image` is registered at exec by the kernel (as
  // Options::register_at_exec allows) with `entry` (see python_images).
  Result<void> add_python_image(const stprof_image_key& image, const stprof_process& entry);
  // Wall mode: counts the time of the threads off the CPU now, up to now, in the counts map
  // (stprof_flush_off_cpu), so that a drain has it. Nothing in CPU mode or after stop().
  Result<void> count_open_off_cpu();
  // Wall mode: records the stack and reason of each thread of registered process pid that is off
  // the CPU now (its switch-out came before registration), so that its time from now on is
  // counted. Nothing in CPU mode.
  Result<void> seed_off_cpu(__u32 pid);
  // Unregisters pid and stops counting its code frees.
  void remove_process(__u32 pid);
  // Counts the code objects processes free (STPROF_PROCESS_CODE_FREES) with a uprobe on the
  // instruction at `file_offset` in `path`. _of: for process pid only, replacing one it had;
  // each costs the kernel a pass over every process that maps the file (and a wait for RCU), so
  // it suits a few named processes. _in: for every process that maps the file, now or later,
  // once per file.
  Result<void> count_code_frees_of(__u32 pid, const std::string& path, uint64_t file_offset);
  Result<void> count_code_frees_in(const std::string& path, uint64_t file_offset);
  bool is_registered(__u32 pid) const;
  // The unregistered processes the sampler interrupted since the last call (a few may be
  // missed; they are marked again at their next sample), ascending.
  std::vector<__u32> take_unregistered_that_ran();
  // Children this process forks from now on are registered (if it is) and followed at fork.
  void follow(__u32 pid);
  bool is_followed(__u32 pid) const;

  SamplerMaps maps() const;

 private:
  Sampler() = default;
  // One perf event (see open_cpu_clock) with the sampler attached: 0 or the errno.
  int attach(int tid, int cpu);
  Error attach_error(int tid, int cpu, int error) const;
  void detach();  // every perf event and its link
  // Runs a task iterator program once (over the tasks of pid, or every task when pid is 0).
  Result<void> run_task_iterator(bpf_program* program, __u32 pid, const std::string& what);
  Result<void> flush_off_cpu();  // stprof_flush_off_cpu, up to now
  // pid's group in the registry the sampler tests first (stprof_pid_group), shared with the
  // kernel through the mmapped .bss; the lifecycle programs change the same words concurrently.
  stprof_pid_group& pid_group(__u32 pid) const;

  sampler* skeleton_ = nullptr;
  std::vector<UniqueFd> perf_events_;
  std::vector<bpf_link*> links_;
  std::map<__u32, bpf_link*> code_free_links_;  // pid -> its uprobe (count_code_frees_of)
  // (st_dev, st_ino, file offset) -> the uprobe on every process (count_code_frees_in)
  std::map<std::tuple<dev_t, ino_t, uint64_t>, bpf_link*> file_code_free_links_;
  std::set<int> sampled_threads_;
  int frequency_hz_ = 0;
  bool wall_ = false;
  uint64_t sampled_cpu_ns_ = 0;
};

}  // namespace stprof
