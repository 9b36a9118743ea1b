// Tests for symbolize/cpython_objects: CPython 3.11 str and bytes objects built byte by byte in a
// FakeProcessMemory at the CPythonLayout offsets, read back as UTF-8 / bytes.

#include "symbolize/cpython_objects.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "cpython/layout.h"
#include "fake_cpython_objects.h"
#include "symbolize/process_memory.h"

namespace stprof {
namespace {

using fake::Bytes;
using fake::put;

CPythonLayout layout_311() { return fake::layout_of(11); }

// PyASCIIObject.state (Include/cpython/unicodeobject.h, 3.11): interned:2, kind:3, compact:1,
// ascii:1, ready:1, then 24 unused bits.
constexpr uint32_t kCompact = 1u << 5;
constexpr uint32_t kAscii = 1u << 6;
constexpr uint32_t kReady = 1u << 7;
constexpr uint32_t kind_bits(uint32_t kind) { return kind << 2; }

constexpr uint32_t kAsciiState = kind_bits(1) | kCompact | kAscii | kReady;  // 0xe4
constexpr uint32_t kUcs1State = kind_bits(1) | kCompact | kReady;            // 0xa4
constexpr uint32_t kUcs2State = kind_bits(2) | kCompact | kReady;            // 0xa8
constexpr uint32_t kUcs4State = kind_bits(4) | kCompact | kReady;            // 0xb0

// A str object: header fields at the layout's offsets, `data` (already in the string's kind)
// at the ASCII or compact data offset.
Bytes str_object(const CPythonLayout& layout, int64_t length, uint32_t state, const Bytes& data) {
  // The object ends where its data ends, so a length longer than the data runs off the block.
  size_t at = (state & kAscii) ? layout.unicode_ascii_data : layout.unicode_compact_data;
  Bytes object(at, 0);
  put<int64_t>(object, 0, 1);  // ob_refcnt
  put<int64_t>(object, layout.unicode_length, length);
  put<uint32_t>(object, layout.unicode_state, state);
  object.insert(object.end(), data.begin(), data.end());
  return object;
}

Bytes ucs2(std::initializer_list<uint16_t> units) {
  Bytes out;
  for (uint16_t unit : units) put(out, out.size(), unit);
  return out;
}

Bytes ucs4(std::initializer_list<uint32_t> points) {
  Bytes out;
  for (uint32_t point : points) put(out, out.size(), point);
  return out;
}

constexpr uint64_t kAddress = 0x7f0000001000;

class ReadStr : public ::testing::Test {
 protected:
  std::optional<std::string> read_object(const Bytes& object) {
    memory_.add(kAddress, object);
    return read_str(memory_, layout_, kAddress);
  }

  CPythonLayout layout_ = layout_311();
  FakeProcessMemory memory_;
};

// ---------------------------------------------------------------------------------------------
// Well-formed strings

TEST_F(ReadStr, AsciiCompact) {
  EXPECT_EQ(read_object(str_object(layout_, 7, kAsciiState, {'w', 'o', 'r', 'k', 'e', 'r', 's'})),
            "workers");
}

TEST_F(ReadStr, AsciiInternedStateBitsAreIgnored) {
  // A real interned 'abc' in 3.11 has state 0xe5 (SSTATE_INTERNED_MORTAL).
  EXPECT_EQ(read_object(str_object(layout_, 3, kAsciiState | 1, {'a', 'b', 'c'})), "abc");
}

TEST_F(ReadStr, EmptyString) {
  EXPECT_EQ(read_object(str_object(layout_, 0, kAsciiState, {})), "");
}

TEST_F(ReadStr, Ucs1LatinOneBecomesTwoByteUtf8) {
  // "café": 0xe9 is Latin-1 'é', stored as one byte at the compact (non-ASCII) data offset.
  EXPECT_EQ(read_object(str_object(layout_, 4, kUcs1State, {'c', 'a', 'f', 0xe9})), "caf\xc3\xa9");
}

TEST_F(ReadStr, Ucs2CjkBecomesThreeByteUtf8) {
  // "計算" = U+8A08 U+7B97. The unused upper 24 state bits hold garbage in real objects (this
  // value was read from a live 3.11 '計算').
  EXPECT_EQ(read_object(str_object(layout_, 2, 0x00954ca8, ucs2({0x8a08, 0x7b97}))),
            "\xe8\xa8\x88\xe7\xae\x97");
  EXPECT_EQ(read_object(str_object(layout_, 2, kUcs2State, ucs2({0x8a08, 0x7b97}))), "計算");
}

TEST_F(ReadStr, Ucs4EmojiBecomesFourByteUtf8) {
  // "run😀" = r u n U+1F600
  EXPECT_EQ(read_object(str_object(layout_, 4, kUcs4State, ucs4({'r', 'u', 'n', 0x1f600}))),
            "run\xf0\x9f\x98\x80");
}

TEST_F(ReadStr, LoneSurrogateBecomesReplacementCharacter) {
  // Possible in real str objects (e.g. file names decoded with surrogateescape).
  EXPECT_EQ(read_object(str_object(layout_, 2, kUcs2State, ucs2({'a', 0xdc80}))), "a\xef\xbf\xbd");
}

TEST_F(ReadStr, CodePointAboveUnicodeBecomesReplacementCharacter) {
  EXPECT_EQ(read_object(str_object(layout_, 1, kUcs4State, ucs4({0x110000}))), "\xef\xbf\xbd");
}

TEST_F(ReadStr, LongestAllowedLengthIsRead) {
  Bytes chars(kMaxStringChars, 'x');
  std::optional<std::string> text =
      read_object(str_object(layout_, kMaxStringChars, kAsciiState, chars));
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, std::string(kMaxStringChars, 'x'));
}

// ---------------------------------------------------------------------------------------------
// Malformed objects and unreadable memory

TEST_F(ReadStr, NullAddressIsRejected) {
  memory_.add(0, str_object(layout_, 1, kAsciiState, {'a'}));
  EXPECT_EQ(read_str(memory_, layout_, 0), std::nullopt);
}

TEST_F(ReadStr, UnmappedAddressIsRejected) {
  EXPECT_EQ(read_str(memory_, layout_, kAddress), std::nullopt);
}

TEST_F(ReadStr, HeaderCutShortIsRejected) {
  Bytes object = str_object(layout_, 1, kAsciiState, {'a'});
  object.resize(layout_.unicode_state + 2);  // state field only half there
  EXPECT_EQ(read_object(object), std::nullopt);
}

TEST_F(ReadStr, NegativeLengthIsRejected) {
  EXPECT_EQ(read_object(str_object(layout_, -1, kAsciiState, {'a'})), std::nullopt);
}

TEST_F(ReadStr, HugeLengthIsRejected) {
  Bytes chars(kMaxStringChars + 1, 'x');
  EXPECT_EQ(read_object(str_object(layout_, kMaxStringChars + 1, kAsciiState, chars)),
            std::nullopt);
  EXPECT_EQ(read_object(str_object(layout_, INT64_MAX, kAsciiState, {'a'})), std::nullopt);
}

TEST_F(ReadStr, NonCompactIsRejected) {
  // A legacy (non-compact) str keeps its data behind a pointer we do not follow.
  EXPECT_EQ(read_object(str_object(layout_, 1, kind_bits(1) | kReady, {'a'})), std::nullopt);
  EXPECT_EQ(read_object(str_object(layout_, 1, kind_bits(1) | kAscii | kReady, {'a'})),
            std::nullopt);
}

TEST_F(ReadStr, BadKindIsRejected) {
  EXPECT_EQ(read_object(str_object(layout_, 1, kind_bits(0) | kCompact, {'a', 0, 0, 0})),
            std::nullopt);
  EXPECT_EQ(read_object(str_object(layout_, 1, kind_bits(3) | kCompact, {'a', 0, 0, 0})),
            std::nullopt);
  EXPECT_EQ(read_object(str_object(layout_, 1, kind_bits(7) | kCompact, {'a', 0, 0, 0})),
            std::nullopt);
}

TEST_F(ReadStr, AsciiFlagWithWideKindIsRejected) {
  EXPECT_EQ(read_object(str_object(layout_, 1, kind_bits(2) | kCompact | kAscii, {'a', 0})),
            std::nullopt);
}

TEST_F(ReadStr, DataCutShortIsRejected) {
  // length says 10 characters, memory holds 5 of them
  EXPECT_EQ(read_object(str_object(layout_, 10, kAsciiState, {'a', 'b', 'c', 'd', 'e'})),
            std::nullopt);
  // UCS-2 length 2 needs 4 bytes; 3 are there
  EXPECT_EQ(read_object(str_object(layout_, 2, kUcs2State, {0x08, 0x8a, 0x97})), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// read_bytes

Bytes bytes_object(const CPythonLayout& layout, int64_t size, const Bytes& data) {
  Bytes object(layout.bytes_data, 0);
  put<int64_t>(object, 0, 1);
  put<int64_t>(object, layout.bytes_size, size);
  put<int64_t>(object, layout.bytes_size + 8, -1);  // ob_shash
  object.insert(object.end(), data.begin(), data.end());
  object.push_back(0);  // ob_sval is NUL-terminated
  return object;
}

TEST(ReadBytes, PayloadIsReturned) {
  CPythonLayout layout = layout_311();
  FakeProcessMemory memory;
  memory.add(kAddress, bytes_object(layout, 4, {0x80, 0x00, 0xd8, 0x04}));
  EXPECT_EQ(read_bytes(memory, layout, kAddress), (Bytes{0x80, 0x00, 0xd8, 0x04}));
}

TEST(ReadBytes, EmptyPayload) {
  CPythonLayout layout = layout_311();
  FakeProcessMemory memory;
  memory.add(kAddress, bytes_object(layout, 0, {}));
  EXPECT_EQ(read_bytes(memory, layout, kAddress), Bytes{});
}

TEST(ReadBytes, NegativeOrHugeSizeIsRejected) {
  CPythonLayout layout = layout_311();
  FakeProcessMemory memory;
  memory.add(kAddress, bytes_object(layout, -1, {1}));
  EXPECT_EQ(read_bytes(memory, layout, kAddress), std::nullopt);
  memory.add(kAddress, bytes_object(layout, kMaxBytesSize + 1, {1}));
  EXPECT_EQ(read_bytes(memory, layout, kAddress), std::nullopt);
}

TEST(ReadBytes, PayloadCutShortIsRejected) {
  CPythonLayout layout = layout_311();
  FakeProcessMemory memory;
  Bytes object = bytes_object(layout, 100, {1, 2, 3});
  memory.add(kAddress, object);
  EXPECT_EQ(read_bytes(memory, layout, kAddress), std::nullopt);
}

TEST(ReadBytes, NullOrUnmappedAddressIsRejected) {
  CPythonLayout layout = layout_311();
  FakeProcessMemory memory;
  EXPECT_EQ(read_bytes(memory, layout, 0), std::nullopt);
  EXPECT_EQ(read_bytes(memory, layout, kAddress), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// append_utf8

std::string utf8(uint32_t cp) {
  std::string out;
  append_utf8(out, cp);
  return out;
}

TEST(AppendUtf8, EncodingLengthBoundaries) {
  EXPECT_EQ(utf8(0x00), std::string(1, '\0'));
  EXPECT_EQ(utf8(0x7f), "\x7f");
  EXPECT_EQ(utf8(0x80), "\xc2\x80");
  EXPECT_EQ(utf8(0x7ff), "\xdf\xbf");
  EXPECT_EQ(utf8(0x800), "\xe0\xa0\x80");
  EXPECT_EQ(utf8(0xffff), "\xef\xbf\xbf");
  EXPECT_EQ(utf8(0x10000), "\xf0\x90\x80\x80");
  EXPECT_EQ(utf8(0x10ffff), "\xf4\x8f\xbf\xbf");
}

TEST(AppendUtf8, InvalidCodePointsBecomeReplacementCharacter) {
  EXPECT_EQ(utf8(0xd800), "\xef\xbf\xbd");
  EXPECT_EQ(utf8(0xdfff), "\xef\xbf\xbd");
  EXPECT_EQ(utf8(0x110000), "\xef\xbf\xbd");
  EXPECT_EQ(utf8(0xffffffff), "\xef\xbf\xbd");
}

TEST(AppendUtf8, Appends) {
  std::string out = "a";
  append_utf8(out, 0xe9);
  EXPECT_EQ(out, "a\xc3\xa9");
}

}  // namespace
}  // namespace stprof
