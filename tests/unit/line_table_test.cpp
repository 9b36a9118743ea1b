// Tests for cpython/line_table: fixtures recorded from real interpreters by
// tools/gen-line-table-fixtures.py, plus hand-built tables and hostile inputs.

#include "cpython/line_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef STPROF_TEST_DATA_DIR
#error "compile with -DSTPROF_TEST_DATA_DIR=\"<repo>/tests/unit/data\""
#endif

namespace stprof {
namespace {

using Bytes = std::vector<uint8_t>;

std::optional<int> line_at(LineTableFormat format, const Bytes& table, int first_line, int instr) {
  return line_for_instruction(format, std::span<const uint8_t>(table), first_line, instr);
}

// ---------------------------------------------------------------------------------------------
// Fixtures: tests/unit/data/line_tables/<interpreter>.txt, one test per recorded code object.

struct Expectation {
  int instr = 0;
  std::optional<int> line;  // nullopt: the interpreter reported None
  std::string source;       // "trace" (seen executing) or "capi" (PyCode_Addr2Line)
  int fixture_line = 0;
};

struct FixtureCode {
  std::string interpreter;  // fixture file stem, e.g. "pyenv-3.10.13"
  std::string python_version;
  std::string code_name;  // "<index>:<qualname>"
  LineTableFormat format = LineTableFormat::kLnotab;
  int first_line = 0;
  int code_units = 0;
  Bytes table;
  std::vector<Expectation> expectations;
  int fixture_line = 0;
};

struct FixtureSet {
  std::vector<FixtureCode> codes;
  std::vector<std::string> files;
  std::vector<std::string> errors;
};

std::optional<LineTableFormat> parse_format(const std::string& name) {
  if (name == "lnotab") return LineTableFormat::kLnotab;
  if (name == "linetable310") return LineTableFormat::kLinetable310;
  if (name == "locations") return LineTableFormat::kLocationTable;
  return std::nullopt;
}

std::optional<Bytes> parse_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    try {
      size_t used = 0;
      const int byte = std::stoi(hex.substr(i, 2), &used, 16);
      if (used != 2) return std::nullopt;
      out.push_back(static_cast<uint8_t>(byte));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return out;
}

// Grammar (see tools/gen-line-table-fixtures.py):
//   python <version>
//   code <name> format <fmt> first_line <n> code_units <n> table <hex>
//   at <instr> line <n> <source>  |  at <instr> none <source>
void load_fixture(const std::filesystem::path& path, FixtureSet& set) {
  const std::string interpreter = path.stem().string();
  std::ifstream in(path);
  if (!in) {
    set.errors.push_back(path.string() + ": cannot open");
    return;
  }
  set.files.push_back(interpreter);
  std::string python_version;
  std::string text;
  int lineno = 0;
  auto fail = [&](const std::string& why) {
    set.errors.push_back(path.string() + ":" + std::to_string(lineno) + ": " + why + ": " + text);
  };
  while (std::getline(in, text)) {
    ++lineno;
    if (text.empty() || text[0] == '#') continue;
    std::istringstream words(text);
    std::string kind;
    words >> kind;
    if (kind == "python") {
      words >> python_version;
    } else if (kind == "code") {
      FixtureCode code;
      std::string k_format, format, k_first, k_units, k_table, hex;
      words >> code.code_name >> k_format >> format >> k_first >> code.first_line >> k_units >>
          code.code_units >> k_table;
      words >> hex;  // an empty table is legal
      const auto fmt = parse_format(format);
      const auto bytes = parse_hex(hex);
      if (!words.eof() && words.fail()) return fail("bad code record");
      if (k_format != "format" || k_first != "first_line" || k_units != "code_units" ||
          k_table != "table" || !fmt || !bytes) {
        return fail("bad code record");
      }
      code.interpreter = interpreter;
      code.python_version = python_version;
      code.format = *fmt;
      code.table = *bytes;
      code.fixture_line = lineno;
      set.codes.push_back(std::move(code));
    } else if (kind == "at") {
      if (set.codes.empty() || set.codes.back().interpreter != interpreter) {
        return fail("'at' before any 'code'");
      }
      Expectation e;
      std::string what;
      words >> e.instr >> what;
      if (what == "line") {
        int line = 0;
        words >> line;
        e.line = line;
      } else if (what != "none") {
        return fail("expected 'line' or 'none'");
      }
      words >> e.source;
      if (words.fail()) return fail("bad 'at' record");
      e.fixture_line = lineno;
      set.codes.back().expectations.push_back(e);
    } else {
      return fail("unknown record");
    }
  }
}

const FixtureSet& fixtures() {
  static const FixtureSet set = [] {
    FixtureSet s;
    const std::filesystem::path dir = std::filesystem::path(STPROF_TEST_DATA_DIR) / "line_tables";
    std::vector<std::filesystem::path> paths;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".txt") paths.push_back(entry.path());
    }
    if (ec) s.errors.push_back(dir.string() + ": " + ec.message());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) load_fixture(p, s);
    return s;
  }();
  return set;
}

std::string test_name(const testing::TestParamInfo<FixtureCode>& info) {
  // e.g. "pyenv_3_10_13__12_withs": which interpreter, which code object.
  std::string name = info.param.interpreter + "__" + info.param.code_name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + "_" + std::to_string(info.index);  // unique even if sanitizing collides
}

class InterpreterFixture : public testing::TestWithParam<FixtureCode> {};

TEST_P(InterpreterFixture, DecoderMatchesInterpreter) {
  const FixtureCode& code = GetParam();
  ASSERT_FALSE(code.expectations.empty());
  int mismatches = 0;
  for (const Expectation& e : code.expectations) {
    const auto got = line_at(code.format, code.table, code.first_line, e.instr);
    if (got == e.line) continue;
    if (++mismatches > 20) continue;  // keep the report readable
    ADD_FAILURE() << "Python " << code.python_version << " (" << code.interpreter << ".txt:"
                  << e.fixture_line << ") code " << code.code_name << " first_line "
                  << code.first_line << " instr " << e.instr << ": interpreter (" << e.source
                  << ") says " << (e.line ? std::to_string(*e.line) : "None") << ", decoder says "
                  << (got ? std::to_string(*got) : "None");
  }
  EXPECT_EQ(mismatches, 0) << code.interpreter << " " << code.code_name;
}

TEST_P(InterpreterFixture, PastTheEnd) {
  const FixtureCode& code = GetParam();
  const auto past = line_at(code.format, code.table, code.first_line, code.code_units);
  if (code.format == LineTableFormat::kLnotab) {
    // No end marker in co_lnotab: the interpreter keeps the last line, and so do we.
    EXPECT_EQ(past, line_at(code.format, code.table, code.first_line, code.code_units - 1));
  } else {
    // 3.10+ tables cover exactly co_code; one past the end has no line.
    EXPECT_EQ(past, std::nullopt) << code.interpreter << " " << code.code_name;
  }
  EXPECT_EQ(line_at(code.format, code.table, code.first_line, -1), code.first_line);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, InterpreterFixture, testing::ValuesIn(fixtures().codes),
                         test_name);

TEST(LineTableFixtures, LoadedCleanly) {
  const FixtureSet& set = fixtures();
  for (const auto& e : set.errors) ADD_FAILURE() << e;
  ASSERT_FALSE(set.codes.empty()) << "no fixtures under " STPROF_TEST_DATA_DIR "/line_tables";
  std::set<LineTableFormat> formats;
  size_t traced = 0;
  for (const auto& c : set.codes) {
    formats.insert(c.format);
    traced += std::count_if(c.expectations.begin(), c.expectations.end(),
                            [](const Expectation& e) { return e.source == "trace"; });
  }
  EXPECT_EQ(formats.size(), 3u) << "want fixtures for all of 3.8/3.9, 3.10 and 3.11+";
  EXPECT_GT(traced, 1000u) << "fixtures should be dominated by lines seen while executing";
  for (const auto& f : set.files) {
    EXPECT_TRUE(std::any_of(set.codes.begin(), set.codes.end(),
                            [&](const FixtureCode& c) { return c.interpreter == f; }))
        << f << " has no code records";
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-built tables.

constexpr auto kLnotab = LineTableFormat::kLnotab;
constexpr auto k310 = LineTableFormat::kLinetable310;
constexpr auto kLoc = LineTableFormat::kLocationTable;

// Encoders for the 3.11+ location table, as in InternalDocs/code_objects.md.
void put_varint(Bytes& out, uint32_t v) {
  while (v >= 64) {
    out.push_back(static_cast<uint8_t>(0x40 | (v & 63)));
    v >>= 6;
  }
  out.push_back(static_cast<uint8_t>(v));
}
void put_svarint(Bytes& out, int64_t v) {
  put_varint(out, v < 0 ? static_cast<uint32_t>((-v) << 1 | 1) : static_cast<uint32_t>(v << 1));
}
uint8_t entry(int code, int units) { return static_cast<uint8_t>(0x80 | code << 3 | (units - 1)); }

TEST(LineTable, NotStartedYetIsFirstLine) {
  const Bytes garbage = {0xff, 0x00, 0x80, 0x7f, 0xc3};
  for (auto fmt : {kLnotab, k310, kLoc}) {
    EXPECT_EQ(line_at(fmt, {}, 42, -1), 42);
    EXPECT_EQ(line_at(fmt, garbage, 42, -1), 42);
    EXPECT_EQ(line_at(fmt, garbage, 42, INT_MIN), 42);
  }
}

TEST(LineTable, EmptyTable) {
  // lnotab: no pairs, so every instruction is on co_firstlineno (PyCode_Addr2Line's answer).
  EXPECT_EQ(line_at(kLnotab, {}, 7, 0), 7);
  EXPECT_EQ(line_at(kLnotab, {}, 7, 1000), 7);
  // 3.10+: the table covers nothing.
  EXPECT_EQ(line_at(k310, {}, 7, 0), std::nullopt);
  EXPECT_EQ(line_at(kLoc, {}, 7, 0), std::nullopt);
}

TEST(LineTable, LnotabNotesExample) {
  // Objects/lnotab_notes.txt: offsets 0,6,50,350,361 -> lines 1,2,7,207,208, with the 300-byte /
  // 200-line step split as (255,0) (45,127) (0,73).
  const Bytes t = {0, 1, 6, 1, 44, 5, 255, 0, 45, 127, 0, 73, 11, 1};
  EXPECT_EQ(line_at(kLnotab, t, 0, 0), 1);
  EXPECT_EQ(line_at(kLnotab, t, 0, 2), 1);    // byte 4
  EXPECT_EQ(line_at(kLnotab, t, 0, 3), 2);    // byte 6
  EXPECT_EQ(line_at(kLnotab, t, 0, 24), 2);   // byte 48
  EXPECT_EQ(line_at(kLnotab, t, 0, 25), 7);   // byte 50
  EXPECT_EQ(line_at(kLnotab, t, 0, 174), 7);  // byte 348
  EXPECT_EQ(line_at(kLnotab, t, 0, 175), 207);
  EXPECT_EQ(line_at(kLnotab, t, 0, 180), 207);  // byte 360
  EXPECT_EQ(line_at(kLnotab, t, 0, 181), 208);  // byte 362
  EXPECT_EQ(line_at(kLnotab, t, 0, 100000), 208);  // no end marker: last line holds
}

TEST(LineTable, LnotabSignedDeltas) {
  // 3.8+ line deltas are int8: 0x80 is -128 (there is no "no line" value in lnotab).
  const Bytes t = {0, 0x7f, 0, 0x7f, 4, 0x80, 0, 0x80, 0, 0xd3, 2, 0xff};
  EXPECT_EQ(line_at(kLnotab, t, 1000, 0), 1000 + 254);
  EXPECT_EQ(line_at(kLnotab, t, 1000, 1), 1000 + 254);
  EXPECT_EQ(line_at(kLnotab, t, 1000, 2), 1000 + 254 - 128 - 128 - 45);  // byte 4
  EXPECT_EQ(line_at(kLnotab, t, 1000, 3), 1000 + 254 - 128 - 128 - 45 - 1);
}

TEST(LineTable, Linetable310) {
  // (6 bytes, +1) (0,+127) (0,+127) (8 bytes, +46) (4 bytes, no line) (254, -5) (10, 0)
  // (2 bytes, -127) (2 bytes, -128 = no line) (2 bytes, +1)
  const Bytes t = {6, 1, 0, 127, 0, 127, 8, 46, 4, 0x80, 254, 0xfb, 10, 0, 2, 0x81, 2, 0x80, 2, 1};
  EXPECT_EQ(line_at(k310, t, 100, 0), 101);
  EXPECT_EQ(line_at(k310, t, 100, 2), 101);
  EXPECT_EQ(line_at(k310, t, 100, 3), 401);  // 101 + 127 + 127 + 46
  EXPECT_EQ(line_at(k310, t, 100, 6), 401);
  EXPECT_EQ(line_at(k310, t, 100, 7), std::nullopt);  // -128 range
  EXPECT_EQ(line_at(k310, t, 100, 8), std::nullopt);
  EXPECT_EQ(line_at(k310, t, 100, 9), 396);  // no-line range did not move the running line
  EXPECT_EQ(line_at(k310, t, 100, 135), 396);
  EXPECT_EQ(line_at(k310, t, 100, 136), 396);  // the (10, 0) continuation, bytes 272..281
  EXPECT_EQ(line_at(k310, t, 100, 140), 396);
  EXPECT_EQ(line_at(k310, t, 100, 141), 269);
  EXPECT_EQ(line_at(k310, t, 100, 142), std::nullopt);
  EXPECT_EQ(line_at(k310, t, 100, 143), 270);
  EXPECT_EQ(line_at(k310, t, 100, 144), std::nullopt);  // past the end (288 bytes)
}

TEST(LineTable, Linetable310OffsetsAreBytes) {
  // A 3-byte range: byte offsets 0..2 -> instructions 0 and 1 (byte 2 is instruction 1).
  const Bytes t = {3, 1, 3, 1};
  EXPECT_EQ(line_at(k310, t, 1, 0), 2);
  EXPECT_EQ(line_at(k310, t, 1, 1), 2);
  EXPECT_EQ(line_at(k310, t, 1, 2), 3);  // byte 4
  EXPECT_EQ(line_at(k310, t, 1, 3), std::nullopt);
}

TEST(LineTable, LocationTableAllForms) {
  Bytes t;
  t.push_back(entry(0, 2));  // short form, same line (co_firstlineno)
  t.push_back(0x12);
  t.push_back(entry(11, 1));  // one-line form, +1
  t.insert(t.end(), {4, 9});
  t.push_back(entry(12, 3));  // one-line form, +2
  t.insert(t.end(), {0, 1});
  t.push_back(entry(15, 2));  // no location
  t.push_back(entry(10, 1));  // one-line form, +0
  t.insert(t.end(), {0, 1});
  t.push_back(entry(14, 4));  // long form: +100000, end line +3, col 5, end col 300
  put_svarint(t, 100000);
  put_varint(t, 3);
  put_varint(t, 6);
  put_varint(t, 301);
  t.push_back(entry(13, 1));  // no-column form: -99999
  put_svarint(t, -99999);
  t.push_back(entry(9, 8));  // short form, 8 units
  t.push_back(0x00);
  t.push_back(entry(14, 1));  // long form, negative delta past first_line's neighbourhood
  put_svarint(t, -7);
  put_varint(t, 0);
  put_varint(t, 1);
  put_varint(t, 2);

  const int f = 50;
  std::vector<std::optional<int>> want = {
      50, 50,                                       // short
      51,                                           // +1
      53, 53, 53,                                   // +2
      std::nullopt, std::nullopt,                   // none
      53,                                           // +0
      100053, 100053, 100053, 100053,               // long
      54,                                           // no-column
      54, 54, 54, 54, 54, 54, 54, 54,               // short x8
      47,                                           // long, -7
      std::nullopt,                                 // past the end
  };
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(line_at(kLoc, t, f, static_cast<int>(i)), want[i]) << "instr " << i;
  }
}

TEST(LineTable, LocationTableNoLocationKeepsRunningLine) {
  // 3.12+ emits code-15 entries in the middle of a function: the next delta is relative to the
  // last real line, not to "none".
  Bytes t = {entry(11, 1), 0, 1, entry(15, 1), entry(11, 1), 0, 1};
  EXPECT_EQ(line_at(kLoc, t, 1, 0), 2);
  EXPECT_EQ(line_at(kLoc, t, 1, 1), std::nullopt);
  EXPECT_EQ(line_at(kLoc, t, 1, 2), 3);
}

TEST(LineTable, BigDeltasDoNotOverflow) {
  // Varint deltas near 2^31 stack up past INT_MAX: corrupt, so no line, and no UB.
  Bytes t;
  for (int i = 0; i < 3; ++i) {
    t.push_back(entry(13, 1));
    put_varint(t, 0xfffffffeu);  // svarint +2^31-1
  }
  EXPECT_EQ(line_at(kLoc, t, 1, 0), std::nullopt);  // 2^31 > INT_MAX
  EXPECT_EQ(line_at(kLoc, t, INT_MAX, 2), std::nullopt);
  EXPECT_EQ(line_at(kLoc, t, INT_MIN, 0), std::nullopt);  // INT_MIN + 2^31 - 1 = -1
  EXPECT_EQ(line_at(kLoc, t, INT_MIN, 1), INT_MAX - 1);
  // Overlong varints (chunks past 32 bits) are tolerated; those chunks are dropped.
  Bytes overlong = {entry(14, 1)};
  for (int i = 0; i < 40; ++i) overlong.push_back(0x7f);
  overlong.push_back(0x00);
  EXPECT_EQ(line_at(kLoc, overlong, 1, 0), std::nullopt);  // 0xffffffff: -(2^31-1)
  Bytes padded = {entry(13, 1), 0x44};  // +2, then 60 bits of zero chunks, then a stray 1
  for (int i = 0; i < 10; ++i) padded.push_back(0x40);
  padded.push_back(0x01);
  EXPECT_EQ(line_at(kLoc, padded, 1, 0), 3);
  // lnotab / 3.10: a million +127 steps.
  Bytes steps;
  for (int i = 0; i < 1000000; ++i) steps.insert(steps.end(), {0, 127});
  steps.insert(steps.end(), {2, 0});
  EXPECT_EQ(line_at(kLnotab, steps, 0, 0), 127000000);
  EXPECT_EQ(line_at(k310, steps, 0, 0), 127000000);
  EXPECT_EQ(line_at(kLnotab, steps, INT_MAX - 10, 0), std::nullopt);
  EXPECT_EQ(line_at(k310, steps, INT_MAX - 10, 0), std::nullopt);
}

TEST(LineTable, TruncatedTables) {
  // Odd trailing byte of a pair table: ignored (the pair is incomplete).
  EXPECT_EQ(line_at(kLnotab, {2, 1, 2}, 1, 5), 2);
  EXPECT_EQ(line_at(k310, {2, 1, 2}, 1, 0), 2);
  EXPECT_EQ(line_at(k310, {2, 1, 2}, 1, 1), std::nullopt);
  // Location entry whose varint runs off the end of the table.
  EXPECT_EQ(line_at(kLoc, {entry(13, 2), 0x44}, 10, 1), 12);  // +2, continuation bit dangling
  EXPECT_EQ(line_at(kLoc, {entry(14, 1)}, 10, 0), 10);        // long form with no payload
  // Varint continuation does not spill into the next entry (its first byte has bit 7 set).
  EXPECT_EQ(line_at(kLoc, {entry(13, 1), 0x42, entry(0, 1), 0}, 10, 1), 11);
  // A first byte without bit 7 is still decoded as an entry, as CPython does; code 15 without
  // bit 7 is not a no-location marker.
  EXPECT_EQ(line_at(kLoc, {0x78}, 10, 0), 10);
  EXPECT_EQ(line_at(kLoc, {0x58, 0x00}, 10, 0), 11);  // code 11 (+1) without bit 7
}

TEST(LineTable, HostileBytesNeverCrash) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 3000; ++round) {
    Bytes t(static_cast<size_t>(rng() % 64));
    for (auto& b : t) b = static_cast<uint8_t>(byte(rng));
    const int first_line = static_cast<int>(rng());
    for (auto fmt : {kLnotab, k310, kLoc}) {
      for (int instr : {0, 1, 7, 31, 200, INT_MAX, -5}) {
        const auto line = line_at(fmt, t, first_line, instr);
        if (instr < 0) {
          EXPECT_EQ(line, first_line);
        } else if (line) {
          EXPECT_GE(*line, 0);
        }
      }
    }
  }
  const Bytes ones(4096, 0xff), highs(4096, 0x7f), zeros(4096, 0x00);
  for (auto fmt : {kLnotab, k310, kLoc}) {
    for (const Bytes* t : {&ones, &highs, &zeros}) {
      for (int instr : {0, 1000, 5000, INT_MAX}) {
        (void)line_at(fmt, *t, INT_MAX, instr);  // must merely not crash (ASan/UBSan)
        (void)line_at(fmt, *t, INT_MIN, instr);
      }
    }
  }
}

}  // namespace
}  // namespace stprof
