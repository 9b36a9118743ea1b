// speedscope JSON (load/speedscope.h): broken JSON, and JSON that is not what speedscope writes.

#include <cstdint>
#include <span>

#include "load/speedscope.h"
#include "saved_profile_checks.h"

using namespace stprof;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  Result<Profile> profile = read_speedscope(fuzz::as_text(bytes));
  if (profile) {
    fuzz::check_profile(*profile);
  } else {
    fuzz::check_error(profile.error());
  }
  return 0;
}
