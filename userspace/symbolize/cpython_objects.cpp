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

namespace {

// An object's first bytes, read at once: a str's or bytes' header and, when short, its payload.
// Each read of another process's memory is a system call (and a page-table walk), so one read
// instead of three is what makes symbolizing a new process cheap. The head may end past the
// object, into memory that cannot be read: then every field is read on its own.
class ObjectHead {
 public:
  static constexpr size_t kSize = 160;

  ObjectHead(const ProcessMemory& memory, uint64_t address)
      : memory_(memory), address_(address), whole_(memory.read(address, bytes_, kSize)) {}

  // Copies `size` bytes at `offset` in the object.
  bool read(uint64_t offset, void* out, size_t size) const {
    if (whole_ && offset <= kSize && size <= kSize - offset) {
      if (size > 0) std::memcpy(out, bytes_ + offset, size);
      return true;
    }
    return memory_.read(address_ + offset, out, size);
  }
  template <class T>
  bool read_value(uint64_t offset, T& out) const {
    return read(offset, &out, sizeof(T));
  }

 private:
  const ProcessMemory& memory_;
  uint64_t address_;
  uint8_t bytes_[kSize];
  bool whole_;
};

}  // namespace

std::optional<std::string> read_str(const ProcessMemory& memory, const CPythonLayout& layout,
                                    uint64_t address) {
  if (!address) return std::nullopt;
  ObjectHead head(memory, address);
  int64_t length = 0;
  uint32_t state = 0;
  if (!head.read_value(layout.unicode_length, length) || !head.read_value(layout.unicode_state, state)) {
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
  uint64_t data = ascii ? layout.unicode_ascii_data : layout.unicode_compact_data;
  std::vector<uint8_t> raw(static_cast<size_t>(length) * kind);
  if (!head.read(data, raw.data(), raw.size())) return std::nullopt;

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
  if (!address) return std::nullopt;
  ObjectHead head(memory, address);
  int64_t size = 0;
  if (!head.read_value(layout.bytes_size, size) || size < 0 ||
      static_cast<uint64_t>(size) > kMaxBytesSize) {
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!head.read(layout.bytes_data, bytes.data(), bytes.size())) return std::nullopt;
  return bytes;
}

}  // namespace stprof
