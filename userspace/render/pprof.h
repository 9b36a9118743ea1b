// pprof's profile.proto, gzip-compressed (what `go tool pprof` and most profile viewers read).
//   CPU mode: sample types samples/count and cpu/nanoseconds (samples x 1e9 / frequency);
//   period_type cpu/nanoseconds, period 1e9 / frequency;
//   wall mode: sample types wall/nanoseconds (on-CPU plus off-CPU) and cpu/nanoseconds (the
//   on-CPU part: samples x 1e9 / frequency, 0 for an off-CPU sample); period_type
//   wall/nanoseconds, period 1e9 / frequency; default_sample_type wall;
//   duration_nanos;
//   locations: one per Python location, one Line (function + line); functions: name, filename
//   (an off-CPU leaf, "[off-CPU: read]", is a function with an empty filename, line 0);
//   "[truncated]" / "[partial]" are locations of functions so named, at the root end;
//   labels per sample, for the levels the profile shows: "pid" and "tid" (numeric), "comm" and
//   "thread_name" (strings).
#pragma once

#include <string>

#include "collate/profile.h"
#include "util/result.h"

namespace perftools::profiles {
class Profile;
}

namespace stprof {

// The profile message itself (tests decode and compare it).
perftools::profiles::Profile pprof_message(const Profile& profile);

// The gzip-compressed serialized message: the .pb.gz file's content; an error when zlib fails.
Result<std::string> render_pprof(const Profile& profile);

// Gzip (RFC 1952) of `data`, as zlib writes it (no file name, no time stamp); an error
// ("zlib: ...") when zlib fails.
Result<std::string> gzip(const std::string& data);

}  // namespace stprof
