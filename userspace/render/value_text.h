// How the text outputs (tree, top, svg, the live view, the run summary) print a profile's
// values (Profile::value): counts of samples in CPU mode, times in wall mode.
#pragma once

#include <cstdint>
#include <string>

#include "collate/profile.h"

namespace stprof {

// Nanoseconds to three significant digits in the largest unit that keeps one before the point:
// "1.25 s", "12.0 s", "340 ms", "2.50 ms", "12.5 µs", "499 ns".
std::string duration_text(uint64_t ns);

// A value alone: "7" (samples) in CPU mode, "70.0 ms" in wall mode.
std::string value_text(ProfileMode mode, uint64_t value);

// A value with what it counts: "7 samples", "1 sample" in CPU mode; "70.0 ms of wall time" in
// wall mode.
std::string amount_text(ProfileMode mode, uint64_t value);

}  // namespace stprof
