#include "discover/runtime_address.h"

namespace stprof {

std::optional<uint64_t> runtime_address(const std::vector<LoadSegment>& segments,
                                        const std::vector<Mapping>& file_mappings,
                                        uint64_t symbol_vaddr) {
  constexpr uint64_t kPageMask = ~uint64_t{0xfff};
  for (const LoadSegment& segment : segments) {
    if (symbol_vaddr < segment.vaddr || symbol_vaddr >= segment.vaddr + segment.mem_size) continue;
    uint64_t first_page = segment.file_offset & kPageMask;
    for (const Mapping& mapping : file_mappings) {
      if (mapping.file_offset != first_page) continue;
      return mapping.start - mapping.file_offset + segment.file_offset - segment.vaddr + symbol_vaddr;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace stprof
