#include "discover/runtime_address.h"

namespace stprof {

std::optional<uint64_t> runtime_address(const std::vector<LoadSegment>& segments,
                                        const std::vector<Mapping>& file_mappings,
                                        uint64_t symbol_vaddr) {
  constexpr uint64_t kPageMask = ~uint64_t{0xfff};
  const LoadSegment* first = nullptr;
  const LoadSegment* holder = nullptr;
  for (const LoadSegment& segment : segments) {
    if (!first || segment.vaddr < first->vaddr) first = &segment;
    if (symbol_vaddr >= segment.vaddr && symbol_vaddr < segment.vaddr + segment.mem_size) {
      holder = &segment;
    }
  }
  if (!holder) return std::nullopt;
  // The load bias comes from the first segment's first page, mapped at the lowest address with
  // that file offset (later segments may share a file page and be mapped again higher up).
  uint64_t first_page = first->file_offset & kPageMask;
  const Mapping* base = nullptr;
  for (const Mapping& mapping : file_mappings) {
    if (mapping.file_offset == first_page && (!base || mapping.start < base->start)) base = &mapping;
  }
  if (!base) return std::nullopt;
  uint64_t bias = base->start - (first->vaddr & kPageMask);
  // The symbol's own segment must be mapped where the bias says (not yet, mid dynamic loading).
  for (const Mapping& mapping : file_mappings) {
    if (mapping.start == bias + (holder->vaddr & kPageMask) &&
        mapping.file_offset == (holder->file_offset & kPageMask)) {
      return bias + symbol_vaddr;
    }
  }
  return std::nullopt;
}

}  // namespace stprof
