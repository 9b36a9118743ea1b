// CodeSymbolizer (symbolize/code_symbolizer.h), read_str and read_bytes
// (symbolize/cpython_objects.h) on arbitrary memory of another process, for every CPython layout
// 3.8-3.15 (cpython/layout.h).
//
// Input (little-endian, see fuzz_input.h):
//   u8 flags       bit 0: the frame's fingerprint is computed from the memory (else taken from the
//                  input); bit 1: a u16 n and n bytes follow, a target's _Py_DebugOffsets table:
//                  the 3.13+ layouts it passes apply_debug_offsets for (its own minor's, if
//                  valid) are what a hostile interpreter may set; the others stay static
//   frame          u64 code, i32 instr, u32 fingerprint, i32 second instr
//   u8 count       memory blocks (at most kMaxBlocks), each: u8 kind, u64 address, then
//     kind 0 raw    u16 n, n bytes
//     kind 1 str    i64 length, u32 state, u16 n, n bytes of character data   (PyUnicodeObject)
//     kind 2 bytes  i64 ob_size, u16 n, n bytes of payload                    (PyBytesObject)
//     kind 3 code   u64 co_filename, u64 co_name (and co_qualname), u64 line table, i32
//                   co_firstlineno, i32 _co_firsttraceable, u16 n, n bytes under the fields
// Typed blocks are laid out at the offsets of the layout being tried, so one input is a
// plausible code object for every version; header values stay whatever the input says.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "fuzz_input.h"
#include "stprof_abi.h"
#include "symbolize/code_symbolizer.h"
#include "symbolize/cpython_objects.h"
#include "symbolize/process_memory.h"

using namespace stprof;

namespace {

constexpr size_t kMaxBlocks = 16;

struct Block {
  uint8_t kind = 0;
  uint64_t address = 0;
  std::vector<uint8_t> bytes;  // raw bytes, str/bytes data, or what lies under the code fields
  int64_t size = 0;            // str length, bytes ob_size
  uint32_t state = 0;          // str state
  uint64_t filename = 0, name = 0, linetable = 0;
  int32_t first_line = 0, first_traceable = 0;
};

template <class T>
void put(std::vector<uint8_t>& object, size_t offset, T value) {
  if (object.size() < offset + sizeof(T)) object.resize(offset + sizeof(T));
  std::memcpy(object.data() + offset, &value, sizeof(T));
}

std::vector<uint8_t> lay_out(const Block& block, const CPythonLayout& layout) {
  std::vector<uint8_t> object;
  switch (block.kind) {
    case 1: {
      const bool ascii = (block.state >> 6) & 1;
      const size_t data = ascii ? layout.unicode_ascii_data : layout.unicode_compact_data;
      object.resize(data);
      object.insert(object.end(), block.bytes.begin(), block.bytes.end());
      put(object, layout.unicode_length, block.size);
      put(object, layout.unicode_state, block.state);
      break;
    }
    case 2:
      object.resize(layout.bytes_data);
      object.insert(object.end(), block.bytes.begin(), block.bytes.end());
      put(object, layout.bytes_size, block.size);
      break;
    case 3:
      object = block.bytes;
      put(object, layout.code_filename, block.filename);
      put(object, layout.code_name, block.name);
      if (layout.code_qualname) put(object, layout.code_qualname, block.name);
      put(object, layout.code_linetable, block.linetable);
      put(object, layout.code_firstlineno, block.first_line);
      if (layout.code_first_traceable) {
        put(object, layout.code_first_traceable, block.first_traceable);
      }
      if (object.size() < size_t{layout.walker.code_fingerprint} + STPROF_CODE_WINDOW) {
        object.resize(size_t{layout.walker.code_fingerprint} + STPROF_CODE_WINDOW);
      }
      break;
    default:
      object = block.bytes;
  }
  return object;
}

bool valid_utf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<uint8_t>(text[i]);
    const size_t n = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3
                   : (lead >> 3) == 30                  ? 4
                                                        : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (size_t k = 1; k < n; k++) {
      if ((static_cast<uint8_t>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void check_str(const std::optional<std::string>& text) {
  if (!text) return;
  FUZZ_CHECK(text->size() <= kMaxStringChars * 4);
  FUZZ_CHECK(valid_utf8(*text));
}

bool same(const std::optional<FrameSymbol>& a, const std::optional<FrameSymbol>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->function == b->function && a->file == b->file && a->line == b->line &&
                a->incomplete == b->incomplete);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const uint8_t flags = in.take<uint8_t>();
  const std::span<const uint8_t> debug_offsets =
      (flags & 2) ? in.take_sized() : std::span<const uint8_t>();
  stprof_frame frame{};
  frame.code = in.take<uint64_t>();
  frame.instr = in.take<int32_t>();
  frame.fingerprint = in.take<uint32_t>();
  const int32_t second_instr = in.take<int32_t>();

  std::vector<Block> blocks(std::min<size_t>(in.take<uint8_t>(), kMaxBlocks));
  for (Block& b : blocks) {
    b.kind = in.take<uint8_t>() & 3;
    b.address = in.take<uint64_t>();
    if (b.kind == 1) {
      b.size = in.take<int64_t>();
      b.state = in.take<uint32_t>();
    } else if (b.kind == 2) {
      b.size = in.take<int64_t>();
    } else if (b.kind == 3) {
      b.filename = in.take<uint64_t>();
      b.name = in.take<uint64_t>();
      b.linetable = in.take<uint64_t>();
      b.first_line = in.take<int32_t>();
      b.first_traceable = in.take<int32_t>();
    }
    std::span<const uint8_t> bytes = in.take_sized();
    b.bytes.assign(bytes.begin(), bytes.end());
  }

  for (int minor = 8; minor <= 15; minor++) {
    Result<CPythonLayout> layout_or = layout_for(PythonVersion{3, minor, 0});
    FUZZ_CHECK(layout_or.ok());
    CPythonLayout layout = *layout_or;
    if ((flags & 2) && debug_offsets_size(PythonVersion{3, minor, 0}) > 0) {
      (void)apply_debug_offsets(PythonVersion{3, minor, 0}, debug_offsets, layout);  // or static
    }
    // What fingerprint_now() relies on, for static and target-given layouts alike: the name
    // pointer lies inside the fingerprint window.
    const stprof_process& walker = layout.walker;
    FUZZ_CHECK(walker.code_fingerprint_size >= 8 &&
               walker.code_fingerprint_size <= STPROF_CODE_WINDOW &&
               walker.code_name >= walker.code_fingerprint &&
               walker.code_name + 8 <= walker.code_fingerprint + walker.code_fingerprint_size);

    FakeProcessMemory memory;
    for (const Block& b : blocks) memory.add(b.address, lay_out(b, layout));

    stprof_frame sampled = frame;
    if (flags & 1) {
      // What the sampler would have recorded: the code window and the name window hashed.
      const stprof_process& w = layout.walker;
      uint8_t window[STPROF_CODE_WINDOW] = {};
      uint8_t name_window[STPROF_NAME_WINDOW + 8] = {};
      uint64_t name = 0;
      uint32_t name_size = stprof_name_window_size(&w);
      if (w.code_fingerprint_size <= STPROF_CODE_WINDOW &&
          memory.read(frame.code + w.code_fingerprint, window, w.code_fingerprint_size)) {
        std::memcpy(&name, window + (w.code_name - w.code_fingerprint), 8);  // checked above
        if (!name || !memory.read(name + w.str_length, name_window, name_size)) name_size = 0;
        sampled.fingerprint = stprof_fingerprint(window, name_window, name_size, &w);
      }
    }

    CodeSymbolizer symbolizer(memory, layout);
    const std::optional<FrameSymbol> symbol = symbolizer.symbolize(sampled);
    if (symbol) {
      FUZZ_CHECK(valid_utf8(symbol->function) && valid_utf8(symbol->file));
      if (sampled.instr >= 0) FUZZ_CHECK(symbol->line >= 0);
    }
    FUZZ_CHECK(same(symbol, symbolizer.symbolize(sampled)));  // the cached answer
    stprof_frame later = sampled;
    later.instr = second_instr;
    const std::optional<FrameSymbol> other = symbolizer.symbolize(later);
    FUZZ_CHECK(symbol.has_value() == other.has_value());  // same code object, other line

    for (const Block& b : blocks) {
      for (uint64_t address : {b.address, b.filename, b.name, b.linetable}) {
        check_str(read_str(memory, layout, address));
        if (std::optional<std::vector<uint8_t>> bytes = read_bytes(memory, layout, address)) {
          FUZZ_CHECK(bytes->size() <= kMaxBytesSize);
        }
      }
    }
  }
  return 0;
}
