// Where profiles wait for a backend that is down, slow or refusing: in memory up to a limit,
// then in a directory up to another (--spool-dir, --spool-size), oldest first. A profile that
// fits in neither is dropped and counted. Profiles left in the directory by an earlier run are
// sent first, so a restart loses nothing spooled. push() never touches the disk (the recording
// thread calls it): a profile bound for the directory is staged in memory (up to the memory
// limit again) until the sender's thread writes it. Not thread-safe: the sender serializes.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sinks/interval_profile.h"
#include "util/result.h"

namespace stprof {

struct SpoolLimits {
  uint64_t memory_bytes = 64ull << 20;  // --spool-memory
  std::string directory;                // --spool-dir; "" keeps profiles in memory only
  uint64_t disk_bytes = 1ull << 30;     // --spool-size
};

class Spool {
 public:
  // Opens the directory (created when missing) and takes the profiles an earlier run left
  // there; an error says why the directory cannot be used. Files that are not whole spooled
  // profiles are left alone.
  static Result<Spool> open(const SpoolLimits& limits);

  // Queues a profile behind the others: in memory while it fits and nothing waits on disk,
  // else staged for the directory; false when it fits in neither (it is dropped and counted;
  // last_error() says why).
  bool push(IntervalProfile profile);

  // A staged profile as its file, for the caller to write outside its lock.
  struct StagedFile {
    uint64_t sequence = 0;
    std::string path;
    std::string content;
  };
  std::optional<StagedFile> next_staged() const;
  bool has_staged() const { return !staged_.empty(); }
  // After the caller tried to write `file`: on disk now, or dropped and counted with `error`.
  void staged_done(const StagedFile& file, const Result<void>& written);
  // Writes every staged profile (single-threaded use: persist, tests).
  void write_staged();
  // A copy of the oldest profile (read from disk when it is there); nullopt when empty.
  std::optional<IntervalProfile> front();
  // Forgets the oldest profile (its file too).
  void pop();
  // Moves the profiles in memory to the directory, to be sent by the next run; those that do
  // not fit are dropped and counted. Returns how many were written.
  size_t persist();

  size_t size() const { return memory_.size() + disk_.size() + staged_.size(); }
  bool empty() const { return size() == 0; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  uint64_t disk_bytes() const { return disk_bytes_; }
  uint64_t dropped() const { return dropped_; }
  const std::string& last_error() const { return last_error_; }

  // What a profile weighs against the limits: its body plus its names.
  static uint64_t weight(const IntervalProfile& profile);

 private:
  explicit Spool(SpoolLimits limits) : limits_(std::move(limits)) {}
  struct OnDisk {
    uint64_t sequence = 0;
    uint64_t bytes = 0;  // the file's size
  };
  std::string path_of(uint64_t sequence) const;
  Result<IntervalProfile> read(const OnDisk& entry) const;
  void drop_with(const std::string& error);

  SpoolLimits limits_;
  std::deque<std::pair<uint64_t, IntervalProfile>> memory_;  // (sequence, profile), oldest first
  std::deque<OnDisk> disk_;                                   // newer than everything in memory
  std::deque<std::pair<uint64_t, IntervalProfile>> staged_;  // newer than everything on disk
  uint64_t memory_bytes_ = 0;
  uint64_t staged_bytes_ = 0;
  uint64_t disk_bytes_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t dropped_ = 0;
  std::string last_error_;
};

}  // namespace stprof
