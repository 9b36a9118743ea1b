// CPython 3.x objects built byte by byte in a FakeProcessMemory, at the CPythonLayout offsets of
// the version under test: the strs, bytes and code objects the symbolizer reads, and the
// fingerprint the sampler would record for a code object. Shared by the unit tests of
// symbolize/ and record/.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cpython/layout.h"
#include "stprof_abi.h"
#include "symbolize/process_memory.h"

namespace stprof::fake {

using Bytes = std::vector<uint8_t>;

// The location table (PEP 657) and co_firstlineno of f, printed by Debian 12's CPython 3.11.2:
//   /usr/bin/python3.11 -c 'def f():\n  x=1\n  return x\nprint(f.__code__.co_linetable.hex(),
//   f.__code__.co_firstlineno)'
// -> "8000d804058021d8090a8028 1". Its co_lines() are (0,2,1) (2,4,2) (4,6,2) (6,8,3) (8,10,3)
// in bytes, so by 2-byte code unit: 0 -> line 1 (RESUME), 1-2 -> line 2, 3-4 -> line 3.
inline const Bytes kLineTable = {0x80, 0x00, 0xd8, 0x04, 0x05, 0x80, 0x21, 0xd8, 0x09, 0x0a, 0x80, 0x28};
constexpr int32_t kFirstLine = 1;

constexpr uint64_t kCode = 0x7f0000100000;
constexpr uint64_t kFilename = 0x7f0000200000;
constexpr uint64_t kName = 0x7f0000201000;
constexpr uint64_t kQualname = 0x7f0000202000;
constexpr uint64_t kLinetable = 0x7f0000203000;
constexpr uint64_t kOtherQualname = 0x7f0000204000;
constexpr uint64_t kUnmapped = 0x7f00deadb000;

inline CPythonLayout layout_of(int minor) {
  Result<CPythonLayout> layout = layout_for(PythonVersion{3, minor, 0});
  EXPECT_TRUE(layout.ok()) << layout.error().message;
  return layout.ok() ? *layout : CPythonLayout{};
}

template <class T>
void put(Bytes& object, size_t offset, T value) {
  if (object.size() < offset + sizeof(T)) object.resize(offset + sizeof(T));
  std::memcpy(object.data() + offset, &value, sizeof(T));
}

// A str's cached hash (PyASCIIObject.hash, at 24): any value that differs between texts.
inline int64_t str_hash(const std::string& text) { return static_cast<int64_t>(std::hash<std::string>{}(text)); }

// Compact ASCII str (state: kind 1, compact, ascii, ready).
inline Bytes ascii_str(const CPythonLayout& layout, const std::string& text) {
  Bytes object(layout.unicode_ascii_data, 0);
  put<int64_t>(object, 0, 1);
  put<int64_t>(object, 24, str_hash(text));
  put<int64_t>(object, layout.unicode_length, static_cast<int64_t>(text.size()));
  put<uint32_t>(object, layout.unicode_state, 0xe4);
  object.insert(object.end(), text.begin(), text.end());
  object.push_back(0);
  object.resize(std::max<size_t>(object.size(), 96), 0xa5);  // the heap goes on after a str
  return object;
}

// Compact UCS-2 str (state: kind 2, compact, ready).
inline Bytes ucs2_str(const CPythonLayout& layout, const std::vector<uint16_t>& units) {
  Bytes object(layout.unicode_compact_data, 0);
  put<int64_t>(object, 0, 1);
  put<int64_t>(object, 24, static_cast<int64_t>(units.size() * 7919 + units[0]));
  put<int64_t>(object, layout.unicode_length, static_cast<int64_t>(units.size()));
  put<uint32_t>(object, layout.unicode_state, 0xa8);
  for (uint16_t unit : units) put(object, object.size(), unit);
  return object;
}

inline Bytes bytes_object(const CPythonLayout& layout, const Bytes& data) {
  Bytes object(layout.bytes_data, 0);
  put<int64_t>(object, 0, 1);
  put<int64_t>(object, layout.bytes_size, static_cast<int64_t>(data.size()));
  object.insert(object.end(), data.begin(), data.end());
  object.push_back(0);
  return object;
}

struct CodeFields {
  uint64_t filename = kFilename;
  uint64_t name = kName;
  uint64_t qualname = kQualname;
  uint64_t linetable = kLinetable;
  int32_t first_line = kFirstLine;
  int32_t nlocals = 1;  // some other field inside the fingerprint window
  uint32_t serial = 0;  // co_version (3.12+)
};

// A PyCodeObject up to co_code_adaptive, with the fields the symbolizer reads.
inline Bytes code_object(const CPythonLayout& layout, const CodeFields& fields) {
  Bytes object(layout.walker.code_first_instr + 16, 0);
  put<int64_t>(object, 0, 3);  // ob_refcnt
  put<int32_t>(object, layout.code_firstlineno, fields.first_line);
  put<int32_t>(object, layout.code_firstlineno + 8, fields.nlocals);
  put<uint64_t>(object, layout.code_filename, fields.filename);
  put<uint64_t>(object, layout.code_name, fields.name);
  put<uint64_t>(object, layout.code_qualname, fields.qualname);
  put<uint64_t>(object, layout.code_linetable, fields.linetable);
  if (layout.walker.code_serial) put<uint32_t>(object, layout.walker.code_serial, fields.serial);
  return object;
}

// The fingerprint the sampler would have recorded for `object`, computed with the ABI's formula
// from its code window and its name's window as `memory` holds them now.
inline uint32_t fingerprint_of(const CPythonLayout& layout, const Bytes& object,
                        const FakeProcessMemory& memory) {
  const stprof_process& w = layout.walker;
  uint8_t window[STPROF_CODE_WINDOW] = {};
  std::memcpy(window, object.data() + w.code_fingerprint, w.code_fingerprint_size);
  uint64_t name = 0;
  std::memcpy(&name, object.data() + w.code_name, sizeof(name));
  uint32_t serial = 0;
  if (w.code_serial) std::memcpy(&serial, object.data() + w.code_serial, sizeof(serial));
  uint8_t name_window[STPROF_NAME_WINDOW + 8] = {};
  uint32_t name_size = stprof_name_window_size(&w);  // the name is read unless there is a serial
  if (serial != 0 || !memory.read(name + w.str_length, name_window, name_size)) name_size = 0;
  return stprof_fingerprint(window, name_window, name_size, &w);
}

// Functions laid out in `memory` one after another from `base`, each with its own code object,
// names and the line table above: instruction i of a function whose first line is L is on line
// L + (0, 1, 1, 2, 2)[i].
class FakeFunctions {
 public:
  FakeFunctions(const CPythonLayout& layout, FakeProcessMemory& memory, uint64_t base)
      : layout_(layout), memory_(memory), next_(base) {}

  // The frame the sampler records for instruction `instr` of a new function.
  stprof_frame add(const std::string& qualname, const std::string& file, int32_t first_line,
                   int32_t instr = 0) {
    CodeFields fields;
    fields.filename = place(ascii_str(layout_, file));
    fields.name = place(ascii_str(layout_, qualname));
    fields.qualname = fields.name;
    fields.linetable = place(bytes_object(layout_, kLineTable));
    fields.first_line = first_line;
    Bytes code = code_object(layout_, fields);
    uint64_t address = place(code);
    return {address, instr, fingerprint_of(layout_, code, memory_)};
  }

 private:
  uint64_t place(Bytes object) {
    uint64_t address = next_;
    next_ += (object.size() + 0xfff) & ~uint64_t{0xfff};
    memory_.add(address, std::move(object));
    return address;
  }

  CPythonLayout layout_;
  FakeProcessMemory& memory_;
  uint64_t next_;
};

}  // namespace stprof::fake
