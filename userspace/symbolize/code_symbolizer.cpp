#include "symbolize/code_symbolizer.h"

#include <algorithm>
#include <cstring>

#include "cpython/line_table.h"
#include "symbolize/cpython_objects.h"

namespace stprof {

size_t CodeSymbolizer::header_size(const CPythonLayout& layout) {
  const stprof_process& walker = layout.walker;
  size_t end = walker.code_fingerprint + walker.code_fingerprint_size;
  for (size_t field_end : {layout.code_filename + 8u, layout.code_linetable + 8u,
                           layout.code_firstlineno + 4u, layout.code_first_traceable + 4u}) {
    end = std::max(end, field_end);
  }
  return end;
}

std::optional<uint32_t> CodeSymbolizer::fingerprint_now(uint64_t address, std::vector<uint8_t>& header,
                                                          uint64_t& name_pointer) const {
  // The same bytes the sampler hashed: the code window and (without a serial) the name window.
  const stprof_process& walker = layout_.walker;
  uint32_t code_size = walker.code_fingerprint_size;
  uint32_t name_at = walker.code_name - walker.code_fingerprint;
  header.resize(header_size_);
  if (code_size > STPROF_CODE_WINDOW || name_at > code_size || code_size - name_at < 8 ||
      !memory_.read(address, header.data(), header.size())) {
    return std::nullopt;
  }
  uint8_t window[STPROF_CODE_WINDOW] = {};
  std::memcpy(window, header.data() + walker.code_fingerprint, code_size);
  std::memcpy(&name_pointer, window + name_at, sizeof(name_pointer));
  uint8_t name_window[STPROF_NAME_WINDOW + 8] = {};
  uint32_t name_size = 0;
  if (!stprof_code_has_serial(window, &walker)) {
    name_size = stprof_name_window_size(&walker);
    if (!name_pointer || !memory_.read(name_pointer + walker.str_length, name_window, name_size)) {
      name_size = 0;
    }
  }
  return stprof_fingerprint(window, name_window, name_size, &walker);
}

std::optional<CodeSymbolizer::Code> CodeSymbolizer::read_code(uint64_t address,
                                                              uint32_t fingerprint) const {
  std::vector<uint8_t> header;
  uint64_t name_pointer = 0;
  if (fingerprint_now(address, header, name_pointer) != fingerprint) return std::nullopt;

  auto field = [&header](uint16_t offset, auto& value) {
    std::memcpy(&value, header.data() + offset, sizeof(value));
  };
  uint64_t filename = 0, linetable = 0;
  int32_t first_line = 0;
  field(layout_.code_filename, filename);
  field(layout_.code_linetable, linetable);
  field(layout_.code_firstlineno, first_line);
  std::optional<std::string> function = read_str(memory_, layout_, name_pointer);
  std::optional<std::string> file = read_str(memory_, layout_, filename);
  if (!function || !file) return std::nullopt;
  Code code{std::move(*function), std::move(*file), first_line, 0, {}};
  if (layout_.code_first_traceable) field(layout_.code_first_traceable, code.first_traceable);
  if (std::optional<std::vector<uint8_t>> table = read_bytes(memory_, layout_, linetable)) {
    code.line_table = std::move(*table);
  }
  // The target runs on while we read: its code object (or the name string) may have been freed
  // and reused between the fingerprint check and the reads above. Checking again after them
  // makes what was read belong to the code that was sampled.
  uint64_t name_pointer_again = 0;
  if (fingerprint_now(address, header, name_pointer_again) != fingerprint ||
      name_pointer_again != name_pointer) {
    return std::nullopt;
  }
  return code;
}

std::optional<FrameSymbol> CodeSymbolizer::symbolize(const stprof_frame& frame) {
  if (none_address_ && frame.code == none_address_) return FrameSymbol{"", "", 0, true};
  auto key = std::make_pair(static_cast<uint64_t>(frame.code), static_cast<uint32_t>(frame.fingerprint));
  std::optional<Code>* cached = codes_.find(key);
  if (!cached) {
    codes_.evict_to(kCapacity - 1);
    cached = &codes_.insert(key, read_code(frame.code, frame.fingerprint));
  }
  if (!*cached) return std::nullopt;
  const Code& code = **cached;
  std::optional<int> line =
      line_for_instruction(layout_.line_table, code.line_table, code.first_line, frame.instr);
  return FrameSymbol{code.function, code.file, line.value_or(0),
                     frame.instr < code.first_traceable};
}

}  // namespace stprof
