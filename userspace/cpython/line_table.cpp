#include "cpython/line_table.h"

#include <algorithm>
#include <climits>
#include <cstddef>

// Each decoder mirrors the interpreter's own PyCode_Addr2Line (Objects/codeobject.c) for its
// version. Positions and lines are tracked in int64_t: every step adds at most 255 bytes or a
// (capped) 32-bit delta, and lines are clamped to +-kLineClamp, so nothing can overflow however
// long or hostile the table is.

namespace stprof {
namespace {

constexpr int64_t kLineClamp = int64_t{1} << 40;

int64_t add_line(int64_t line, int64_t delta) {
  return std::clamp(line + delta, -kLineClamp, kLineClamp);
}

std::optional<int> to_line(int64_t line) {
  if (line < 0 || line > INT_MAX) return std::nullopt;  // only corrupt tables get here
  return static_cast<int>(line);
}

// 3.8 / 3.9 co_lnotab (Objects/lnotab_notes.txt): pairs of (unsigned byte-offset increment,
// signed int8 line increment), the line increment applying from that offset on. Big jumps are
// split into several pairs, e.g. (255, 0) for long ranges and (0, 127) / (0, -128) for big line
// deltas. Walk as PyCode_Addr2Line does: stop at the first pair whose offset is past ours.
// There is no "no line" value and no end marker: past the last pair, the last line holds.
std::optional<int> decode_lnotab(std::span<const uint8_t> table, int first_line, int64_t instr) {
  const int64_t target = instr * 2;  // lnotab offsets are in bytes
  int64_t addr = 0;
  int64_t line = first_line;
  for (size_t i = 0; i + 1 < table.size(); i += 2) {  // a dangling odd byte is ignored
    addr += table[i];
    if (addr > target) break;
    line = add_line(line, static_cast<int8_t>(table[i + 1]));
  }
  return to_line(line);
}

// 3.10 co_linetable (3.10's Objects/lnotab_notes.txt): pairs of (unsigned byte length of this
// range, signed int8 line delta), ranges laid end to end from offset 0. The delta is applied
// before the range it introduces; -128 means "this range has no line" and leaves the running
// line alone (so the compiler splits big deltas into +-127 steps, carried by zero-length ranges).
// Past the last range there is no line. See advance() / _PyCode_CheckLineNumber in 3.10's
// Objects/codeobject.c.
std::optional<int> decode_linetable310(std::span<const uint8_t> table, int first_line,
                                       int64_t instr) {
  const int64_t target = instr * 2;  // range lengths are in bytes, not code units
  int64_t start = 0;
  int64_t line = first_line;
  for (size_t i = 0; i + 1 < table.size(); i += 2) {
    const int64_t end = start + table[i];
    const int8_t delta = static_cast<int8_t>(table[i + 1]);
    const bool no_line = delta == -128;
    if (!no_line) line = add_line(line, delta);
    if (target < end) return no_line ? std::nullopt : to_line(line);  // start <= target < end
    start = end;
  }
  return std::nullopt;
}

// Unsigned varint of the 3.11+ location table: 6-bit chunks, least significant first, bit 6 set
// on every chunk but the last (scan_varint in Objects/codeobject.c). Reads only `bytes`; chunks
// beyond 32 bits are dropped (CPython would shift out of range there).
uint32_t read_varint(std::span<const uint8_t> bytes) {
  uint32_t value = 0;
  unsigned shift = 0;
  for (uint8_t b : bytes) {
    if (shift < 32) value |= static_cast<uint32_t>(b & 63) << shift;
    if ((b & 64) == 0) break;
    if (shift < 32) shift += 6;
  }
  return value;
}

// Signed varint: magnitude in the upper bits, sign in bit 0 (scan_signed_varint).
int64_t read_signed_varint(std::span<const uint8_t> bytes) {
  const uint32_t u = read_varint(bytes);
  const int64_t magnitude = u >> 1;
  return (u & 1) ? -magnitude : magnitude;
}

// 3.11+ co_linetable (Objects/locations.md, now InternalDocs/code_objects.md): a sequence of
// entries, each a first byte with bit 7 set -- code in bits 3-6, (length in code units - 1) in
// bits 0-2 -- then payload bytes with bit 7 clear. The start line is a delta from the previous
// entry's (co_firstlineno for the first):
//   codes 0-9   short form:      same line
//   codes 10-12 one-line form:   line delta = code - 10
//   code 13     no-column form:  signed varint line delta
//   code 14     long form:       signed varint line delta, then end line, columns (ignored)
//   code 15     no location:     no line; the running line is unchanged
// Like advance() in Objects/codeobject.c, entry boundaries are found by bit 7, not by parsing the
// payload, and a varint is never read past its own entry.
std::optional<int> decode_location_table(std::span<const uint8_t> table, int first_line,
                                         int64_t instr) {
  int64_t start = 0;  // in code units
  int64_t line = first_line;
  size_t i = 0;
  while (i < table.size()) {
    const uint8_t first = table[i];
    size_t next = i + 1;
    while (next < table.size() && (table[next] & 0x80) == 0) ++next;
    const std::span<const uint8_t> payload = table.subspan(i + 1, next - (i + 1));

    const int code = (first >> 3) & 15;
    if (code == 13 || code == 14) {
      line = add_line(line, read_signed_varint(payload));
    } else if (code >= 10 && code <= 12) {
      line = add_line(line, code - 10);
    }
    const bool no_line = (first >> 3) == 0x1f;  // is_no_line_marker(): code 15 *and* bit 7
    const int64_t end = start + (first & 7) + 1;
    if (instr < end) return no_line ? std::nullopt : to_line(line);  // start <= instr < end
    start = end;
    i = next;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> line_for_instruction(LineTableFormat format, std::span<const uint8_t> table,
                                        int first_line, int instr) {
  if (instr < 0) return first_line;
  switch (format) {
    case LineTableFormat::kLnotab:
      return decode_lnotab(table, first_line, instr);
    case LineTableFormat::kLinetable310:
      return decode_linetable310(table, first_line, instr);
    case LineTableFormat::kLocationTable:
      return decode_location_table(table, first_line, instr);
  }
  return std::nullopt;
}

}  // namespace stprof
