#include "sinks/directory_sink.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "util/atomic_file.h"

namespace stprof {
namespace {

namespace fs = std::filesystem;

constexpr size_t kStampLength = 16;  // 20261208T001500Z
constexpr const char* kSuffix = ".pb.gz";

std::string utc_stamp(int64_t unix_seconds) {
  time_t time = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

}  // namespace

std::string profile_file_name(const IntervalProfile& profile) {
  std::string service = profile.service;
  for (char& c : service) {
    bool kept = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-';
    if (!kept) c = '_';
  }
  std::string name = utc_stamp(profile.window.from) + "-" + service;
  if (auto pid = profile.labels.find("pid"); pid != profile.labels.end()) name += "-p" + pid->second;
  return name + kSuffix;
}

std::optional<int64_t> interval_start_of(const std::string& file_name) {
  std::string suffix = kSuffix;
  if (file_name.size() <= kStampLength + 1 + suffix.size() || file_name[kStampLength] != '-' ||
      file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  tm utc{};
  const char* end = strptime(file_name.c_str(), "%Y%m%dT%H%M%SZ", &utc);
  if (end != file_name.c_str() + kStampLength) return std::nullopt;
  return static_cast<int64_t>(timegm(&utc));
}

std::vector<std::string> files_to_remove(std::vector<SavedFile> files, const Retention& retention,
                                         int64_t now) {
  std::sort(files.begin(), files.end(), [](const SavedFile& a, const SavedFile& b) {
    return a.from != b.from ? a.from > b.from : a.name > b.name;  // newest first
  });
  std::vector<std::string> removed;
  uint64_t kept_bytes = 0;
  for (size_t i = 0; i < files.size(); i++) {
    bool too_old = retention.max_age_seconds > 0 && files[i].from < now - retention.max_age_seconds;
    bool too_much = retention.max_bytes > 0 && i > 0 && kept_bytes + files[i].bytes > retention.max_bytes;
    if (too_old || too_much) {
      removed.push_back(files[i].name);
    } else {
      kept_bytes += files[i].bytes;
    }
  }
  return removed;
}

Delivery DirectorySink::deliver(const IntervalProfile& profile) {
  std::error_code error;
  fs::create_directories(directory_, error);  // again: it may have been removed meanwhile
  std::string path = (fs::path(directory_) / profile_file_name(profile)).string();
  if (auto written = write_file_atomically(path, profile.pprof_gz); !written) {
    return {Delivery::kRetry, written.error().message};
  }
  apply_retention();
  return {};
}

void DirectorySink::apply_retention() {
  if (retention_.max_age_seconds == 0 && retention_.max_bytes == 0) return;
  std::vector<SavedFile> files;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory_, error)) {
    std::string name = entry.path().filename().string();
    std::optional<int64_t> from = interval_start_of(name);
    std::error_code size_error;
    uint64_t bytes = entry.file_size(size_error);
    if (from && !size_error) files.push_back({name, *from, bytes});
  }
  for (const std::string& name : files_to_remove(std::move(files), retention_, ::time(nullptr))) {
    fs::remove(fs::path(directory_) / name, error);
  }
}

}  // namespace stprof
