// Code object -> (function, file, line), for one process.
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cpython/layout.h"
#include "stprof_abi.h"
#include "symbolize/process_memory.h"
#include "util/lru_map.h"

namespace stprof {

struct FrameSymbol {
  std::string function;  // co_qualname (3.11+) or co_name
  std::string file;      // co_filename
  int line = 0;          // 0: the line table gives this instruction no line
  // The frame has not reached its first traceable instruction (see
  // CPythonLayout::code_first_traceable): CPython does not show it, and neither should we.
  bool incomplete = false;
};

class CodeSymbolizer {
 public:
  // none_address: Py_None in the process (0: unknown).
  CodeSymbolizer(const ProcessMemory& memory, const CPythonLayout& layout, uint64_t none_address = 0)
      : memory_(memory), layout_(layout), none_address_(none_address), header_size_(header_size(layout)) {}

  // nullopt when the code object cannot be read, or when the object now at that address is not
  // the one sampled (its fingerprint differs: the code was freed and the memory reused). A
  // frame whose executable is None is CPython's own (3.13's entry frame, owned by the C stack):
  // its owner says so, but the sampler can read the frame while it is being set up, with the
  // owner its stack slot held before; it comes back incomplete, like a frame not started.
  std::optional<FrameSymbol> symbolize(const stprof_frame& frame);

  // Code objects remembered, at most kCapacity (least recently used out: one sampled again is
  // read again, or unknown if it is gone).
  size_t cached() const { return codes_.size(); }
  static constexpr size_t kCapacity = 8192;

 private:
  struct Code {
    std::string function;
    std::string file;
    int first_line = 0;
    int first_traceable = 0;
    std::vector<uint8_t> line_table;
  };
  std::optional<Code> read_code(uint64_t address, uint32_t fingerprint) const;
  // How many bytes of a code object hold the fields read here (the fingerprint window, file
  // name, line table, first line): they are read at once, not one read per field.
  static size_t header_size(const CPythonLayout& layout);
  // Reads the code object at `address` into `header`; its fingerprint as it is now
  // (stprof_fingerprint over what the sampler reads: its window, and the name window it reads
  // then) and its name pointer; nullopt when unreadable.
  std::optional<uint32_t> fingerprint_now(uint64_t address, std::vector<uint8_t>& header,
                                          uint64_t& name_pointer) const;

  const ProcessMemory& memory_;
  CPythonLayout layout_;
  uint64_t none_address_;
  size_t header_size_;
  // Keyed by (address, fingerprint): a reused address with another fingerprint is another code.
  LruMap<std::pair<uint64_t, uint32_t>, std::optional<Code>> codes_;
};

}  // namespace stprof
