// `stprof-bpf agent` around a ready recorder: its sinks (each a sender thread with its spool),
// the interval cuts between drains, SIGHUP (log file and credentials reopened), the last
// interval flushed at the end, and what the summary says of it all.
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "cli/config.h"
#include "cli/summary.h"
#include "record/recorder.h"
#include "sinks/sender.h"
#include "util/result.h"

namespace stprof {

// Appends stderr to `path` (--log-file), at start and on SIGHUP; an error says why it cannot.
Result<void> redirect_stderr(const std::string& path);

class AgentRun {
 public:
  // Opens the log file and the sinks (spool directory, credentials), before sampling starts so
  // that a bad flag fails at once. `host` is the host label unless --label host= is given.
  static Result<std::unique_ptr<AgentRun>> open(const Config& config, const std::string& host);

  // The recording starts now (Unix seconds): the first interval opens.
  void start(int64_t now);
  // After each drain: reopens files when `reopen` was set (SIGHUP), cuts the interval when its
  // boundary has passed.
  void after_drain(Recorder& recorder, std::atomic<bool>& reopen);
  // Once the recorder stopped: cuts what is left (SIGTERM flushes the current interval) and
  // gives the sinks --flush-timeout to deliver it; what they cannot is spooled or counted.
  void finish(Recorder& recorder);

  // The summary's totals: every interval's samples, over the run's duration.
  RunTotals totals(double duration_seconds, int frequency_hz, uint64_t sample_period_ns) const;
  // The summary's "agent" object: intervals, profiles, and per sink delivered, failures,
  // refused, dropped, queued.
  nlohmann::ordered_json json() const;
  // A line for the end of the run on stderr, per sink.
  std::vector<std::string> report() const;
  // The whole run merged, for -o (kept only when -o is given).
  const std::optional<Profile>& total() const { return agent_->total(); }

 private:
  explicit AgentRun(const Config& config) : config_(config) {}
  static void log(const std::string& line);

  const Config& config_;
  AgentOptions options_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::unique_ptr<Agent> agent_;
};

}  // namespace stprof
