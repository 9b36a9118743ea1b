// How long a sender waits before trying a backend again: exponential backoff with jitter, so
// that agents of many hosts whose backend came back do not all retry in the same second.
#pragma once

#include <chrono>

namespace stprof {

struct BackoffPolicy {
  std::chrono::milliseconds first{500};  // the wait after the first failure, before jitter
  std::chrono::milliseconds max{30000};  // no wait longer (--retry-max)
};

// The wait after `failures` failures in a row (1 for the first): first x 2^(failures-1), at
// most max, then scaled by a factor in [0.5, 1) drawn from `unit_random` (in [0, 1)): "equal
// jitter", never less than half the exponential step. A backend's own Retry-After is honoured
// by the caller on top.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int failures, double unit_random);

}  // namespace stprof
