#include "sinks/sender.h"

#include <algorithm>

#include "util/atomic_file.h"

namespace stprof {

Sender::Sender(std::unique_ptr<Sink> sink, Spool spool, BackoffPolicy backoff, Log log)
    : sink_(std::move(sink)),
      name_(sink_->name()),
      backoff_(backoff),
      log_(std::move(log)),
      spool_(std::move(spool)) {
  thread_ = std::thread([this] { run(); });
}

Sender::~Sender() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::time_point::min();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sender::offer(IntervalProfile profile) {
  std::string service = profile.service;
  std::unique_lock<std::mutex> lock(mutex_);
  if (!spool_.push(std::move(profile))) {
    std::string line = name_ + ": the profile of " + service + " was dropped: " + spool_.last_error() +
                       " (" + std::to_string(spool_.dropped()) + " dropped so far)";
    lock.unlock();
    log_(line);
    return;
  }
  lock.unlock();
  wake_.notify_all();
}

void Sender::reopen() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reopen_ = true;
  }
  wake_.notify_all();
}

void Sender::finish(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::now() + grace;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SenderStats Sender::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  SenderStats stats = stats_;
  stats.dropped = spool_.dropped();
  stats.queued = spool_.size();
  stats.spooled_bytes_on_disk = spool_.disk_bytes();
  return stats;
}

void Sender::write_staged(std::unique_lock<std::mutex>& lock) {
  while (std::optional<Spool::StagedFile> file = spool_.next_staged()) {
    lock.unlock();
    Result<void> written = write_file_atomically(file->path, file->content);
    lock.lock();
    spool_.staged_done(*file, written);
  }
}

bool Sender::wait(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point until) {
  // New profiles do not cut a backoff short (they wait behind the one due), but those bound for
  // the spool directory are written meanwhile; the end, or a nearer deadline for it, does.
  while (true) {
    auto deadline = std::min(until, give_up_at_);
    wake_.wait_until(lock, deadline, [&] {
      return std::chrono::steady_clock::now() >= deadline || spool_.has_staged() ||
             std::min(until, give_up_at_) != deadline;
    });
    write_staged(lock);
    auto now = std::chrono::steady_clock::now();
    if (stopping_ && now >= give_up_at_) return false;
    if (now >= until) return true;
  }
}

void Sender::run() {
  int failures = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (stopping_ && (spool_.empty() || std::chrono::steady_clock::now() >= give_up_at_)) break;
    if (spool_.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !spool_.empty(); });
      continue;
    }
    write_staged(lock);
    if (reopen_) {
      reopen_ = false;
      lock.unlock();
      sink_->reopen();
      lock.lock();
    }
    std::optional<IntervalProfile> next = spool_.front();
    if (!next) continue;
    lock.unlock();
    Delivery delivery = sink_->deliver(*next);
    lock.lock();
    if (delivery.outcome != Delivery::kRetry) {
      spool_.pop();
      if (delivery.outcome == Delivery::kDone) {
        stats_.delivered++;
        if (failures > 0) log_(name_ + ": delivering again after " + std::to_string(failures) + " failure(s)");
      } else {
        stats_.refused++;
        log_(name_ + ": the profile of " + next->service + " was refused (" + delivery.detail +
             ") and dropped (" + std::to_string(stats_.refused) + " refused so far)");
      }
      failures = 0;
      continue;
    }
    failures++;
    stats_.failures++;
    if (failures == 1) {
      log_(name_ + ": " + delivery.detail + "; retrying with backoff while profiles wait in the spool (" +
           std::to_string(spool_.size()) + " queued)");
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::chrono::milliseconds delay = std::max<std::chrono::milliseconds>(
        backoff_delay(backoff_, failures, unit(random_)),
        std::min<std::chrono::milliseconds>(delivery.retry_after, backoff_.max));
    if (!wait(lock, std::chrono::steady_clock::now() + delay)) break;
  }
  size_t left = spool_.size();
  if (left == 0) return;
  spool_.persist();
  size_t kept = spool_.size();  // those written now and those already there
  std::string line = name_ + ": " + std::to_string(left) + " profile(s) not delivered at the end: " +
                     std::to_string(kept) + " kept in the spool directory for the next run";
  lock.unlock();
  log_(line);
}

}  // namespace stprof
