#include "util/files.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace stprof {

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::string errno_text(int error) { return std::strerror(error); }

}  // namespace stprof
