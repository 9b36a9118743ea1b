// Invariants of the readers of saved profiles (load/), shared by their fuzz targets: an error
// is one line that names a position; a profile read is whole (every index in range) and every
// renderer can write it; its folded output reads back to the same total.
#pragma once

#include <sstream>
#include <string>

#include "fuzz_input.h"
#include "load/folded.h"
#include "render/format.h"
#include "render/profile_view.h"

namespace stprof::fuzz {

inline void check_error(const Error& error) {
  FUZZ_CHECK(!error.message.empty());
  FUZZ_CHECK(error.message.find('\n') == std::string::npos);
}

inline void check_profile(const Profile& profile) {
  FUZZ_CHECK(!profile.strings.empty() && profile.strings[0].empty());
  for (const Function& function : profile.functions) {
    FUZZ_CHECK(function.name < profile.strings.size() && function.file < profile.strings.size());
  }
  for (const Location& location : profile.locations) {
    FUZZ_CHECK(location.function < profile.functions.size());
  }
  for (const ThreadInfo& thread : profile.threads) FUZZ_CHECK(thread.process < profile.processes.size());
  for (const Sample& sample : profile.samples) {
    FUZZ_CHECK(sample.thread < profile.threads.size());
    for (uint32_t location : sample.locations) FUZZ_CHECK(location < profile.locations.size());
  }
  Profile view = make_view(profile, {});
  for (const std::string& name : format_names()) {
    Result<std::string> rendered = render(view, *parse_format(name), {});
    FUZZ_CHECK(rendered.ok());
  }
  // Folded output (CPU mode: counts) reads back to the same total.
  if (profile.mode == ProfileMode::kCpu) {
    Result<std::string> folded = render(view, Format::kFolded, {});
    Result<Profile> again = read_folded(*folded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->total_samples() == profile.total_samples());
  }
}

}  // namespace stprof::fuzz
