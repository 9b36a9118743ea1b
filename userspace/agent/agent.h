// The agent (`stprof-bpf agent`): cuts the recording into intervals, each interval into one
// profile per service, labels them, renders each once as gzipped pprof and offers it to every
// sink's sender. It runs on the recording's thread between drains and never waits for a sink.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/interval_clock.h"
#include "agent/labels.h"
#include "agent/service.h"
#include "agent/service_split.h"
#include "collate/profile.h"
#include "render/profile_view.h"
#include "sinks/sender.h"
#include "util/result.h"

namespace stprof {

struct AgentOptions {
  int64_t interval_seconds = 15;
  ServiceBy service_by = ServiceBy::kAuto;
  bool per_process = false;  // a profile per process (with a pid label), not per service
  std::string host;          // the host label
  Labels extra_labels;       // --label: over the agent's own
  // Grouping of every profile's stacks: by default no process or thread level, since a
  // pprof's sample labels become series in Pyroscope (see README).
  ViewOptions view{false, false, true, false, false};
};

// The labels of one service's profile: service_name, host, pid (split per process),
// container_id and python_version (when its processes share one), then the extra labels.
Labels labels_of(const ServiceProfile& slice, const AgentOptions& options);

struct AgentStats {
  uint64_t intervals = 0;  // intervals cut
  uint64_t samples = 0;    // on-CPU samples in them
  size_t most_threads = 0; // the most threads one interval had
  uint64_t profiles = 0;   // service profiles offered to the sinks (each to every sink)
  uint64_t render_errors = 0;
};

class Agent {
 public:
  Agent(AgentOptions options, std::vector<Sender*> senders, int64_t start);

  bool due(int64_t now) const { return clock_.due(now); }
  // One interval's profile (Recorder::take_profile), cut at `now`: regular cuts end at the
  // interval's boundary, the last one (`last`) at `now`.
  void cut(Profile profile, int64_t now, bool last);
  // Everything cut so far, merged (kept only when asked for: it grows with the run).
  void keep_total() { keep_total_ = true; }
  const std::optional<Profile>& total() const { return total_; }
  const AgentStats& stats() const { return stats_; }

 private:
  AgentOptions options_;
  std::vector<Sender*> senders_;
  IntervalClock clock_;
  AgentStats stats_;
  bool keep_total_ = false;
  std::optional<Profile> total_;
};

}  // namespace stprof
