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
#include "record/sampler_control.h"
#include "stprof_abi.h"
#include "util/result.h"
#include "util/unique_fd.h"

struct sampler;  // the generated skeleton
struct bpf_link;
struct bpf_program;

namespace stprof {

class Sampler final : public SamplerControl {
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
    bool kernel_stacks = false;  // --kernel: every stack starts with its kernel frames
    bool thread_dump = false;  // load the dump iterator (dump_threads)
  };

  static Result<std::unique_ptr<Sampler>> start(const Options& options);
  ~Sampler() override;
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // SamplerControl, as the loaded BPF programs do it. sample_every_cpu: every task on the host
  // is interrupted frequency_hz times a second. sample_threads_of: one perf event per thread, at
  // most kMaxSampledThreads. stop: nothing is counted after it returns but, in wall mode, the
  // time of every thread still off the CPU up to now (stprof_flush_off_cpu, as
  // count_open_off_cpu does). confirm_process: no write when the entries agree already, as they
  // do unless the uprobe counting code frees changed. count_code_frees_of: each costs the kernel
  // a pass over every process that maps the file (and a wait for RCU), so it suits a few named
  // processes; _in: once per file. take_unregistered_that_ran: a few may be missed; they are
  // marked again at their next sample.
  Result<void> sample_every_cpu() override;
  Result<size_t> sample_threads_of(const std::vector<int>& pids) override;
  static constexpr size_t kMaxSampledThreads = 1024;
  Result<void> stop() override;
  double sampled_cpu_seconds() const override;
  int possible_cpus() const override;
  Result<void> add_process(__u32 pid, const stprof_process& process) override;
  Result<void> confirm_process(__u32 pid, const stprof_process& process) override;
  Result<void> add_python_image(const stprof_image_key& image, const stprof_process& entry) override;
  void remove_process(__u32 pid) override;
  bool is_registered(__u32 pid) const override;
  std::vector<__u32> take_unregistered_that_ran() override;
  void follow(__u32 pid) override;
  bool is_followed(__u32 pid) const override;
  Result<void> count_code_frees_of(__u32 pid, const std::string& path, uint64_t file_offset) override;
  Result<void> count_code_frees_in(const std::string& path, uint64_t file_offset) override;
  Result<void> count_open_off_cpu() override;
  Result<void> seed_off_cpu(__u32 pid) override;

  // `stprof-bpf dump`: every thread of registered process pid, with its Python stack interned
  // in the stacks map, as it is now (Options::thread_dump).
  Result<std::vector<stprof_thread_dump>> dump_threads(__u32 pid);

  // The maps drain/ reads (MapFeed).
  SamplerMaps maps() const;

 private:
  Sampler() = default;
  // One perf event (see open_cpu_clock) with the sampler attached: 0 or the errno.
  int attach(int tid, int cpu);
  Error attach_error(int tid, int cpu, int error) const;
  void detach();  // every perf event and its link
  // Runs a task iterator program once (over the tasks of pid, or every task when pid is 0).
  // What it wrote to its file.
  Result<std::string> run_task_iterator(bpf_program* program, __u32 pid, const std::string& what);
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
