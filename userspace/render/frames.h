// How frames are named in every output, and text made safe for the output formats.
// Levels: a profile (or a view of it, render/profile_view.h) has a process level and a thread
// level above the Python frames. A level merged away stays in the model as one entry whose id
// is 0 (pid 0, tid 0: never a profiled task), and renderers show no frame for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "collate/profile.h"

namespace stprof {

inline bool shows_process(const ProcessInfo& process) { return process.pid != 0; }
inline bool shows_thread(const ThreadInfo& thread) { return thread.tid != 0; }

// "comm (pid)", or "comm (pid, ns N)" for a process whose PID in its own namespace differs.
std::string process_label(const ProcessInfo& process);
// "container:" and the first 12 digits of its container id; "" outside containers.
std::string container_label(const ProcessInfo& process);
inline bool shows_container(const Profile& profile, const ProcessInfo& process) {
  return profile.container_frames && !process.container_id.empty();
}
std::string thread_label(const ThreadInfo& thread);     // "name (tid)"
// "qualname (file:line)", "qualname (file)" when the line is unknown (0); the name alone for a
// frame without a file (an off-CPU leaf, "[off-CPU: read]": collate/profile.h).
std::string location_label(const Profile& profile, uint32_t location);
// "file:line", or "file" when the line is unknown.
std::string file_line(const Profile& profile, uint32_t location);
// "[truncated]" / "[partial]" for a stack whose root side is missing, "" for a whole one.
const char* end_marker(StackEnd end);

// The labels above read back, for the readers of saved profiles (load/). Each returns nullopt
// when the text is not such a label. A label's last " (...)" group is its id or file: the group
// is found by matching parentheses from the end, so a file name with balanced parentheses
// ("/srv/app (old)/main.py") reads back whole.
// "comm (pid)" or "comm (pid, ns N)": pid and ns_pid set (ns_pid = pid without ", ns N").
std::optional<ProcessInfo> parse_process_label(std::string_view label);
// "name (tid)".
std::optional<ThreadInfo> parse_thread_label(std::string_view label);
// "container:ID" -> ID.
std::optional<std::string> parse_container_label(std::string_view label);
// "[truncated]" / "[partial]".
std::optional<StackEnd> parse_end_marker(std::string_view label);
struct LocationParts {
  std::string function;
  std::string file;  // "" for a frame named alone
  int line = 0;      // 0: none given
};
// "qualname (file:line)", "qualname (file)", or any other text as a name alone.
LocationParts parse_location_label(std::string_view label);

// Invalid UTF-8 sequences become U+FFFD, so JSON, XML and protobuf strings stay valid.
std::string valid_utf8(std::string_view text);
// Text for XML content and attribute values: valid UTF-8, markup characters escaped, control
// characters XML 1.0 cannot carry replaced by '?'.
std::string xml_escape(std::string_view text);
// Columns a terminal gives this text: one per code point, two for East Asian wide ones.
size_t display_width(std::string_view utf8);
// The longest prefix of `utf8` at most `columns` wide, cut on a code point boundary.
std::string truncate_to_width(std::string_view utf8, size_t columns);

}  // namespace stprof
