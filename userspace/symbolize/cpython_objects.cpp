#include "symbolize/cpython_objects.h"

#include <cstring>

namespace stprof {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::optional<std::string> read_str(const ProcessMemory& memory, const CPythonLayout& layout,
                                    uint64_t address) {
  int64_t length = 0;
  uint32_t state = 0;
  if (!address || !memory.read_value(address + layout.unicode_length, length) ||
      !memory.read_value(address + layout.unicode_state, state)) {
    return std::nullopt;
  }
  // PyASCIIObject.state bit field: interned (2 bits), kind (3 bits), compact, ascii.
  uint32_t kind = (state >> 2) & 7;
  bool compact = (state >> 5) & 1;
  bool ascii = (state >> 6) & 1;
  if (!compact || length < 0 || static_cast<uint64_t>(length) > kMaxStringChars ||
      (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1)) {
    return std::nullopt;
  }
  uint64_t data = address + (ascii ? layout.unicode_ascii_data : layout.unicode_compact_data);
  std::vector<uint8_t> raw(static_cast<size_t>(length) * kind);
  if (!raw.empty() && !memory.read(data, raw.data(), raw.size())) return std::nullopt;

  std::string text;
  text.reserve(raw.size());
  for (size_t i = 0; i < static_cast<size_t>(length); i++) {
    uint32_t cp = 0;
    if (kind == 1) {
      cp = raw[i];
    } else if (kind == 2) {
      uint16_t unit;
      std::memcpy(&unit, &raw[i * 2], 2);
      cp = unit;
    } else {
      std::memcpy(&cp, &raw[i * 4], 4);
    }
    append_utf8(text, cp);
  }
  return text;
}

std::optional<std::vector<uint8_t>> read_bytes(const ProcessMemory& memory,
                                               const CPythonLayout& layout, uint64_t address) {
  int64_t size = 0;
  if (!address || !memory.read_value(address + layout.bytes_size, size) || size < 0 ||
      static_cast<uint64_t>(size) > kMaxBytesSize) {
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!bytes.empty() && !memory.read(address + layout.bytes_data, bytes.data(), bytes.size())) {
    return std::nullopt;
  }
  return bytes;
}

}  // namespace stprof
