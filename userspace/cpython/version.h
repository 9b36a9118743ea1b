// CPython version of an interpreter binary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stprof {

struct PythonVersion {
  int major = 0;
  int minor = 0;
  int micro = -1;  // -1: unknown (version taken from a file name)

  static PythonVersion from_hex(uint32_t py_version_hex);  // PY_VERSION_HEX / Py_Version
  std::string to_string() const;                            // "3.11.2" or "3.9"
};

// "3.9" from names like "python3.9", "libpython3.9.so.1.0", "libpython3.9d.so"; nullopt otherwise.
std::optional<PythonVersion> version_from_file_name(std::string_view path);

}  // namespace stprof
