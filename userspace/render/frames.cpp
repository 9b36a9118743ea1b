#include "render/frames.h"

#include <cstdint>

namespace stprof {

std::string process_label(const ProcessInfo& process) {
  std::string label = process.comm + " (" + std::to_string(process.pid);
  if (process.ns_pid != 0 && process.ns_pid != process.pid) {
    label += ", ns " + std::to_string(process.ns_pid);
  }
  return label + ")";
}

std::string container_label(const ProcessInfo& process) {
  return process.container_id.empty() ? "" : "container:" + process.container_id.substr(0, 12);
}

std::string thread_label(const ThreadInfo& thread) {
  return thread.name + " (" + std::to_string(thread.tid) + ")";
}

std::string file_line(const Profile& profile, uint32_t location_index) {
  const Location& location = profile.locations[location_index];
  std::string text = profile.strings[profile.functions[location.function].file];
  if (location.line > 0) {
    text += ':';
    text += std::to_string(location.line);
  }
  return text;
}

std::string location_label(const Profile& profile, uint32_t location_index) {
  const Function& function = profile.functions[profile.locations[location_index].function];
  const std::string& name = profile.strings[function.name];
  if (profile.strings[function.file].empty()) return name;
  return name + " (" + file_line(profile, location_index) + ")";
}

const char* end_marker(StackEnd end) {
  switch (end) {
    case StackEnd::kTruncated:
      return "[truncated]";
    case StackEnd::kPartial:
      return "[partial]";
    case StackEnd::kComplete:
      break;
  }
  return "";
}

namespace {

struct LabelParts {
  std::string_view name;    // comm, thread name, qualified name
  std::string_view inside;  // what the parentheses hold
};

// "name (inside)", the group that closes the label matched from the end.
std::optional<LabelParts> split_label(std::string_view label) {
  if (label.empty() || label.back() != ')') return std::nullopt;
  int depth = 0;
  for (size_t i = label.size(); i-- > 0;) {
    if (label[i] == ')') depth++;
    if (label[i] == '(' && --depth == 0) {
      if (i < 2 || label[i - 1] != ' ') return std::nullopt;
      return LabelParts{label.substr(0, i - 1), label.substr(i + 1, label.size() - i - 2)};
    }
  }
  return std::nullopt;
}

// A decimal id that fits an int ("0" and leading zeros are not ids we write).
std::optional<int> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 9 || text[0] == '0') return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<ProcessInfo> parse_process_label(std::string_view label) {
  std::optional<LabelParts> parts = split_label(label);
  if (!parts) return std::nullopt;
  std::string_view pid_text = parts->inside, ns_text;
  if (size_t comma = pid_text.find(", ns "); comma != std::string_view::npos) {
    ns_text = pid_text.substr(comma + 5);
    pid_text = pid_text.substr(0, comma);
  }
  std::optional<int> pid = parse_id(pid_text);
  std::optional<int> ns_pid = ns_text.empty() ? pid : parse_id(ns_text);
  if (!pid || !ns_pid) return std::nullopt;
  ProcessInfo process;
  process.pid = *pid;
  process.ns_pid = *ns_pid;
  process.comm = std::string(parts->name);
  return process;
}

std::optional<ThreadInfo> parse_thread_label(std::string_view label) {
  std::optional<LabelParts> parts = split_label(label);
  if (!parts) return std::nullopt;
  std::optional<int> tid = parse_id(parts->inside);
  if (!tid) return std::nullopt;
  ThreadInfo thread;
  thread.tid = *tid;
  thread.name = std::string(parts->name);
  return thread;
}

std::optional<std::string> parse_container_label(std::string_view label) {
  constexpr std::string_view kPrefix = "container:";
  if (label.size() <= kPrefix.size() || label.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  return std::string(label.substr(kPrefix.size()));
}

std::optional<StackEnd> parse_end_marker(std::string_view label) {
  for (StackEnd end : {StackEnd::kTruncated, StackEnd::kPartial}) {
    if (label == end_marker(end)) return end;
  }
  return std::nullopt;
}

LocationParts parse_location_label(std::string_view label) {
  std::optional<LabelParts> parts = split_label(label);
  if (!parts || parts->inside.empty()) return {std::string(label), "", 0};
  std::string_view file = parts->inside;
  int line = 0;
  if (size_t colon = file.rfind(':'); colon != std::string_view::npos) {
    if (std::optional<int> number = parse_id(file.substr(colon + 1))) {
      line = *number;
      file = file.substr(0, colon);
    }
  }
  return {std::string(parts->name), std::string(file), line};
}

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
size_t utf8_sequence(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; k++) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  unsigned char second = byte(i + 1);
  if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
  if (lead == 0xED && second > 0x9F) return 0;  // surrogate
  if (lead == 0xF0 && second < 0x90) return 0;  // overlong
  if (lead == 0xF4 && second > 0x8F) return 0;  // above U+10FFFF
  return length;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t length = utf8_sequence(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      i++;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : valid_utf8(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') c = '?';
        out += c;
    }
  }
  return out;
}

namespace {

// Terminal columns of the code point starting at utf8[i] (East Asian wide and fullwidth
// ranges: 2; combining marks are not special-cased), and its length in bytes.
size_t columns_at(std::string_view utf8, size_t i, size_t& length) {
  unsigned char lead = static_cast<unsigned char>(utf8[i]);
  length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  if (i + length > utf8.size()) length = utf8.size() - i;
  uint32_t cp = length == 1 ? lead : lead & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; k++)
    cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
  bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
              (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
              (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
              (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
              (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}

}  // namespace

size_t display_width(std::string_view utf8) {
  size_t columns = 0;
  for (size_t i = 0, length = 0; i < utf8.size(); i += length)
    columns += columns_at(utf8, i, length);
  return columns;
}

std::string truncate_to_width(std::string_view utf8, size_t columns) {
  size_t used = 0;
  for (size_t i = 0, length = 0; i < utf8.size(); i += length) {
    size_t width = columns_at(utf8, i, length);
    if (used + width > columns) return std::string(utf8.substr(0, i));
    used += width;
  }
  return std::string(utf8);
}

}  // namespace stprof
