#include "symbolize/code_symbolizer.h"

#include "symbolize/cpython_objects.h"
#include "symbolize/line_table.h"

namespace stprof {

std::optional<CodeSymbolizer::Code> CodeSymbolizer::read_code(uint64_t address,
                                                              uint32_t fingerprint) const {
  const stprof_process& walker = layout_.walker;
  __u64 window[STPROF_FINGERPRINT_WINDOW / 8] = {};
  uint32_t words = walker.code_fingerprint_size / 8;
  if (words > STPROF_FINGERPRINT_WINDOW / 8 ||
      !memory_.read(address + walker.code_fingerprint, window, words * 8) ||
      stprof_fingerprint(window, words) != fingerprint) {
    return std::nullopt;
  }
  uint64_t filename = 0, name = 0, linetable = 0;
  int32_t first_line = 0;
  uint16_t name_offset = layout_.code_qualname ? layout_.code_qualname : layout_.code_name;
  if (!memory_.read_value(address + layout_.code_filename, filename) ||
      !memory_.read_value(address + name_offset, name) ||
      !memory_.read_value(address + layout_.code_linetable, linetable) ||
      !memory_.read_value(address + layout_.code_firstlineno, first_line)) {
    return std::nullopt;
  }
  std::optional<std::string> function = read_str(memory_, layout_, name);
  std::optional<std::string> file = read_str(memory_, layout_, filename);
  if (!function || !file) return std::nullopt;
  Code code{std::move(*function), std::move(*file), first_line, 0, {}};
  int32_t first_traceable = 0;
  if (layout_.code_first_traceable &&
      memory_.read_value(address + layout_.code_first_traceable, first_traceable)) {
    code.first_traceable = first_traceable;
  }
  if (std::optional<std::vector<uint8_t>> table = read_bytes(memory_, layout_, linetable)) {
    code.line_table = std::move(*table);
  }
  return code;
}

std::optional<FrameSymbol> CodeSymbolizer::symbolize(const stprof_frame& frame) {
  auto key = std::make_pair(static_cast<uint64_t>(frame.code), static_cast<uint32_t>(frame.fingerprint));
  auto it = codes_.find(key);
  if (it == codes_.end()) it = codes_.emplace(key, read_code(frame.code, frame.fingerprint)).first;
  if (!it->second) return std::nullopt;
  const Code& code = *it->second;
  std::optional<int> line =
      line_for_instruction(layout_.line_table, code.line_table, code.first_line, frame.instr);
  return FrameSymbol{code.function, code.file, line.value_or(0),
                     frame.instr < code.first_traceable};
}

}  // namespace stprof
