// Tests for cpython/version: PythonVersion from PY_VERSION_HEX and from interpreter file names.

#include "cpython/version.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace stprof {
namespace {

// ---------------------------------------------------------------------------------------------
// version_from_file_name

void expect_version(const std::string& path, int major, int minor) {
  std::optional<PythonVersion> version = version_from_file_name(path);
  ASSERT_TRUE(version) << path;
  EXPECT_EQ(version->major, major) << path;
  EXPECT_EQ(version->minor, minor) << path;
  EXPECT_EQ(version->micro, -1) << path << ": a file name does not tell the micro version";
}

TEST(VersionFromFileName, Executables) {
  expect_version("python3.9", 3, 9);
  expect_version("/usr/bin/python3.11", 3, 11);
  expect_version("/opt/pyenv/versions/3.12.1/bin/python3.12", 3, 12);
}

TEST(VersionFromFileName, SharedLibraries) {
  expect_version("/usr/lib/x86_64-linux-gnu/libpython3.10.so.1.0", 3, 10);
  expect_version("libpython3.11d.so", 3, 11);
  expect_version("libpython3.8.so", 3, 8);
}

TEST(VersionFromFileName, SuffixAfterMinorIsIgnored) {
  expect_version("/usr/bin/python3.12-dbg", 3, 12);
  expect_version("python3.13t", 3, 13);
}

TEST(VersionFromFileName, DirectoryNamesDoNotCount) {
  // Only the last path component is looked at.
  EXPECT_FALSE(version_from_file_name("/usr/lib/python3.11/lib-dynload/_ctypes.so"));
  EXPECT_FALSE(version_from_file_name("/opt/python3.11/bin/app"));
}

TEST(VersionFromFileName, NamesWithoutAVersionAreRejected) {
  EXPECT_FALSE(version_from_file_name("python3"));
  EXPECT_FALSE(version_from_file_name("/usr/bin/python"));
  EXPECT_FALSE(version_from_file_name("python3."));
  EXPECT_FALSE(version_from_file_name("libpython3.so"));
  EXPECT_FALSE(version_from_file_name(""));
}

TEST(VersionFromFileName, NonsenseIsRejected) {
  EXPECT_FALSE(version_from_file_name("python31.x"));
  EXPECT_FALSE(version_from_file_name("python3.111111111111111111111"));  // minor overflows int
  EXPECT_FALSE(version_from_file_name("pythonista3.1"));
  EXPECT_FALSE(version_from_file_name("mypython3.9"));
  EXPECT_FALSE(version_from_file_name("_ctypes.cpython-311-x86_64-linux-gnu.so"));
}

TEST(VersionFromFileName, SignedNumbersAreRejected) {
  // std::from_chars accepts a leading '-': "python-3.9" once parsed as version -3.9.
  auto parsed = [](const char* name) {
    std::optional<PythonVersion> version = version_from_file_name(name);
    return version ? version->to_string() : std::string("nullopt");
  };
  EXPECT_EQ(parsed("python-3.9"), "nullopt");
  EXPECT_EQ(parsed("python3.-1"), "nullopt");
}

// ---------------------------------------------------------------------------------------------
// PythonVersion

TEST(PythonVersionFromHex, DecodesMajorMinorMicro) {
  PythonVersion version = PythonVersion::from_hex(0x030b02f0);  // 3.11.2 final
  EXPECT_EQ(version.major, 3);
  EXPECT_EQ(version.minor, 11);
  EXPECT_EQ(version.micro, 2);
  EXPECT_EQ(version.to_string(), "3.11.2");
}

TEST(PythonVersionFromHex, ReleaseLevelAndSerialAreIgnored) {
  PythonVersion version = PythonVersion::from_hex(0x030d00a1);  // 3.13.0a1
  EXPECT_EQ(version.major, 3);
  EXPECT_EQ(version.minor, 13);
  EXPECT_EQ(version.micro, 0);
  EXPECT_EQ(version.to_string(), "3.13.0");
}

TEST(PythonVersionToString, UnknownMicroIsLeftOut) {
  EXPECT_EQ((PythonVersion{3, 9, -1}).to_string(), "3.9");
  EXPECT_EQ((PythonVersion{3, 10, 13}).to_string(), "3.10.13");
}

}  // namespace
}  // namespace stprof
