// The run summary printed on stderr at the end.
#pragma once

#include <ostream>
#include <vector>

#include "cli/config.h"
#include "collate/profile.h"
#include "record/recorder.h"

namespace stprof {

// One line with samples, processes, threads and rate; in wall mode one with how the wall time
// splits (on-CPU: samples x sample period; off-CPU per reason, largest first; shares of the
// sum); one with what was not counted and why; with `verbose`, every sampler counter.
void print_summary(const Profile& profile, const RecordSummary& summary, bool verbose,
                   std::ostream& out);

// The same facts as one JSON object on one line, for scripts (--json): samples, processes,
// threads, duration_seconds, frequency_hz, mode ("cpu" or "wall"; in wall mode also on_cpu_ns
// and off_cpu_ns{reason: ns}), cpus, cpu_ticks_sampled, not_counted{reason: n},
// incomplete{kind: n}, counters{name: n} (every sampler counter), outputs[{path, format}],
// targets_failed, targets_exited, exit_code.
void print_summary_json(const Profile& profile, const RecordSummary& summary,
                        const std::vector<Output>& outputs, int exit_code, std::ostream& out);

}  // namespace stprof
