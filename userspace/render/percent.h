// Shares of a profile's total value (samples, or wall time in wall mode), as every text
// renderer prints them.
#pragma once

#include <cstdint>

namespace stprof {

inline double percent(uint64_t part, uint64_t all) {
  return all == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(all);
}

}  // namespace stprof
