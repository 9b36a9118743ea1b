#include "load/speedscope.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "load/saved_profile_builder.h"

namespace stprof {
namespace {

using nlohmann::json;

// Nanoseconds per unit of a time unit, 0 for a count.
std::optional<double> unit_scale(const std::string& unit) {
  if (unit == "none" || unit == "bytes") return 0.0;
  if (unit == "nanoseconds") return 1.0;
  if (unit == "microseconds") return 1e3;
  if (unit == "milliseconds") return 1e6;
  if (unit == "seconds") return 1e9;
  return std::nullopt;
}

// The levels of a profile named "comm (pid): thread (tid)", "comm (pid)" or "thread (tid)".
StackLevels levels_of(const std::string& name) {
  std::vector<std::string_view> frames{name};
  for (size_t colon = name.find(": "); colon != std::string::npos;
       colon = name.find(": ", colon + 1)) {
    std::string_view view(name);
    std::vector<std::string_view> split{view.substr(0, colon), view.substr(colon + 2)};
    if (read_stack_levels(split).frames == 2) return read_stack_levels(split);
  }
  StackLevels levels = read_stack_levels(frames);
  return levels.frames == 1 ? levels : StackLevels{};
}

class Reader {
 public:
  Result<Profile> read(const json& document);

 private:
  Result<void> read_frames(const json& frames);
  Result<void> read_profile(const json& profile, const std::string& where);

  std::vector<uint32_t> locations_;                 // per shared frame
  std::vector<std::optional<StackEnd>> markers_;    // per shared frame
  std::optional<double> scale_;                     // of the first profile's unit
  SavedProfileBuilder builder_;
};

Result<void> Reader::read_frames(const json& frames) {
  if (!frames.is_array()) return make_error("shared.frames: not an array");
  for (size_t i = 0; i < frames.size(); i++) {
    const json& frame = frames[i];
    std::string where = "shared.frames[" + std::to_string(i) + "]";
    if (!frame.is_object() || !frame.contains("name") || !frame["name"].is_string()) {
      return make_error(where + ": not an object with a \"name\" string");
    }
    LocationParts parts{frame["name"].get<std::string>(), "", 0};
    if (auto file = frame.find("file"); file != frame.end()) {
      if (!file->is_string()) return make_error(where + ".file: not a string");
      parts.file = file->get<std::string>();
    }
    if (auto line = frame.find("line"); line != frame.end()) {
      if (!line->is_number_integer()) return make_error(where + ".line: not a whole number");
      int64_t number = line->get<int64_t>();
      parts.line = number > 0 && number <= INT32_MAX ? static_cast<int>(number) : 0;
    }
    std::optional<StackEnd> marker = parse_end_marker(parts.function);
    markers_.push_back(parts.file.empty() ? marker : std::nullopt);
    locations_.push_back(builder_.location(parts));
  }
  return {};
}

Result<void> Reader::read_profile(const json& profile, const std::string& where) {
  if (!profile.is_object()) return make_error(where + ": not an object");
  auto type = profile.find("type");
  if (type == profile.end() || !type->is_string()) return make_error(where + ".type: missing");
  if (*type != "sampled") {
    return make_error(where + ".type: \"" + type->get<std::string>() +
                      "\" profiles are not read, only \"sampled\" ones");
  }
  auto unit = profile.find("unit");
  std::optional<double> scale =
      unit != profile.end() && unit->is_string() ? unit_scale(unit->get<std::string>()) : std::nullopt;
  if (!scale) {
    return make_error(where + ".unit: not one of none, bytes, nanoseconds, microseconds, "
                      "milliseconds, seconds");
  }
  if (scale_ && (*scale_ == 0) != (*scale == 0)) {
    return make_error(where + ".unit: a time in one profile and a count in another");
  }
  scale_ = scale;
  auto samples = profile.find("samples");
  auto weights = profile.find("weights");
  if (samples == profile.end() || !samples->is_array()) {
    return make_error(where + ".samples: not an array");
  }
  if (weights == profile.end() || !weights->is_array()) {
    return make_error(where + ".weights: not an array");
  }
  if (samples->size() != weights->size()) {
    return make_error(where + ": " + std::to_string(samples->size()) + " samples but " +
                      std::to_string(weights->size()) + " weights");
  }
  auto name = profile.find("name");
  uint32_t thread = builder_.thread(
      name != profile.end() && name->is_string() ? levels_of(name->get<std::string>()) : StackLevels{});
  for (size_t s = 0; s < samples->size(); s++) {
    std::string at = where + ".samples[" + std::to_string(s) + "]";
    const json& stack = (*samples)[s];
    const json& weight = (*weights)[s];
    if (!stack.is_array()) return make_error(at + ": not an array of frame indices");
    if (!weight.is_number() || weight.get<double>() < 0) {
      return make_error(where + ".weights[" + std::to_string(s) + "]: not a number >= 0");
    }
    double scaled = *scale == 0 ? weight.get<double>() : weight.get<double>() * *scale;
    if (*scale == 0 && !weight.is_number_integer()) {
      return make_error(where + ".weights[" + std::to_string(s) + "]: a count that is not whole");
    }
    if (!(scaled < static_cast<double>(SavedProfileBuilder::kMaxTotal))) {
      return make_error(where + ".weights[" + std::to_string(s) + "]: too large");
    }
    // Whole counts and nanoseconds exactly (a double holds integers up to 2^53 only).
    bool exact = weight.is_number_unsigned() && (*scale == 0 || *scale == 1);
    uint64_t value = exact ? weight.get<uint64_t>() : static_cast<uint64_t>(std::llround(scaled));
    StackEnd end = StackEnd::kComplete;
    std::vector<uint32_t> locations;
    locations.reserve(stack.size());
    for (size_t f = 0; f < stack.size(); f++) {
      const json& index = stack[f];
      if (!index.is_number_unsigned() || index.get<uint64_t>() >= locations_.size()) {
        return make_error(at + "[" + std::to_string(f) + "]: " + index.dump() +
                          " is not a frame of shared.frames (" +
                          std::to_string(locations_.size()) + " frames)");
      }
      size_t frame = index.get<size_t>();
      if (f == 0 && markers_[frame]) {
        end = *markers_[frame];
      } else {
        locations.push_back(locations_[frame]);
      }
    }
    if (value == 0) continue;
    Result<void> added = *scale == 0 ? builder_.add(thread, std::move(locations), end, value)
                                     : builder_.add(thread, std::move(locations), end, 0, value);
    if (!added) return make_error(at + ": " + added.error().message);
  }
  return {};
}

Result<Profile> Reader::read(const json& document) {
  if (!document.is_object()) return make_error("not a JSON object (is this a speedscope file?)");
  auto shared = document.find("shared");
  if (shared == document.end() || !shared->is_object() || !shared->contains("frames")) {
    return make_error("shared.frames: missing (is this a speedscope file?)");
  }
  if (Result<void> ok = read_frames((*shared)["frames"]); !ok) return ok.error();
  auto profiles = document.find("profiles");
  if (profiles == document.end() || !profiles->is_array()) {
    return make_error("profiles: not an array (is this a speedscope file?)");
  }
  for (size_t p = 0; p < profiles->size(); p++) {
    Result<void> ok = read_profile((*profiles)[p], "profiles[" + std::to_string(p) + "]");
    if (!ok) return ok.error();
  }
  bool wall = scale_ && *scale_ != 0;
  return builder_.finish(wall ? ProfileMode::kWall : ProfileMode::kCpu, 0, 0);
}

}  // namespace

Result<Profile> read_speedscope(std::string_view text) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    // what(): "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    std::string why = error.what();
    if (size_t at = why.find("parse error"); at != std::string::npos) why = why.substr(at);
    // error.byte counts from 1 (one past the end when the text ends early); bytes count from 0.
    size_t byte = error.byte > 0 ? error.byte - 1 : 0;
    return make_error("byte " + std::to_string(byte) + ": not JSON (" + why + ")");
  } catch (const json::exception& error) {
    // A number too large for a double: "... number overflow parsing '3e999'", no position given;
    // the number's first occurrence is where it is.
    std::string why = error.what();
    size_t open = why.find('\''), close = why.rfind('\'');
    size_t byte = open < close ? text.find(why.substr(open + 1, close - open - 1)) : 0;
    if (size_t at = why.find("] "); at != std::string::npos) why = why.substr(at + 2);
    return make_error("byte " + std::to_string(byte == std::string_view::npos ? 0 : byte) +
                      ": JSON that cannot be read (" + why + ")");
  }
  return Reader().read(document);
}

}  // namespace stprof
