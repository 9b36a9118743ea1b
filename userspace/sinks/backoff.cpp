#include "sinks/backoff.h"

#include <algorithm>

namespace stprof {

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int failures, double unit_random) {
  int64_t step = std::max<int64_t>(policy.first.count(), 1);
  int64_t cap = std::max<int64_t>(policy.max.count(), 1);
  for (int i = 1; i < failures && step < cap; i++) step *= 2;
  step = std::min(step, cap);
  double jitter = 0.5 + 0.5 * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(std::max<int64_t>(static_cast<int64_t>(step * jitter), 1));
}

}  // namespace stprof
