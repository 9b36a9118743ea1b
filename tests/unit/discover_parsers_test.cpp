// Tests for the small text parsers of discover/ and util/: /proc/PID/maps, /proc/PID/stat and
// kernel CPU lists.

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "discover/proc_maps.h"
#include "discover/proc_stat.h"
#include "util/cpu_list.h"
#include "util/files.h"

namespace stprof {
namespace {

// ---------------------------------------------------------------------------------------------
// parse_maps

// Lines in the shape the kernel prints them (show_map_vma pads the path to column 73).
constexpr const char* kRealMaps =
    "00400000-0041f000 r--p 00000000 fe:00 10977288                           "
    "/usr/bin/python3.11\n"
    "0041f000-006cf000 r-xp 0001f000 fe:00 10977288                           "
    "/usr/bin/python3.11\n"
    "00941000-00a7f000 rw-p 00540000 fe:00 10977288                           "
    "/usr/bin/python3.11\n"
    "380fd000-38198000 rw-p 00000000 00:00 0                                  [heap]\n"
    "7fbf62ef5000-7fbf63131000 r-xp 000f5000 fe:00 18834                      "
    "/opt/pyenv/versions/3.11.7/lib/libpython3.11.so.1.0\n"
    "7fbf63400000-7fbf63500000 rw-p 00000000 00:00 0 \n"
    "7fcb9a559000-7fcb9a55b000 r-xp 00000000 00:00 0                          [vdso]\n";

TEST(ParseMaps, RealLinesGiveRangeOffsetPermsInodeAndPath) {
  std::vector<Mapping> maps = parse_maps(kRealMaps);
  ASSERT_EQ(maps.size(), 7u);

  EXPECT_EQ(maps[0].start, 0x400000u);
  EXPECT_EQ(maps[0].end, 0x41f000u);
  EXPECT_EQ(maps[0].file_offset, 0u);
  EXPECT_FALSE(maps[0].executable);
  EXPECT_EQ(maps[0].inode, 10977288u);
  EXPECT_EQ(maps[0].path, "/usr/bin/python3.11");

  EXPECT_EQ(maps[1].file_offset, 0x1f000u);
  EXPECT_TRUE(maps[1].executable);
  EXPECT_EQ(maps[2].file_offset, 0x540000u);
  EXPECT_FALSE(maps[2].executable);

  EXPECT_EQ(maps[4].start, 0x7fbf62ef5000u);
  EXPECT_EQ(maps[4].end, 0x7fbf63131000u);
  EXPECT_EQ(maps[4].inode, 18834u);
  EXPECT_EQ(maps[4].path, "/opt/pyenv/versions/3.11.7/lib/libpython3.11.so.1.0");
}

TEST(ParseMaps, PseudoPathsKeepTheirBracketsAndHaveNoInode) {
  std::vector<Mapping> maps = parse_maps(kRealMaps);
  ASSERT_EQ(maps.size(), 7u);
  EXPECT_EQ(maps[3].path, "[heap]");
  EXPECT_EQ(maps[3].inode, 0u);
  EXPECT_EQ(maps[6].path, "[vdso]");
  EXPECT_TRUE(maps[6].executable);
  EXPECT_EQ(maps[6].inode, 0u);
}

TEST(ParseMaps, AnonymousMappingHasEmptyPath) {
  std::vector<Mapping> maps = parse_maps(kRealMaps);
  ASSERT_EQ(maps.size(), 7u);
  EXPECT_EQ(maps[5].start, 0x7fbf63400000u);
  EXPECT_EQ(maps[5].path, "");
  EXPECT_EQ(maps[5].inode, 0u);
}

TEST(ParseMaps, AnonymousMappingWithoutTrailingSpaceHasEmptyPath) {
  std::vector<Mapping> maps = parse_maps("7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n");
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].path, "");
}

TEST(ParseMaps, PathWithSpacesIsKeptWhole) {
  std::vector<Mapping> maps = parse_maps(
      "7f1000000000-7f1000100000 r-xp 00002000 08:01 4242                       "
      "/opt/my python/lib/libpython3.11.so.1.0\n");
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].path, "/opt/my python/lib/libpython3.11.so.1.0");
  EXPECT_EQ(maps[0].file_offset, 0x2000u);
  EXPECT_EQ(maps[0].inode, 4242u);
}

TEST(ParseMaps, DeletedFileKeepsTheKernelSuffixLikeReadlinkOfExe) {
  // /proc/PID/exe of an upgraded binary reads "/usr/bin/python3.11 (deleted)" too, so keeping
  // the suffix lets the two be compared.
  std::vector<Mapping> maps = parse_maps(
      "00400000-0041f000 r--p 00000000 fe:00 10977288                           "
      "/usr/bin/python3.11 (deleted)\n");
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].path, "/usr/bin/python3.11 (deleted)");
  EXPECT_EQ(maps[0].inode, 10977288u);
}

TEST(ParseMaps, LastLineWithoutNewlineIsParsed) {
  std::vector<Mapping> maps = parse_maps("1000-2000 r-xp 00000000 08:01 7 /bin/x");
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].path, "/bin/x");
}

TEST(ParseMaps, MalformedLinesAreSkippedAndTheRestKept) {
  std::vector<Mapping> maps = parse_maps(
      "\n"
      "garbage\n"
      "00400000 r--p 00000000 fe:00 1 /no/dash\n"
      "zz400000-0041f000 r--p 00000000 fe:00 1 /bad/start\n"
      "00400000-0041fxyz r--p 00000000 fe:00 1 /bad/end\n"
      "00400000-0041f000 r- 00000000 fe:00 1 /short/perms\n"
      "00400000-0041f000 r--p 0000zz00 fe:00 1 /bad/offset\n"
      "00400000-0041f000 r--p 00000000 fe:00 x /bad/inode\n"
      "00400000-0041f000 r--p 00000000 fe:00\n"
      "00500000-00501000 r-xp 00001000 fe:00 9 /good\n");
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].start, 0x500000u);
  EXPECT_EQ(maps[0].path, "/good");
}

TEST(ParseMaps, EmptyTextGivesNoMappings) { EXPECT_TRUE(parse_maps("").empty()); }

TEST(ParseMaps, OwnMapsContainTheTestBinary) {
  std::optional<std::string> text = read_text_file("/proc/self/maps");
  ASSERT_TRUE(text);
  std::vector<Mapping> maps = parse_maps(*text);
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe));
  ASSERT_GT(n, 0);
  std::string exe_path(exe, static_cast<size_t>(n));
  bool found_executable_text = false;
  for (const Mapping& m : maps) {
    EXPECT_LT(m.start, m.end);
    if (m.path == exe_path && m.executable && m.inode != 0) found_executable_text = true;
  }
  EXPECT_TRUE(found_executable_text) << "no r-x mapping of " << exe_path << " in\n" << *text;
}

// ---------------------------------------------------------------------------------------------
// parse_proc_stat

// A /proc/PID/stat line with fields 3.. after the comm; field 4 (ppid) = 77, 22 (starttime) =
// 123456789.
std::string stat_line(const std::string& pid_and_comm) {
  return pid_and_comm +
         " S 77 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 123456789 1000000 200 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
}

TEST(ParseProcStat, PlainCommPpidAndStartTime) {
  std::optional<ProcStat> stat = parse_proc_stat(stat_line("1234 (python3.11)"));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "python3.11");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 77);
  EXPECT_EQ(stat->start_time, 123456789u);
}

TEST(ParseProcStat, CommWithSpacesAndParentheses) {
  std::optional<ProcStat> stat = parse_proc_stat(stat_line("1 (a) b)"));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "a) b");
  EXPECT_EQ(stat->ppid, 77);
  EXPECT_EQ(stat->start_time, 123456789u);
}

TEST(ParseProcStat, CommThatLooksLikeFields) {
  std::optional<ProcStat> stat = parse_proc_stat(stat_line("5 (x) S 1 2 (y)"));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "x) S 1 2 (y");
  EXPECT_EQ(stat->ppid, 77);
  EXPECT_EQ(stat->start_time, 123456789u);
}

TEST(ParseProcStat, EmptyComm) {
  std::optional<ProcStat> stat = parse_proc_stat(stat_line("9 ()"));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "");
  EXPECT_EQ(stat->start_time, 123456789u);
}

TEST(ParseProcStat, StartCodeIsField26AndMayBeAbsent) {
  std::optional<ProcStat> stat = parse_proc_stat(
      "7 (python3.11) S 77 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 123456789 1000000 200 "
      "18446744073709551615 94371289321472 94371292061829 0 0\n");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->vsize, 1000000u);
  EXPECT_EQ(stat->start_code, 94371289321472u);
  // Cut after vsize (field 23): still a stat, with no start of code.
  stat = parse_proc_stat("7 (x) S 77 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->vsize, 6u);
  EXPECT_EQ(stat->start_code, 0u);
}

TEST(ParseProcStat, TruncatedOrGarbledTextIsRejected) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("1234 python3.11 S 1"));    // no parentheses
  EXPECT_FALSE(parse_proc_stat("1234 )x( S 1"));           // ')' before '('
  EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 1 1 0 -1"));  // ends before starttime
  EXPECT_FALSE(parse_proc_stat("1234 (x) S notanumber 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"));
  EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 later 1"));
}

TEST(ParseProcStat, OwnStatMatchesGetppid) {
  std::optional<std::string> text = read_text_file("/proc/self/stat");
  ASSERT_TRUE(text);
  std::optional<ProcStat> stat = parse_proc_stat(*text);
  ASSERT_TRUE(stat) << *text;
  EXPECT_EQ(stat->ppid, static_cast<int>(::getppid()));
  EXPECT_GT(stat->start_time, 0u);
}

// ---------------------------------------------------------------------------------------------
// parse_cpu_list

TEST(ParseCpuList, RangesAndSinglesAsTheKernelWritesThem) {
  EXPECT_EQ(parse_cpu_list("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
}

TEST(ParseCpuList, SingleCpu) { EXPECT_EQ(parse_cpu_list("0"), (std::vector<int>{0})); }

TEST(ParseCpuList, OneElementRange) { EXPECT_EQ(parse_cpu_list("5-5"), (std::vector<int>{5})); }

TEST(ParseCpuList, MalformedListsAreRejected) {
  EXPECT_FALSE(parse_cpu_list(""));
  EXPECT_FALSE(parse_cpu_list("\n"));
  EXPECT_FALSE(parse_cpu_list("a"));
  EXPECT_FALSE(parse_cpu_list("1,,2"));
  EXPECT_FALSE(parse_cpu_list("-1"));
  EXPECT_FALSE(parse_cpu_list("0-"));
  EXPECT_FALSE(parse_cpu_list("3-1"));
  EXPECT_FALSE(parse_cpu_list("1-2-3"));
  EXPECT_FALSE(parse_cpu_list("1x"));
  EXPECT_FALSE(parse_cpu_list("0-65536"));
}

TEST(ParseCpuList, OwnPossibleCpusParse) {
  std::optional<std::string> text = read_text_file("/sys/devices/system/cpu/possible");
  if (!text) GTEST_SKIP() << "/sys/devices/system/cpu/possible is not readable here";
  std::optional<std::vector<int>> cpus = parse_cpu_list(*text);
  ASSERT_TRUE(cpus) << *text;
  EXPECT_EQ(cpus->front(), 0);
}

}  // namespace
}  // namespace stprof
