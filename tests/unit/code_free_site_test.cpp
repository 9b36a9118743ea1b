// Tests for symbolize/code_free_site: PyCode_Type.tp_dealloc read from a FakeProcessMemory and
// placed in the interpreter file's executable mapping.

#include "symbolize/code_free_site.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace stprof {
namespace {

constexpr uint64_t kCodeType = 0x7f0000801000;  // PyCode_Type in the process

PythonProcess process_with_text_at(uint64_t start, uint64_t end, uint64_t file_offset) {
  PythonProcess process;
  process.pid = 4242;
  process.binary = "/usr/lib/libpython3.12.so.1.0";
  process.code_type_address = kCodeType;
  Mapping data{0x7f0000800000, 0x7f0000810000, 0x300000, false, 7, process.binary};
  Mapping text{start, end, file_offset, true, 7, process.binary};
  process.binary_mappings = {data, text};
  return process;
}

FakeProcessMemory memory_with_dealloc(uint64_t dealloc) {
  std::vector<uint8_t> slot(sizeof(dealloc));
  std::memcpy(slot.data(), &dealloc, sizeof(dealloc));
  FakeProcessMemory memory;
  memory.add(kCodeType + CPythonLayout{}.type_dealloc, slot);
  return memory;
}

TEST(CodeFreeSite, TpDeallocInTheTextMappingGivesItsFileOffset) {
  PythonProcess process = process_with_text_at(0x7f0000100000, 0x7f0000500000, 0x80000);
  Result<UprobeSite> site = code_free_site(process, memory_with_dealloc(0x7f0000123450), "/proc");
  ASSERT_TRUE(site.ok()) << site.error().message;
  EXPECT_EQ(site->path, "/proc/4242/map_files/7f0000100000-7f0000500000");
  EXPECT_EQ(site->file_offset, 0x80000u + 0x23450u);
}

TEST(CodeFreeSite, TpDeallocOutsideTheInterpretersCodeIsRefused) {
  PythonProcess process = process_with_text_at(0x7f0000100000, 0x7f0000500000, 0x80000);
  // In the file's data mapping, and in no mapping of the file.
  EXPECT_FALSE(code_free_site(process, memory_with_dealloc(0x7f0000801000)).ok());
  EXPECT_FALSE(code_free_site(process, memory_with_dealloc(0x7f0000500000)).ok());
}

TEST(CodeFreeSite, MissingTypeOrUnreadableMemoryIsRefused) {
  PythonProcess process = process_with_text_at(0x7f0000100000, 0x7f0000500000, 0x80000);
  EXPECT_FALSE(code_free_site(process, FakeProcessMemory()).ok());
  process.code_type_address = 0;
  EXPECT_FALSE(code_free_site(process, memory_with_dealloc(0x7f0000123450)).ok());
}

}  // namespace
}  // namespace stprof
