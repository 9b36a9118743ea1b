#pragma once
// Line-table decoders: map an instruction of a CPython code object to its source line, the way
// the interpreter's own PyCode_Addr2Line does, for CPython 3.8 through 3.15.

#include <cstdint>
#include <optional>
#include <span>

namespace stprof {

enum class LineTableFormat {
  kLnotab,         // 3.8, 3.9: co_lnotab
  kLinetable310,   // 3.10: co_linetable
  kLocationTable,  // 3.11+: co_linetable location table (PEP 657)
};

// Source line of the instruction at `instr` (index in 2-byte code units from the first
// instruction, i.e. byte offset / 2), decoded from `table` (the raw bytes of the code object's
// line table) and `first_line` (co_firstlineno). instr < 0 means "not started yet": return
// first_line.
// Returns nullopt when the table gives that instruction no line (or instr is past the table).
// kLnotab has no end marker, so there (as in the interpreter) an instruction past the last entry
// gets the last entry's line; the caller must bound instr by the code size itself.
// Safe on arbitrary/hostile bytes (they come from another process's memory): never reads out of
// bounds, runs in O(table.size()), never overflows; a corrupt table that yields a line < 0 or
// > INT_MAX gives nullopt.
std::optional<int> line_for_instruction(LineTableFormat format, std::span<const uint8_t> table,
                                        int first_line, int instr);

}  // namespace stprof
