// The run summary printed on stderr at the end.
#pragma once

#include <ostream>

#include "collate/profile.h"
#include "record/recorder.h"

namespace stprof {

// One line with samples, processes, threads and rate; one with what was not counted and why;
// with `verbose`, every sampler counter.
void print_summary(const Profile& profile, const RecordSummary& summary, bool verbose,
                   std::ostream& out);

}  // namespace stprof
