// --output-dir: one gzipped pprof file per service and interval, named so that `ls` lists them
// in time order: START-SERVICE[-pPID].pb.gz, START being the interval's start in UTC
// (20261208T001500Z). Retention (--retain, --retain-size) removes the oldest such files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sinks/sink.h"

namespace stprof {

struct Retention {
  int64_t max_age_seconds = 0;  // 0: no limit; files whose interval began longer ago go
  uint64_t max_bytes = 0;       // 0: no limit; the oldest files go until the rest fit
};

// A profile's file name (see above); the service's characters other than letters, digits, '.',
// '_', '@' and '-' become '_'.
std::string profile_file_name(const IntervalProfile& profile);

struct SavedFile {
  std::string name;
  int64_t from = 0;  // the interval's start, from its name
  uint64_t bytes = 0;
};
// The start of the interval a file name written by this sink holds; nullopt for other names.
std::optional<int64_t> interval_start_of(const std::string& file_name);
// Which of `files` retention removes at `now`: older than max_age, then the oldest until the
// rest fit in max_bytes (the newest is always kept).
std::vector<std::string> files_to_remove(std::vector<SavedFile> files, const Retention& retention,
                                         int64_t now);

class DirectorySink : public Sink {
 public:
  DirectorySink(std::string directory, Retention retention)
      : directory_(std::move(directory)), retention_(retention) {}
  Delivery deliver(const IntervalProfile& profile) override;
  std::string name() const override { return "output-dir"; }

 private:
  void apply_retention();
  std::string directory_;
  Retention retention_;
};

}  // namespace stprof
