#include "sinks/spool.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/files.h"

namespace stprof {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefix = "profile-";
constexpr const char* kSuffix = ".spool";
constexpr size_t kDigits = 20;

// The sequence number of a spooled profile's file name; nullopt for any other name.
std::optional<uint64_t> sequence_of(const std::string& name) {
  std::string prefix = kPrefix, suffix = kSuffix;
  if (name.size() != prefix.size() + kDigits + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  std::string digits = name.substr(prefix.size(), kDigits);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(digits);
}

// A spooled file: one line of JSON (service, labels, window, mode), then the pprof body.
std::string encode(const IntervalProfile& profile) {
  nlohmann::json header = {{"service", profile.service},
                           {"labels", profile.labels},
                           {"from", profile.window.from},
                           {"until", profile.window.until},
                           {"mode", profile.mode == ProfileMode::kWall ? "wall" : "cpu"}};
  return header.dump() + "\n" + profile.pprof_gz;
}

Result<IntervalProfile> decode(const std::string& content) {
  size_t newline = content.find('\n');
  nlohmann::json header = nlohmann::json::parse(content.substr(0, newline), nullptr, false);
  if (newline == std::string::npos || header.is_discarded() || !header.is_object()) {
    return make_error("not a spooled profile");
  }
  IntervalProfile profile;
  try {
    profile.service = header.at("service").get<std::string>();
    profile.labels = header.at("labels").get<Labels>();
    profile.window = {header.at("from").get<int64_t>(), header.at("until").get<int64_t>()};
    profile.mode = header.at("mode").get<std::string>() == "wall" ? ProfileMode::kWall : ProfileMode::kCpu;
  } catch (const nlohmann::json::exception&) {
    return make_error("its header lacks a field");
  }
  profile.pprof_gz = content.substr(newline + 1);
  return profile;
}

}  // namespace

uint64_t Spool::weight(const IntervalProfile& profile) {
  uint64_t bytes = profile.pprof_gz.size() + profile.service.size() + 64;
  for (const auto& [key, value] : profile.labels) bytes += key.size() + value.size() + 2;
  return bytes;
}

Result<Spool> Spool::open(const SpoolLimits& limits) {
  Spool spool(limits);
  if (limits.directory.empty()) return spool;
  std::error_code error;
  fs::create_directories(limits.directory, error);
  if (error) {
    return make_error("--spool-dir " + limits.directory + ": cannot create it (" + error.message() +
                      "); choose a directory the agent may write");
  }
  if (auto writable = check_writable((fs::path(limits.directory) / "probe").string()); !writable) {
    return make_error("--spool-dir " + limits.directory + ": " + writable.error().message);
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(limits.directory, error)) {
    std::optional<uint64_t> sequence = sequence_of(entry.path().filename().string());
    std::error_code size_error;
    uint64_t bytes = entry.file_size(size_error);
    if (!sequence || size_error) continue;
    spool.disk_.push_back({*sequence, bytes});
    spool.disk_bytes_ += bytes;
    spool.next_sequence_ = std::max(spool.next_sequence_, *sequence + 1);
  }
  std::sort(spool.disk_.begin(), spool.disk_.end(),
            [](const OnDisk& a, const OnDisk& b) { return a.sequence < b.sequence; });
  return spool;
}

std::string Spool::path_of(uint64_t sequence) const {
  char name[64];
  std::snprintf(name, sizeof(name), "%s%020llu%s", kPrefix, static_cast<unsigned long long>(sequence),
                kSuffix);
  return (fs::path(limits_.directory) / name).string();
}

void Spool::drop_with(const std::string& error) {
  dropped_++;
  last_error_ = error;
}

bool Spool::push(IntervalProfile profile) {
  uint64_t sequence = next_sequence_++;
  uint64_t bytes = weight(profile);
  if (disk_.empty() && staged_.empty() && memory_bytes_ + bytes <= limits_.memory_bytes) {
    memory_bytes_ += bytes;
    memory_.emplace_back(sequence, std::move(profile));
    return true;
  }
  if (limits_.directory.empty()) {
    drop_with("the spool is full (--spool-memory; --spool-dir adds room on disk)");
    return false;
  }
  if (staged_bytes_ + bytes > limits_.memory_bytes ||
      disk_bytes_ + staged_bytes_ + bytes > limits_.disk_bytes) {
    drop_with("the spool is full (--spool-memory and --spool-size)");
    return false;
  }
  staged_bytes_ += bytes;
  staged_.emplace_back(sequence, std::move(profile));
  return true;
}

std::optional<Spool::StagedFile> Spool::next_staged() const {
  if (staged_.empty()) return std::nullopt;
  const auto& [sequence, profile] = staged_.front();
  return StagedFile{sequence, path_of(sequence), encode(profile)};
}

void Spool::staged_done(const StagedFile& file, const Result<void>& written) {
  if (staged_.empty() || staged_.front().first != file.sequence) return;  // delivered meanwhile
  staged_bytes_ -= weight(staged_.front().second);
  staged_.pop_front();
  if (!written) {
    drop_with("cannot spool a profile: " + written.error().message);
    return;
  }
  disk_.push_back({file.sequence, file.content.size()});
  disk_bytes_ += file.content.size();
}

void Spool::write_staged() {
  while (std::optional<StagedFile> file = next_staged()) {
    staged_done(*file, write_file_atomically(file->path, file->content));
  }
}

Result<IntervalProfile> Spool::read(const OnDisk& entry) const {
  std::optional<std::string> content = read_text_file(path_of(entry.sequence));
  if (!content) return make_error("cannot read " + path_of(entry.sequence) + ": " + errno_text(errno));
  Result<IntervalProfile> profile = decode(*content);
  if (!profile) return make_error(path_of(entry.sequence) + ": " + profile.error().message);
  return profile;
}

std::optional<IntervalProfile> Spool::front() {
  if (!memory_.empty()) return memory_.front().second;
  while (!disk_.empty()) {
    Result<IntervalProfile> profile = read(disk_.front());
    if (profile) return std::move(*profile);
    drop_with(profile.error().message);  // damaged or removed by hand: nothing to send
    pop();
  }
  if (!staged_.empty()) return staged_.front().second;
  return std::nullopt;
}

void Spool::pop() {
  if (!memory_.empty()) {
    memory_bytes_ -= weight(memory_.front().second);
    memory_.pop_front();
  } else if (!disk_.empty()) {
    std::error_code ignored;
    fs::remove(path_of(disk_.front().sequence), ignored);
    disk_bytes_ -= disk_.front().bytes;
    disk_.pop_front();
  } else if (!staged_.empty()) {
    staged_bytes_ -= weight(staged_.front().second);
    staged_.pop_front();
  }
}

size_t Spool::persist() {
  write_staged();  // the newest: on disk before the oldest are added in front of them
  size_t written_count = 0;
  std::deque<OnDisk> written;
  for (auto& [sequence, profile] : memory_) {
    StagedFile file{sequence, path_of(sequence), encode(profile)};
    Result<void> stored = limits_.directory.empty()
                              ? Result<void>(make_error("no --spool-dir to keep it in"))
                          : disk_bytes_ + file.content.size() > limits_.disk_bytes
                              ? Result<void>(make_error("the spool directory is full (--spool-size)"))
                              : write_file_atomically(file.path, file.content);
    if (stored) {
      written.push_back({sequence, file.content.size()});
      disk_bytes_ += file.content.size();
      written_count++;
    } else {
      drop_with(stored.error().message);
    }
  }
  memory_.clear();
  memory_bytes_ = 0;
  disk_.insert(disk_.begin(), written.begin(), written.end());  // older than those on disk
  return written_count;
}

}  // namespace stprof
