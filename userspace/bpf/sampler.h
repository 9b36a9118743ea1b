// The loaded BPF side: RAII around the libbpf skeleton, its perf events and tracepoints.
// open -> size maps, set rodata -> load -> attach the exec/fork/exit tracepoints and one
// cpu-clock perf event per online CPU; the destructor detaches and unloads everything.
#pragma once

#include <linux/types.h>

#include <memory>
#include <vector>

#include "drain/sampler_maps.h"
#include "stprof_abi.h"
#include "util/result.h"
#include "util/unique_fd.h"

struct sampler;  // the generated skeleton
struct bpf_link;

namespace stprof {

class Sampler {
 public:
  struct Options {
    int frequency_hz = 99;
    int libbpf_log_level = 0;  // 0: none, 1: warnings and info, 2: also debug (verifier log)
    bool report_every_exec = false;  // exec events for every process, not only known ones
  };

  static Result<std::unique_ptr<Sampler>> start(const Options& options);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Detaches from every CPU: nothing is counted after this returns; the maps stay readable.
  void stop();

  Result<void> add_process(__u32 pid, const stprof_process& process);
  void remove_process(__u32 pid);
  bool is_registered(__u32 pid) const;
  // Children this process forks from now on are registered (if it is) and followed at fork.
  void follow(__u32 pid);
  bool is_followed(__u32 pid) const;
  // Whether the sampler has cached a thread state for this thread (it was sampled).
  bool has_thread_state(__u32 tid) const;

  SamplerMaps maps() const;

 private:
  Sampler() = default;
  Result<void> attach(int frequency_hz);
  __u64* registered_word(__u32 pid);

  sampler* skeleton_ = nullptr;
  std::vector<UniqueFd> perf_events_;
  std::vector<bpf_link*> links_;
};

}  // namespace stprof
