// Which CPU time the sampler's perf events cover: the targets' threads or every CPU.
#pragma once

#include <functional>
#include <string>

#include "collate/profile.h"
#include "record/process_source.h"
#include "record/sampler_control.h"
#include "record/target_filter.h"
#include "util/result.h"

namespace stprof {

// With -p and --pid-tree alone, in CPU mode, only the targets' threads (and what they start) are
// interrupted. Otherwise, or when following their threads fails (too many of them, too few file
// descriptors: `warn` says so), every CPU is; the kernel drops other tasks' samples either way.
// A perf event that follows a thread is stopped and started at each of its context switches: on
// a program switching 196,000 times a second that alone made it 2.8 times slower (the wall
// benchmark), and wall mode is for programs that wait, that is, switch.
Result<void> choose_sampling_scope(SamplerControl& sampler, ProcessSource& system,
                                   const TargetFilter& filter, ProfileMode mode,
                                   const std::function<void(const std::string&)>& warn);

}  // namespace stprof
