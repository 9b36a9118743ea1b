#include "load/folded.h"

#include <vector>

#include "load/saved_profile_builder.h"

namespace stprof {
namespace {

constexpr const char* kShape = "a folded line is 'frame;frame;...;frame COUNT'";

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// A count: decimal digits that fit 64 bits.
std::optional<uint64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::vector<std::string_view> split_frames(std::string_view stack) {
  std::vector<std::string_view> frames;
  for (size_t start = 0;;) {
    size_t end = stack.find(';', start);
    frames.push_back(stack.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return frames;
    start = end + 1;
  }
}

// One line (without its newline) into the builder.
Result<void> read_line(std::string_view line, SavedProfileBuilder& builder) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t end = line.size();
  while (end > 0 && is_blank(line[end - 1])) end--;
  if (end == 0) return {};  // blank
  size_t space = end;
  while (space > 0 && !is_blank(line[space - 1])) space--;
  if (space == 0) return make_error("no count after the stack: " + std::string(kShape));
  std::string_view count_text = line.substr(space, end - space);
  std::optional<uint64_t> count = parse_count(count_text);
  if (!count) {
    // Appended, not `"'" + std::string(...)`: GCC 12 at -O3 reports a false -Wrestrict there.
    std::string message = "'";
    message.append(count_text.substr(0, 40));
    message += "' is not a count (a whole number of samples): ";
    message += kShape;
    return make_error(message);
  }
  size_t stack_end = space;
  while (stack_end > 0 && is_blank(line[stack_end - 1])) stack_end--;
  if (*count == 0) return {};
  // An empty frame is a function with an empty name (a pprof file may have one), and a line
  // with nothing before its count a stack without frames: both are what render/folded writes.
  std::vector<std::string_view> frames;
  if (stack_end > 0) frames = split_frames(line.substr(0, stack_end));
  StackLevels levels = read_stack_levels(frames);
  size_t at = levels.frames;
  StackEnd stack_end_kind = StackEnd::kComplete;
  if (at < frames.size()) {
    if (std::optional<StackEnd> marker = parse_end_marker(frames[at])) {
      stack_end_kind = *marker;
      at++;
    }
  }
  std::vector<uint32_t> locations;
  locations.reserve(frames.size() - at);
  for (; at < frames.size(); at++) {
    locations.push_back(builder.location(parse_location_label(frames[at])));
  }
  return builder.add(builder.thread(levels), std::move(locations), stack_end_kind, *count);
}

}  // namespace

Result<Profile> read_folded(std::string_view text) {
  SavedProfileBuilder builder;
  size_t number = 1;
  for (size_t start = 0; start < text.size(); number++) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (Result<void> read = read_line(text.substr(start, end - start), builder); !read) {
      std::string message = "line ";  // appended: see read_line
      message += std::to_string(number);
      message += ": ";
      message += read.error().message;
      return make_error(message);
    }
    start = end + 1;
  }
  return builder.finish(ProfileMode::kCpu, 0, 0);
}

}  // namespace stprof
