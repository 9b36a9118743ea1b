// Tests for symbolize/code_symbolizer: a CPython 3.11 code object built byte by byte in a
// FakeProcessMemory (co_filename, co_qualname, co_linetable, co_firstlineno at the
// CPythonLayout offsets), symbolized from stprof_frame records as the sampler writes them.

#include "symbolize/code_symbolizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cpython/layout.h"
#include "fake_cpython_objects.h"
#include "stprof_abi.h"
#include "symbolize/process_memory.h"

namespace stprof {
namespace {

using namespace fake;  // NOLINT: the objects under test

class CodeSymbolizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(layout_.walker.code_fingerprint_size, 0);
    ASSERT_LE(layout_.walker.code_fingerprint_size, STPROF_CODE_WINDOW);
    memory_.add(kFilename, ascii_str(layout_, "/srv/app/jobs.py"));
    memory_.add(kName, ascii_str(layout_, "compute"));
    memory_.add(kQualname, ascii_str(layout_, "Worker.compute"));
    memory_.add(kLinetable, bytes_object(layout_, kLineTable));
    memory_.add(kOtherQualname, ucs2_str(layout_, {0x8a08, 0x7b97}));  // "計算"
    code_ = code_object(layout_, CodeFields{});
    memory_.add(kCode, code_);
  }

  stprof_frame frame(int32_t instr) const { return {kCode, instr, fingerprint_of(layout_, code_, memory_)}; }

  CPythonLayout layout_ = layout_of(11);
  FakeProcessMemory memory_;
  Bytes code_;
};

TEST_F(CodeSymbolizerTest, GivesQualnameFileAndLine) {
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> symbol = symbolizer.symbolize(frame(1));
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->function, "Worker.compute") << "co_qualname, not co_name, names 3.11 code";
  EXPECT_EQ(symbol->file, "/srv/app/jobs.py");
  EXPECT_EQ(symbol->line, 2);
}

TEST_F(CodeSymbolizerTest, EachInstructionGetsItsLine) {
  CodeSymbolizer symbolizer(memory_, layout_);
  const int expected_lines[] = {1, 2, 2, 3, 3};
  for (int instr = 0; instr < 5; instr++) {
    std::optional<FrameSymbol> symbol = symbolizer.symbolize(frame(instr));
    ASSERT_TRUE(symbol) << "instr " << instr;
    EXPECT_EQ(symbol->line, expected_lines[instr]) << "instr " << instr;
  }
}

TEST_F(CodeSymbolizerTest, FrameNotStartedGetsFirstLine) {
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> symbol = symbolizer.symbolize(frame(-1));
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->line, kFirstLine);
}

TEST_F(CodeSymbolizerTest, InstructionPastTheTableHasLineZero) {
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> symbol = symbolizer.symbolize(frame(5));
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->function, "Worker.compute");
  EXPECT_EQ(symbol->line, 0);
}

TEST_F(CodeSymbolizerTest, NonAsciiQualname) {
  CodeFields fields;
  fields.qualname = kOtherQualname;
  Bytes code = code_object(layout_, fields);
  memory_.add(kCode, code);
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> symbol =
      symbolizer.symbolize({kCode, 3, fingerprint_of(layout_, code, memory_)});
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->function, "計算");
  EXPECT_EQ(symbol->line, 3);
}

TEST_F(CodeSymbolizerTest, FrameWhoseExecutableIsNoneIsHidden) {
  // 3.13's entry frame (f_executable = Py_None), read with a stale owner: hidden, not unknown.
  constexpr uint64_t kNone = 0xa084f0;
  memory_.add(kNone, Bytes(16, 0));
  CodeSymbolizer symbolizer(memory_, layout_, kNone);
  std::optional<FrameSymbol> symbol = symbolizer.symbolize({kNone, 0, 0});
  ASSERT_TRUE(symbol);
  EXPECT_TRUE(symbol->incomplete);
  // Code objects are named as ever.
  symbol = symbolizer.symbolize(frame(1));
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->function, "Worker.compute");
  EXPECT_FALSE(symbol->incomplete);
}

TEST_F(CodeSymbolizerTest, WrongFingerprintGivesNullopt) {
  CodeSymbolizer symbolizer(memory_, layout_);
  stprof_frame sampled = frame(1);
  sampled.fingerprint ^= 1;
  EXPECT_EQ(symbolizer.symbolize(sampled), std::nullopt);
}

TEST_F(CodeSymbolizerTest, CodeFreedAndAddressReusedGivesNullopt) {
  // The sampler saw the original code; by symbolization time it was freed and another code
  // object (other name, other first line) took its address.
  stprof_frame sampled = frame(1);
  CodeFields other;
  other.qualname = kOtherQualname;
  other.first_line = 40;
  Bytes reused = code_object(layout_, other);
  ASSERT_NE(fingerprint_of(layout_, reused, memory_), sampled.fingerprint);
  memory_.add(kCode, reused);

  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize(sampled), std::nullopt);

  // A frame sampled from the new code is symbolized as the new code.
  std::optional<FrameSymbol> now =
      symbolizer.symbolize({kCode, 1, fingerprint_of(layout_, reused, memory_)});
  ASSERT_TRUE(now);
  EXPECT_EQ(now->function, "計算");
  EXPECT_EQ(now->line, 41);
}

TEST_F(CodeSymbolizerTest, NewNameAtTheSameAddressWithTheSameWindowIsNotTheSameCode) {
  // What CPython does all the time: a function is freed, another takes its address, and its
  // name string takes the old name's memory, so every byte of the window is the same. Only the
  // name's content (its cached hash) tells them apart.
  stprof_frame sampled = frame(1);
  memory_.add(kQualname, ascii_str(layout_, "Worker.other"));
  ASSERT_NE(fingerprint_of(layout_, code_, memory_), sampled.fingerprint);
  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize(sampled), std::nullopt);
}

TEST_F(CodeSymbolizerTest, ReusedAddressWithNewFingerprintIsNotServedFromCache) {
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> before = symbolizer.symbolize(frame(1));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->function, "Worker.compute");

  CodeFields other;
  other.qualname = kOtherQualname;
  other.first_line = 40;
  Bytes reused = code_object(layout_, other);
  memory_.add(kCode, reused);
  std::optional<FrameSymbol> after =
      symbolizer.symbolize({kCode, 1, fingerprint_of(layout_, reused, memory_)});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->function, "計算");
  EXPECT_EQ(after->line, 41);
}

TEST_F(CodeSymbolizerTest, SameCodeIsReadOnce) {
  CodeSymbolizer symbolizer(memory_, layout_);
  ASSERT_TRUE(symbolizer.symbolize(frame(1)));
  // Frames of the same code sampled earlier are answered even after the code is gone.
  memory_.add(kCode, Bytes{});
  std::optional<FrameSymbol> cached = symbolizer.symbolize(frame(3));
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->function, "Worker.compute");
  EXPECT_EQ(cached->line, 3);
}

TEST_F(CodeSymbolizerTest, UnmappedCodeGivesNullopt) {
  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize({kUnmapped, 0, fingerprint_of(layout_, code_, memory_)}), std::nullopt);
}

TEST_F(CodeSymbolizerTest, UnreadableQualnameGivesNullopt) {
  CodeFields fields;
  fields.qualname = kUnmapped;
  Bytes code = code_object(layout_, fields);
  memory_.add(kCode, code);
  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize({kCode, 1, fingerprint_of(layout_, code, memory_)}), std::nullopt);
}

TEST_F(CodeSymbolizerTest, UnreadableFilenameGivesNullopt) {
  CodeFields fields;
  fields.filename = kUnmapped;
  Bytes code = code_object(layout_, fields);
  memory_.add(kCode, code);
  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize({kCode, 1, fingerprint_of(layout_, code, memory_)}), std::nullopt);
}

TEST_F(CodeSymbolizerTest, UnreadableLineTableStillNamesTheFunction) {
  CodeFields fields;
  fields.linetable = kUnmapped;
  Bytes code = code_object(layout_, fields);
  memory_.add(kCode, code);
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> symbol =
      symbolizer.symbolize({kCode, 3, fingerprint_of(layout_, code, memory_)});
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->function, "Worker.compute");
  EXPECT_EQ(symbol->file, "/srv/app/jobs.py");
  EXPECT_EQ(symbol->line, 0);
}

// 3.12+: code objects carry a serial (co_version), so the window alone tells a code object from
// one that took its address later; the name is not part of the fingerprint.
class SerialCodeSymbolizerTest : public CodeSymbolizerTest {
 protected:
  SerialCodeSymbolizerTest() { layout_ = layout_of(12); }
  Bytes code_with(uint32_t serial) {
    CodeFields fields;
    fields.serial = serial;
    return code_object(layout_, fields);
  }
};

TEST_F(SerialCodeSymbolizerTest, SameWindowWithAnotherSerialIsNotTheSameCode) {
  Bytes first = code_with(7001);
  memory_.add(kCode, first);
  stprof_frame sampled{kCode, 1, fingerprint_of(layout_, first, memory_)};
  memory_.add(kCode, code_with(7002));  // freed; the next code object took every byte but this
  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize(sampled), std::nullopt);
}

TEST_F(SerialCodeSymbolizerTest, NameIsNotHashedWhenThereIsASerial) {
  Bytes code = code_with(7001);
  memory_.add(kCode, code);
  stprof_frame sampled{kCode, 1, fingerprint_of(layout_, code, memory_)};
  CodeSymbolizer symbolizer(memory_, layout_);
  std::optional<FrameSymbol> symbol = symbolizer.symbolize(sampled);
  ASSERT_TRUE(symbol);
  EXPECT_EQ(symbol->function, "Worker.compute");
  // The sampler did not read the name, so its content cannot be in the fingerprint.
  memory_.add(kQualname, ascii_str(layout_, "Worker.other"));
  EXPECT_EQ(fingerprint_of(layout_, code, memory_), sampled.fingerprint);
}

TEST_F(SerialCodeSymbolizerTest, SerialsUsedUpFallBackToTheName) {
  // co_version is 0 once the interpreter's 2^32 versions are used up: the name counts again.
  Bytes code = code_with(0);
  memory_.add(kCode, code);
  stprof_frame sampled{kCode, 1, fingerprint_of(layout_, code, memory_)};
  memory_.add(kQualname, ascii_str(layout_, "Worker.other"));
  ASSERT_NE(fingerprint_of(layout_, code, memory_), sampled.fingerprint);
  CodeSymbolizer symbolizer(memory_, layout_);
  EXPECT_EQ(symbolizer.symbolize(sampled), std::nullopt);
}

TEST(Fingerprint, EveryLayoutHashesFirstLineAndTheNamePointer) {
  // The fingerprint must change when another code object takes the address: the first line and
  // the name pointer (whose string the sampler reads too) are in hashed words of the window.
  for (int minor = 8; minor <= 15; minor++) {
    SCOPED_TRACE("CPython 3." + std::to_string(minor));
    Result<CPythonLayout> layout = layout_for(PythonVersion{3, minor, 0});
    ASSERT_TRUE(layout.ok());
    const stprof_process& w = layout->walker;
    auto hashed = [&](size_t offset, size_t size) {
      if (offset < w.code_fingerprint || offset + size > w.code_fingerprint + w.code_fingerprint_size) {
        return false;
      }
      size_t word = (offset - w.code_fingerprint) / 8;
      return (offset - w.code_fingerprint) / 8 == (offset + size - 1 - w.code_fingerprint) / 8 &&
             ((w.code_fingerprint_mask >> word) & 1);
    };
    EXPECT_EQ(w.code_fingerprint_size % 8, 0);
    EXPECT_LE(w.code_fingerprint_size, STPROF_CODE_WINDOW);
    EXPECT_TRUE(hashed(layout->code_firstlineno, 4));
    EXPECT_TRUE(hashed(w.code_name, 8));
    EXPECT_EQ((w.code_name - w.code_fingerprint) % 8, 0);
    EXPECT_EQ(w.code_name, minor >= 11 ? layout->code_qualname : layout->code_name);
    EXPECT_LE(stprof_name_window_size(&w), STPROF_NAME_WINDOW);
    if (minor >= 12) {
      EXPECT_TRUE(hashed(w.code_serial, 4)) << "co_version";
    } else {
      EXPECT_EQ(w.code_serial, 0) << "no serial before 3.12";
    }
  }
}

}  // namespace
}  // namespace stprof
