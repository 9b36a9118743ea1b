// Reading another process's memory. Live processes go through /proc/PID/mem; tests and fuzzers
// use FakeProcessMemory, so everything above this interface runs without privileges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace stprof {

class ProcessMemory {
 public:
  virtual ~ProcessMemory() = default;
  // Copies exactly `size` bytes at `address`; false if any of them cannot be read.
  virtual bool read(uint64_t address, void* out, size_t size) const = 0;

  template <class T>
  bool read_value(uint64_t address, T& out) const {
    return read(address, &out, sizeof(T));
  }
};

class LiveProcessMemory : public ProcessMemory {
 public:
  static Result<LiveProcessMemory> open(int pid, const std::string& proc_root = "/proc");
  bool read(uint64_t address, void* out, size_t size) const override;

 private:
  explicit LiveProcessMemory(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Sparse memory made of byte blocks at given addresses.
class FakeProcessMemory : public ProcessMemory {
 public:
  void add(uint64_t address, std::vector<uint8_t> bytes);
  bool read(uint64_t address, void* out, size_t size) const override;

 private:
  std::map<uint64_t, std::vector<uint8_t>> blocks_;
};

}  // namespace stprof
