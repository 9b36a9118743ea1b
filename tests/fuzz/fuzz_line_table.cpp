// Every line-table decoder on arbitrary bytes (cpython/line_table.h), checking its contract.
// Input: i32 first_line, i32 instr, then the table. Each input is decoded as all three formats.

#include <climits>
#include <cstdint>
#include <optional>
#include <span>

#include "cpython/line_table.h"
#include "fuzz_input.h"

using stprof::LineTableFormat;
using stprof::line_for_instruction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stprof::fuzz::Input in(data, size);
  const int first_line = in.take<int32_t>();
  const int instr = in.take<int32_t>();
  const std::span<const uint8_t> table = in.rest();

  for (LineTableFormat format :
       {LineTableFormat::kLnotab, LineTableFormat::kLinetable310, LineTableFormat::kLocationTable}) {
    const std::optional<int> line = line_for_instruction(format, table, first_line, instr);
    if (instr < 0) {
      FUZZ_CHECK(line == first_line);  // "not started yet": first_line, whatever the table
    } else {
      FUZZ_CHECK(!line || *line >= 0);  // a corrupt table gives nullopt, never a line < 0
    }
    FUZZ_CHECK(line == line_for_instruction(format, table, first_line, instr));  // pure
  }

  // Past the end of the table. 3.10 ranges cover at most 255 bytes per 2-byte entry and 3.11+
  // entries at most 8 code units per byte, so no table shorter than 16 MiB reaches INT_MAX.
  if (table.size() < (size_t{1} << 24)) {
    FUZZ_CHECK(!line_for_instruction(LineTableFormat::kLinetable310, table, first_line, INT_MAX));
    FUZZ_CHECK(!line_for_instruction(LineTableFormat::kLocationTable, table, first_line, INT_MAX));
    // co_lnotab has no end marker: any instruction at or past the sum of the offset increments
    // gets the last entry's line.
    int64_t end_bytes = 0;
    for (size_t i = 0; i + 1 < table.size(); i += 2) end_bytes += table[i];
    const int past_end = static_cast<int>((end_bytes + 1) / 2);
    FUZZ_CHECK(line_for_instruction(LineTableFormat::kLnotab, table, first_line, past_end) ==
               line_for_instruction(LineTableFormat::kLnotab, table, first_line, INT_MAX));
  }
  return 0;
}
