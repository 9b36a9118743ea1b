// Where a symbol of a mapped ELF file lives in a process.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "discover/elf_file.h"
#include "discover/proc_maps.h"

namespace stprof {

// Address of the symbol at file virtual address `symbol_vaddr` in a process that maps the file
// with `file_mappings` (the /proc/PID/maps lines of that file only). Works for PIE/shared objects
// (loaded at a bias) and for ET_EXEC (bias 0) alike: the bias is where the first PT_LOAD
// segment's first page is mapped minus that page's vaddr; address = bias + symbol_vaddr.
// nullopt when the symbol is in no segment, or its segment is not mapped at that bias.
std::optional<uint64_t> runtime_address(const std::vector<LoadSegment>& segments,
                                        const std::vector<Mapping>& file_mappings,
                                        uint64_t symbol_vaddr);

}  // namespace stprof
