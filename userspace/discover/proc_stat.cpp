#include "discover/proc_stat.h"

#include <charconv>

namespace stprof {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcStat stat;
  stat.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after comm, 1-based as in proc(5): 3 state, 4 ppid, ..., 22 starttime, 23 vsize,
  // ..., 26 startcode (0 unless the reader may ptrace the process).
  std::string_view rest = text.substr(close + 1);
  int field = 2;
  while (!rest.empty()) {
    size_t begin = rest.find_first_not_of(' ');
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    size_t end = rest.find(' ');
    std::string_view value = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    field++;
    if (field == 3) stat.state = value.empty() ? 0 : value[0];
    if (field == 4 && std::from_chars(value.data(), value.data() + value.size(), stat.ppid).ec !=
                          std::errc()) {
      return std::nullopt;
    }
    if (field == 22 && std::from_chars(value.data(), value.data() + value.size(),
                                       stat.start_time).ec != std::errc()) {
      return std::nullopt;
    }
    if (field == 23 && std::from_chars(value.data(), value.data() + value.size(), stat.vsize).ec !=
                           std::errc()) {
      return std::nullopt;
    }
    if (field == 26) {
      std::from_chars(value.data(), value.data() + value.size(), stat.start_code);
      break;
    }
  }
  if (field < 23) return std::nullopt;
  return stat;
}

}  // namespace stprof
