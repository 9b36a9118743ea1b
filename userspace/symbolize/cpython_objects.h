// Reading CPython str and bytes objects out of another process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cpython/layout.h"
#include "symbolize/process_memory.h"

namespace stprof {

// Longest str / bytes we copy; code names, file names and line tables are far shorter.
inline constexpr uint64_t kMaxStringChars = 4096;
inline constexpr uint64_t kMaxBytesSize = 1 << 20;

// A compact str object as UTF-8 (CPython stores Latin-1, UCS-2 or UCS-4). nullopt when the
// memory is unreadable or does not look like a compact str.
std::optional<std::string> read_str(const ProcessMemory& memory, const CPythonLayout& layout,
                                    uint64_t address);

// The payload of a bytes object.
std::optional<std::vector<uint8_t>> read_bytes(const ProcessMemory& memory,
                                               const CPythonLayout& layout, uint64_t address);

// Appends code point `cp` as UTF-8 (invalid code points become U+FFFD).
void append_utf8(std::string& out, uint32_t cp);

}  // namespace stprof
