#include "util/cpu_list.h"

#include <charconv>

namespace stprof {

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<int> cpus;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    int first = 0, last = 0;
    size_t dash = item.find('-');
    std::string_view a = item.substr(0, dash);
    if (std::from_chars(a.data(), a.data() + a.size(), first).ptr != a.data() + a.size() || a.empty()) {
      return std::nullopt;
    }
    last = first;
    if (dash != std::string_view::npos) {
      std::string_view b = item.substr(dash + 1);
      if (b.empty() || std::from_chars(b.data(), b.data() + b.size(), last).ptr != b.data() + b.size()) {
        return std::nullopt;
      }
    }
    if (first < 0 || last < first || last > 65535 || cpus.size() + (last - first) > 65536) {
      return std::nullopt;
    }
    for (int cpu = first; cpu <= last; cpu++) cpus.push_back(cpu);
  }
  if (cpus.empty()) return std::nullopt;
  return cpus;
}

}  // namespace stprof
