#include "load/pprof.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <memory>
#include <unordered_map>

#include "load/saved_profile_builder.h"
#include "render/frames.h"
#include "render/profile.pb.h"

namespace stprof {
namespace {

namespace pb = perftools::profiles;
using google::protobuf::io::CodedInputStream;

// Where a message that does not parse goes wrong: its top-level fields walked one by one, and
// the embedded messages among them parsed alone.
std::string locate_damage(std::string_view bytes) {
  CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                         static_cast<int>(bytes.size()));
  for (;;) {
    int start = input.CurrentPosition();
    if (static_cast<size_t>(start) == bytes.size()) break;
    std::string at = "byte " + std::to_string(start) + ": ";
    uint32_t tag = input.ReadTag();
    if (tag == 0) return at + "not a protobuf field (is this a pprof file?)";
    uint32_t field = tag >> 3;
    std::string what = "field " + std::to_string(field);
    uint64_t number = 0;
    uint32_t number32 = 0;
    switch (tag & 7) {
      case 0:
        if (!input.ReadVarint64(&number)) return at + what + ": the number ends early";
        break;
      case 1:
        if (!input.ReadLittleEndian64(&number)) return at + what + ": the number ends early";
        break;
      case 5:
        if (!input.ReadLittleEndian32(&number32)) return at + what + ": the number ends early";
        break;
      case 2: {
        uint32_t length = 0;
        if (!input.ReadVarint32(&length)) return at + what + ": its length ends early";
        std::string content;
        size_t follow = bytes.size() - static_cast<size_t>(input.CurrentPosition());
        if (!input.ReadString(&content, static_cast<int>(length))) {
          return at + what + " holds " + std::to_string(length) + " bytes but " +
                 std::to_string(follow) + " follow (a truncated file?)";
        }
        bool decodes = true;
        switch (field) {
          case 1:
          case 11:
            decodes = pb::ValueType().ParseFromString(content);
            break;
          case 2:
            decodes = pb::Sample().ParseFromString(content);
            what = "a sample";
            break;
          case 3:
            decodes = pb::Mapping().ParseFromString(content);
            what = "a mapping";
            break;
          case 4:
            decodes = pb::Location().ParseFromString(content);
            what = "a location";
            break;
          case 5:
            decodes = pb::Function().ParseFromString(content);
            what = "a function";
            break;
          case 6:
            decodes = valid_utf8(content) == content;
            what = "a string (not UTF-8)";
            break;
        }
        if (!decodes) return at + what + " of " + std::to_string(length) + " bytes does not decode";
        break;
      }
      default:
        return at + what + ": wire type " + std::to_string(tag & 7) +
               ", which profile.proto does not use (is this a pprof file?)";
    }
  }
  return "does not decode as a pprof profile";
}

class Reader {
 public:
  explicit Reader(const pb::Profile& message) : message_(message) {}

  Result<Profile> read();

 private:
  Result<std::string> string(int64_t index, const std::string& what) const {
    if (index < 0 || index >= message_.string_table_size()) {
      return make_error(what + ": string " + std::to_string(index) + " is not in the table of " +
                        std::to_string(message_.string_table_size()));
    }
    return message_.string_table(static_cast<int>(index));
  }
  Result<std::string> type_name(const pb::ValueType& type, const std::string& what) const;
  Result<void> read_functions();
  Result<void> read_locations();
  Result<void> read_sample(int index);

  const pb::Profile& message_;
  std::unordered_map<uint64_t, LocationParts> functions_;  // id -> name and file (line 0)
  // id -> the model's locations of its lines, the caller first; empty for a marker
  std::unordered_map<uint64_t, std::vector<uint32_t>> locations_;
  std::unordered_map<uint64_t, StackEnd> markers_;  // location id -> the marker it names
  std::unique_ptr<SavedProfileBuilder> builder_;
  int value_index_ = 0;      // the sample value read as the count (or the wall time)
  int cpu_index_ = -1;       // wall mode: the on-CPU part
  uint64_t period_ns_ = 0;   // one on-CPU sample, 0 when the rate is unknown
};

Result<std::string> Reader::type_name(const pb::ValueType& type, const std::string& what) const {
  Result<std::string> name = string(type.type(), what);
  if (!name) return name;
  Result<std::string> unit = string(type.unit(), what);
  if (!unit) return unit;
  return *name + "/" + *unit;
}

Result<void> Reader::read_functions() {
  for (int i = 0; i < message_.function_size(); i++) {
    const pb::Function& function = message_.function(i);
    std::string what = "function " + std::to_string(i);
    if (function.id() == 0) return make_error(what + ": id 0 (ids start at 1)");
    Result<std::string> name = string(function.name(), what);
    if (!name) return name.error();
    Result<std::string> file = string(function.filename(), what);
    if (!file) return file.error();
    if (!functions_.emplace(function.id(), LocationParts{*name, *file, 0}).second) {
      return make_error(what + ": id " + std::to_string(function.id()) + " used twice");
    }
  }
  return {};
}

Result<void> Reader::read_locations() {
  for (int i = 0; i < message_.location_size(); i++) {
    const pb::Location& location = message_.location(i);
    std::string what = "location " + std::to_string(i);
    if (location.id() == 0) return make_error(what + ": id 0 (ids start at 1)");
    auto [it, inserted] = locations_.emplace(location.id(), std::vector<uint32_t>());
    if (!inserted) return make_error(what + ": id " + std::to_string(location.id()) + " used twice");
    if (location.line_size() == 0) {
      char address[32];
      std::snprintf(address, sizeof(address), "0x%llx",
                    static_cast<unsigned long long>(location.address()));
      it->second.push_back(builder_->location({address, "", 0}));
      continue;
    }
    for (int l = location.line_size() - 1; l >= 0; l--) {  // the caller first
      const pb::Line& line = location.line(l);
      auto function = functions_.find(line.function_id());
      if (function == functions_.end()) {
        return make_error(what + ": function " + std::to_string(line.function_id()) +
                          " is not in the profile");
      }
      LocationParts parts = function->second;
      parts.line = line.line() > 0 && line.line() <= INT_MAX ? static_cast<int>(line.line()) : 0;
      std::optional<StackEnd> marker = parse_end_marker(parts.function);
      if (marker && parts.file.empty() && location.line_size() == 1) {
        markers_.emplace(location.id(), *marker);
      } else {
        it->second.push_back(builder_->location(parts));
      }
    }
  }
  return {};
}

Result<void> Reader::read_sample(int index) {
  const pb::Sample& sample = message_.sample(index);
  std::string what = "sample " + std::to_string(index);
  if (sample.value_size() != message_.sample_type_size()) {
    return make_error(what + ": " + std::to_string(sample.value_size()) + " values for " +
                      std::to_string(message_.sample_type_size()) + " sample types");
  }
  for (int64_t value : sample.value()) {
    if (value < 0) {
      return make_error(what + ": a negative value (" + std::to_string(value) +
                        "): a difference of profiles, not a profile");
    }
  }
  uint64_t value = static_cast<uint64_t>(sample.value(value_index_));
  uint64_t count = value, off_cpu_ns = 0;
  if (cpu_index_ >= 0) {  // wall mode: value is the wall time
    uint64_t cpu = static_cast<uint64_t>(sample.value(cpu_index_));
    if (cpu > value) return make_error(what + ": more cpu time than wall time");
    count = period_ns_ ? cpu / period_ns_ : 0;
    off_cpu_ns = value - count * period_ns_;
  }
  StackLevels levels;
  for (int l = 0; l < sample.label_size(); l++) {
    const pb::Label& label = sample.label(l);
    Result<std::string> key = string(label.key(), what + " label " + std::to_string(l));
    if (!key) return key.error();
    Result<std::string> text = string(label.str(), what + " label " + std::to_string(l));
    if (!text) return text.error();
    bool id = label.num() > 0 && label.num() <= INT_MAX;
    if (*key == "pid" && id) {
      if (!levels.process) levels.process.emplace();
      levels.process->pid = levels.process->ns_pid = static_cast<int>(label.num());
    } else if (*key == "comm") {
      if (!levels.process) levels.process.emplace();
      levels.process->comm = *text;
    } else if (*key == "tid" && id) {
      if (!levels.thread) levels.thread.emplace();
      levels.thread->tid = static_cast<int>(label.num());
    } else if (*key == "thread_name") {
      if (!levels.thread) levels.thread.emplace();
      levels.thread->name = *text;
    }
  }
  // A name without its id is not a level (the renderers show levels by id).
  if (levels.process && levels.process->pid == 0) levels.process.reset();
  if (levels.thread && levels.thread->tid == 0) levels.thread.reset();
  if (levels.thread && !levels.process) {
    levels.process.emplace();  // pid 0: the process level merged, its threads kept
    levels.process->comm = "all processes";
  }

  StackEnd end = StackEnd::kComplete;
  std::vector<uint32_t> stack;
  for (int i = sample.location_id_size() - 1; i >= 0; i--) {  // the root first
    uint64_t id = sample.location_id(i);
    if (auto marker = markers_.find(id); marker != markers_.end()) {
      if (i != sample.location_id_size() - 1) {
        return make_error(what + ": " + end_marker(marker->second) + " is not at the root end");
      }
      end = marker->second;
      continue;
    }
    auto location = locations_.find(id);
    if (location == locations_.end()) {
      return make_error(what + ": location " + std::to_string(id) + " is not in the profile");
    }
    stack.insert(stack.end(), location->second.begin(), location->second.end());
    if (stack.size() > SavedProfileBuilder::kMaxFrames) {
      return make_error(what + ": more than " + std::to_string(SavedProfileBuilder::kMaxFrames) +
                        " frames");
    }
  }
  if (count == 0 && off_cpu_ns == 0) return {};
  if (Result<void> added = builder_->add(builder_->thread(levels), std::move(stack), end, count,
                                         off_cpu_ns);
      !added) {
    return make_error(what + ": " + added.error().message);
  }
  return {};
}

Result<Profile> Reader::read() {
  if (message_.string_table_size() == 0 || !message_.string_table(0).empty()) {
    return make_error("string_table: its first string must be \"\" (is this a pprof file?)");
  }
  std::vector<std::string> types;
  for (int i = 0; i < message_.sample_type_size(); i++) {
    Result<std::string> name = type_name(message_.sample_type(i), "sample_type " + std::to_string(i));
    if (!name) return name.error();
    types.push_back(*name);
  }
  if (types.empty() && message_.sample_size() > 0) return make_error("sample_type: none given");
  Result<std::string> period_type = type_name(message_.period_type(), "period_type");
  if (!period_type) return period_type.error();
  uint64_t period = message_.period() > 0 ? static_cast<uint64_t>(message_.period()) : 0;
  bool period_is_time = *period_type == "cpu/nanoseconds" || *period_type == "wall/nanoseconds";
  int frequency = period_is_time && period > 0 && period <= 1000000000
                      ? static_cast<int>(std::lround(1e9 / static_cast<double>(period)))
                      : 0;

  ProfileMode mode = ProfileMode::kCpu;
  auto find_type = [&](const std::string& name) {
    for (size_t i = 0; i < types.size(); i++) {
      if (types[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  if (int samples = find_type("samples/count"); samples >= 0) {
    value_index_ = samples;
  } else if (int wall = find_type("wall/nanoseconds"), cpu = find_type("cpu/nanoseconds");
             wall >= 0 && cpu >= 0 && *period_type == "wall/nanoseconds") {
    mode = ProfileMode::kWall;
    value_index_ = wall;
    cpu_index_ = cpu;
  } else if (message_.default_sample_type() != 0) {
    Result<std::string> name = string(message_.default_sample_type(), "default_sample_type");
    if (!name) return name.error();
    for (size_t i = 0; i < types.size(); i++) {
      if (types[i].substr(0, types[i].find('/')) == *name) value_index_ = static_cast<int>(i);
    }
  } else if (!types.empty()) {
    value_index_ = static_cast<int>(types.size()) - 1;
  }
  // The period as the model computes it from the frequency (Profile::sample_period_ns), so that
  // count x period + off-CPU time gives each wall value back exactly.
  period_ns_ = frequency ? 1000000000ULL / static_cast<uint64_t>(frequency) : 0;
  builder_ = std::make_unique<SavedProfileBuilder>(period_ns_);

  if (Result<void> ok = read_functions(); !ok) return ok.error();
  if (Result<void> ok = read_locations(); !ok) return ok.error();
  for (int i = 0; i < message_.sample_size(); i++) {
    if (Result<void> ok = read_sample(i); !ok) return ok.error();
  }
  double duration = message_.duration_nanos() > 0 ? message_.duration_nanos() / 1e9 : 0;
  return builder_->finish(mode, frequency, duration);
}

}  // namespace

Result<Profile> read_pprof(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return make_error("more than 2 GiB: too large for a protobuf message");
  }
  pb::Profile message;
  {
    google::protobuf::LogSilencer quiet;  // a failure is reported below, in one line
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return make_error(locate_damage(bytes));
    }
  }
  return Reader(message).read();
}

}  // namespace stprof
