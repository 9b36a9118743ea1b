// Reads a fuzzer input front to back as little-endian fields; past the end every field reads as
// zero and every byte run is empty, so a target never has to check sizes. (libFuzzer's
// FuzzedDataProvider takes integers from the back, which makes seeds awkward to write from
// tools/fuzz/make-seeds; this reader matches the byte order the seeds are written in.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

// An invariant every input must keep: a violation is a finding, reported like a crash.
#define FUZZ_CHECK(condition)                                                         \
  do {                                                                                \
    if (!(condition)) {                                                               \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace stprof::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : rest_(data, size) {}

  template <class T>
  T take() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value{};
    const size_t n = std::min(sizeof(T), rest_.size());
    std::memcpy(&value, rest_.data(), n);  // x86-64 is little-endian, as the seeds are
    rest_ = rest_.subspan(n);
    return value;
  }

  std::span<const uint8_t> take_bytes(size_t n) {
    n = std::min(n, rest_.size());
    std::span<const uint8_t> bytes = rest_.first(n);
    rest_ = rest_.subspan(n);
    return bytes;
  }

  // A u16 length, then that many bytes.
  std::span<const uint8_t> take_sized() { return take_bytes(take<uint16_t>()); }

  std::span<const uint8_t> rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::span<const uint8_t> rest_;
};

inline std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace stprof::fuzz
