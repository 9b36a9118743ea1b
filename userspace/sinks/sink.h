// A destination of the agent's profiles. Each runs behind a Sender (its own thread and spool),
// so a slow or failing one never holds up sampling or another sink.
#pragma once

#include <chrono>
#include <string>

#include "sinks/interval_profile.h"

namespace stprof {

struct Delivery {
  enum Outcome {
    kDone,     // delivered
    kRetry,    // not now (down, timed out, 5xx, 429): the same profile again after a backoff
    kRefused,  // never (a 4xx other than 429: the request itself is wrong): dropped, counted
  };
  Outcome outcome = kDone;
  std::string detail;                   // why, for the log: "HTTP 500", "connection refused"
  std::chrono::seconds retry_after{0};  // the backend's own Retry-After, when it gave one
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Called from the sender's thread only.
  virtual Delivery deliver(const IntervalProfile& profile) = 0;
  // The sink's name in logs and --json ("pyroscope", "output-dir").
  virtual std::string name() const = 0;
  // SIGHUP: files the sink holds are opened again (credentials re-read). Sender's thread.
  virtual void reopen() {}
};

}  // namespace stprof
