// The run summary printed on stderr at the end.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "cli/config.h"
#include "collate/profile.h"
#include "record/recorder.h"

namespace stprof {

// What the summary says of the profile: a recording's whole profile (totals_of), or the sum of
// the agent's intervals.
struct RunTotals {
  uint64_t samples = 0;  // on-CPU samples
  size_t threads = 0;    // the agent: the most in one interval
  double duration_seconds = 0;
  int frequency_hz = 0;
  uint64_t sample_period_ns = 0;
};
RunTotals totals_of(const Profile& profile);

// One line with samples, processes, threads and rate; in wall mode one with how the wall time
// splits (on-CPU: samples x sample period; off-CPU per reason, largest first; shares of the
// sum); one with what was not counted and why; with `verbose`, every sampler counter.
void print_summary(const RunTotals& totals, const RecordSummary& summary, bool verbose,
                   std::ostream& out);

// The same facts as one JSON object on one line, for scripts (--json): samples, processes,
// threads, duration_seconds, frequency_hz, mode ("cpu" or "wall"; in wall mode also on_cpu_ns
// and off_cpu_ns{reason: ns}), cpus, cpu_ticks_sampled, not_counted{reason: n},
// incomplete{kind: n}, counters{name: n} (every sampler counter), outputs[{path, format}],
// targets_failed, targets_exited, exit_code; then the keys of `extra` (the agent's "agent").
void print_summary_json(const RunTotals& totals, const RecordSummary& summary,
                        const std::vector<Output>& outputs, int exit_code, std::ostream& out,
                        const nlohmann::ordered_json& extra = nlohmann::ordered_json::object());

}  // namespace stprof
