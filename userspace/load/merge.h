// Several saved profiles as one (`stprof-bpf merge`): the same process (pid, namespace pid,
// comm, container) and thread (tid, name) in two files are one, identical stacks add up.
#pragma once

#include <string>
#include <vector>

#include "collate/profile.h"
#include "util/result.h"

namespace stprof {

struct NamedProfile {
  std::string name;  // the file it came from, for errors
  Profile profile;
};

// Profiles must measure the same thing: all CPU mode or all wall mode, and the same rate when
// their files say one (a folded or speedscope file does not: frequency 0 matches any). The
// merged profile has that rate and the sum of the durations. An error names the two files that
// differ.
Result<Profile> merge_profiles(const std::vector<NamedProfile>& profiles);

}  // namespace stprof
