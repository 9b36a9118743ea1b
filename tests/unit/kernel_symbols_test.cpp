// Tests for symbolize/kernel_symbols: kallsyms text parsed into the functions kernel frames are
// named after, and what is no function of the kernel's.

#include "symbolize/kernel_symbols.h"

#include <gtest/gtest.h>

namespace stprof {
namespace {

constexpr const char* kKallsyms =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T _stext\n"
    "ffffffff81000100 T entry_SYSCALL_64\n"
    "ffffffff81000180 D some_data\n"
    "ffffffff81000200 t vfs_read\n"
    "ffffffff81000300 W weak_function\n"
    "ffffffff81000400 T __schedule\n"
    "ffffffff81000500 T _etext\n"
    "ffffffff83000000 T _sinittext\n"
    "ffffffffc0000000 t xfs_file_read_iter\t[xfs]\n"
    "ffffffffc0000100 t bpf_prog_0123456789abcdef_stprof_sample\t[bpf]\n";

KernelSymbols parsed(const char* text) {
  Result<KernelSymbols> symbols = KernelSymbols::parse(text);
  EXPECT_TRUE(symbols.ok()) << (symbols.ok() ? "" : symbols.error().message);
  return std::move(symbols.value());
}

TEST(KernelSymbolsTest, AnAddressIsNamedAfterTheTextSymbolAtOrBelowIt) {
  KernelSymbols symbols = parsed(kKallsyms);
  EXPECT_EQ(symbols.function_at(0xffffffff81000100).name, "entry_SYSCALL_64");
  // Data symbols are not functions: an address past one is still in the function before it.
  EXPECT_EQ(symbols.function_at(0xffffffff810001a0).name, "entry_SYSCALL_64");
  EXPECT_EQ(symbols.function_at(0xffffffff810002ff).name, "vfs_read");
  EXPECT_EQ(symbols.function_at(0xffffffff81000310).name, "weak_function");
  // Of names at one address, the first listed.
  EXPECT_EQ(symbols.function_at(0xffffffff81000010).name, "_text");
  EXPECT_FALSE(symbols.function_at(0xffffffff81000200).recording_machinery);
}

TEST(KernelSymbolsTest, ModuleFunctionsSayTheirModule) {
  KernelSymbols symbols = parsed(kKallsyms);
  KernelFunction function = symbols.function_at(0xffffffffc0000040);
  EXPECT_EQ(function.name, "xfs_file_read_iter [xfs]");
  EXPECT_FALSE(function.recording_machinery);
}

TEST(KernelSymbolsTest, WhatRecordedTheStackIsMachineryNotAFunctionOfTheThread) {
  KernelSymbols symbols = parsed(kKallsyms);
  EXPECT_TRUE(symbols.function_at(0xffffffff81000410).recording_machinery);  // __schedule
  // A BPF program, and past the end of the kernel's text (freed init code): no function.
  KernelFunction program = symbols.function_at(0xffffffffc0000140);
  EXPECT_EQ(program.name, "0xffffffffc0000140");
  EXPECT_TRUE(program.recording_machinery);
  EXPECT_EQ(symbols.function_at(0xffffffff83000010).name, "0xffffffff83000010");
  EXPECT_EQ(symbols.function_at(0xffffffff80000000).name, "0xffffffff80000000");
}

TEST(KernelSymbolsTest, HiddenAddressesAreAnErrorThatSaysWhy) {
  Result<KernelSymbols> hidden = KernelSymbols::parse(
      "0000000000000000 T _stext\n0000000000000000 T vfs_read\n0000000000000000 T _etext\n");
  ASSERT_FALSE(hidden.ok());
  EXPECT_NE(hidden.error().message.find("kptr_restrict"), std::string::npos) << hidden.error().message;
  EXPECT_FALSE(KernelSymbols::parse("").ok());
  EXPECT_FALSE(KernelSymbols::parse("ffffffff81000000 T vfs_read\n").ok());  // no _stext/_etext
}

}  // namespace
}  // namespace stprof
