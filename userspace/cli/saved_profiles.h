// `stprof-bpf convert` (`merge`) and `stprof-bpf diff`: saved profiles read (load/), grouped
// (render/profile_view.h) and rendered (render/format.h). Nothing of the recorder runs: no root,
// no BTF, no BPF.
#pragma once

#include "cli/config.h"
#include "util/result.h"

namespace stprof {

// Reads every input, merges them, writes each output.
Result<void> run_convert(const Config& config);

// Reads BEFORE and AFTER (config.inputs), writes their difference to each output.
Result<void> run_diff(const Config& config);

}  // namespace stprof
