#include "cpython/version.h"

#include <cctype>
#include <charconv>

namespace stprof {

PythonVersion PythonVersion::from_hex(uint32_t hex) {
  return {static_cast<int>(hex >> 24), static_cast<int>((hex >> 16) & 0xff),
          static_cast<int>((hex >> 8) & 0xff)};
}

std::string PythonVersion::to_string() const {
  // Appended piece by piece: GCC 12 at -O3 takes "." + std::to_string(micro) (a prepend into the
  // temporary) for an overlapping memcpy and warns (-Wrestrict, a false positive).
  std::string text = std::to_string(major);
  text += '.';
  text += std::to_string(minor);
  if (micro >= 0) {
    text += '.';
    text += std::to_string(micro);
  }
  return text;
}

std::optional<PythonVersion> version_from_file_name(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  constexpr std::string_view kStem = "python";
  size_t at = name.find(kStem);
  if (at == std::string_view::npos || (at != 0 && name.substr(0, at) != "lib")) return std::nullopt;
  std::string_view rest = name.substr(at + kStem.size());
  auto digit_at = [&rest](const char* p) {
    return p < rest.data() + rest.size() && std::isdigit(static_cast<unsigned char>(*p));
  };
  if (!digit_at(rest.data())) return std::nullopt;
  PythonVersion version;
  auto [after_major, e1] = std::from_chars(rest.data(), rest.data() + rest.size(), version.major);
  if (e1 != std::errc() || after_major == rest.data() + rest.size() || *after_major != '.') {
    return std::nullopt;
  }
  const char* minor_begin = after_major + 1;
  if (!digit_at(minor_begin)) return std::nullopt;
  auto [after_minor, e2] = std::from_chars(minor_begin, rest.data() + rest.size(), version.minor);
  if (e2 != std::errc()) return std::nullopt;
  bool at_end = after_minor == rest.data() + rest.size();
  if (!at_end && std::isdigit(static_cast<unsigned char>(*after_minor))) return std::nullopt;
  return version;
}

}  // namespace stprof
