// Folded stacks (load/folded.h): any text, ours or another tool's.

#include <cstdint>
#include <span>

#include "load/folded.h"
#include "saved_profile_checks.h"

using namespace stprof;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  Result<Profile> profile = read_folded(fuzz::as_text(bytes));
  if (profile) {
    fuzz::check_profile(*profile);
  } else {
    fuzz::check_error(profile.error());
  }
  return 0;
}
