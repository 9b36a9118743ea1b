// Read-only view of an ELF file through libelf: type, PT_LOAD segments, symbols.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

struct Elf;

namespace stprof {

struct LoadSegment {
  uint64_t vaddr = 0;
  uint64_t file_offset = 0;
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
};

struct ElfSymbol {
  uint64_t value = 0;  // virtual address in the file's own address space
  uint64_t size = 0;
};

class ElfFile {
 public:
  // Takes ownership of an open file; `name` is used in messages.
  static Result<ElfFile> open(UniqueFd fd, const std::string& name);

  ElfFile(ElfFile&&) noexcept;
  ElfFile& operator=(ElfFile&&) noexcept;
  ~ElfFile();

  bool position_independent() const { return position_independent_; }
  const std::vector<LoadSegment>& load_segments() const { return segments_; }

  // Looks `name` up in .dynsym, then .symtab. Only defined data/function symbols count.
  std::optional<ElfSymbol> find_symbol(const std::string& name) const;

  // The DT_NEEDED entries of its dynamic section: the libraries the loader maps before it runs.
  std::vector<std::string> needed_libraries() const;

  // Reads `size` bytes stored in the file at virtual address `vaddr` (false if not file-backed).
  bool read_at_vaddr(uint64_t vaddr, void* out, size_t size) const;

 private:
  ElfFile(UniqueFd fd, Elf* elf);

  UniqueFd fd_;
  Elf* elf_ = nullptr;
  bool position_independent_ = false;
  std::vector<LoadSegment> segments_;
};

}  // namespace stprof
