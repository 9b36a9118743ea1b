// pprof files (load/pprof.h, load/gunzip.h) through the file-format detection (load/saved_file.h):
// gzipped or not, protobuf messages that may be cut, damaged or make no sense.

#include <cstdint>
#include <span>

#include "load/gunzip.h"
#include "load/pprof.h"
#include "load/saved_file.h"
#include "saved_profile_checks.h"

using namespace stprof;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const std::string_view text = fuzz::as_text(bytes);
  Result<Profile> profile = is_gzip(text) ? parse_saved_profile(text) : read_pprof(text);
  if (profile) {
    fuzz::check_profile(*profile);
  } else {
    fuzz::check_error(profile.error());
  }
  return 0;
}
