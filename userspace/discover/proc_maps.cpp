#include "discover/proc_maps.h"

#include <charconv>
#include <cstdio>

namespace stprof {
namespace {

bool parse_hex(std::string_view text, uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return error == std::errc() && end == text.data() + text.size();
}

// Splits off the next space-delimited field, skipping leading spaces.
std::string_view next_field(std::string_view& line) {
  size_t begin = line.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(begin);
  size_t end = line.find(' ');
  std::string_view field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

}  // namespace

std::vector<Mapping> parse_maps(std::string_view text) {
  std::vector<Mapping> mappings;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

    std::string_view range = next_field(line);
    std::string_view perms = next_field(line);
    std::string_view offset = next_field(line);
    next_field(line);  // device
    std::string_view inode = next_field(line);
    size_t dash = range.find('-');
    Mapping m;
    if (dash == std::string_view::npos || perms.size() < 4 ||
        !parse_hex(range.substr(0, dash), m.start) || !parse_hex(range.substr(dash + 1), m.end) ||
        !parse_hex(offset, m.file_offset) ||
        std::from_chars(inode.data(), inode.data() + inode.size(), m.inode).ec != std::errc()) {
      continue;
    }
    m.executable = perms[2] == 'x';
    size_t path_begin = line.find_first_not_of(' ');
    if (path_begin != std::string_view::npos) m.path = std::string(line.substr(path_begin));
    mappings.push_back(std::move(m));
  }
  return mappings;
}

std::string map_files_path(const std::string& process_dir, const Mapping& mapping) {
  char range[64];
  std::snprintf(range, sizeof(range), "%lx-%lx", static_cast<unsigned long>(mapping.start),
                static_cast<unsigned long>(mapping.end));
  return process_dir + "/map_files/" + range;
}

}  // namespace stprof
