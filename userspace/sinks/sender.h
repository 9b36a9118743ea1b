// A sink's own thread: profiles are offered without waiting (into a bounded spool) and
// delivered in order; a delivery that fails is retried after a backoff with jitter, while new
// profiles keep queuing behind it. What the spool cannot hold is dropped and counted.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "sinks/backoff.h"
#include "sinks/spool.h"
#include "sinks/sink.h"

namespace stprof {

struct SenderStats {
  uint64_t delivered = 0;
  uint64_t failures = 0;  // deliveries that failed and were tried again
  uint64_t refused = 0;   // refused by the backend (a 4xx): dropped
  uint64_t dropped = 0;   // did not fit in the spool (or its file was unreadable)
  size_t queued = 0;      // waiting now, in memory and on disk
  uint64_t spooled_bytes_on_disk = 0;
};

class Sender {
 public:
  using Log = std::function<void(const std::string&)>;  // thread-safe; one line each
  Sender(std::unique_ptr<Sink> sink, Spool spool, BackoffPolicy backoff, Log log);
  ~Sender();  // stops the thread at once (finish() is the orderly way)

  // Queues a profile (never waits for the backend).
  void offer(IntervalProfile profile);
  // SIGHUP: the sink reopens its files before its next delivery.
  void reopen();
  // Tries to deliver what is queued for at most `grace`, then stops; what is left goes to the
  // spool directory for the next run (or is dropped and counted without one).
  void finish(std::chrono::milliseconds grace);

  SenderStats stats() const;
  std::string name() const { return name_; }

 private:
  void run();
  // Writes the profiles the spool staged for its directory, the lock released meanwhile.
  void write_staged(std::unique_lock<std::mutex>& lock);
  // Waits until `until` (a backoff) or the end's deadline; false when that deadline passed.
  bool wait(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point until);

  std::unique_ptr<Sink> sink_;
  std::string name_;
  BackoffPolicy backoff_;
  Log log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Spool spool_;          // guarded by mutex_
  SenderStats stats_;    // guarded by mutex_
  bool stopping_ = false;
  std::chrono::steady_clock::time_point give_up_at_ = std::chrono::steady_clock::time_point::max();
  bool reopen_ = false;
  std::mt19937_64 random_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace stprof
