// Tests for discover/runtime_address (pure arithmetic on real layouts) and, end to end without
// privileges, inspect_process against what real child interpreters say about themselves.

#include "discover/runtime_address.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "discover/proc_maps.h"
#include "discover/proc_stat.h"
#include "discover/python_process.h"
#include "util/files.h"

namespace stprof {
namespace {

// ---------------------------------------------------------------------------------------------
// (a) Arithmetic. Segments are `readelf -lW` PT_LOAD rows, mappings /proc/PID/maps lines of a
// process that ran the file; both recorded on Debian 12.

// Debian's /usr/bin/python3.11: ET_EXEC (loaded at its link address, bias 0), libpython linked
// in statically. _PyRuntime is at 0xa56220 in .data; .bss starts at 0xa7ed60.
const std::vector<LoadSegment> kDebianPython311Segments = {
    {0x400000, 0x000000, 0x01e468, 0x01e468},
    {0x41f000, 0x01f000, 0x2afe49, 0x2afe49},
    {0x6cf000, 0x2cf000, 0x2700a0, 0x2700a0},
    {0x940dc8, 0x53fdc8, 0x13df90, 0x182db0},  // RW: file-backed up to 0xa7ed58, then .bss
};
const char* const kDebianPython311Maps =
    "00400000-0041f000 r--p 00000000 fe:00 10977288 /usr/bin/python3.11\n"
    "0041f000-006cf000 r-xp 0001f000 fe:00 10977288 /usr/bin/python3.11\n"
    "006cf000-00940000 r--p 002cf000 fe:00 10977288 /usr/bin/python3.11\n"
    "00940000-00941000 r--p 0053f000 fe:00 10977288 /usr/bin/python3.11\n"
    "00941000-00a7f000 rw-p 00540000 fe:00 10977288 /usr/bin/python3.11\n";

// pyenv's 3.11.7 libpython3.11.so.1.0 (ET_DYN), loaded at 0x7fbf62e00000. Its RW segment's
// vaddr is one page above its file offset. _PyRuntime (0x54e540) was printed by that very
// process as 0x7fbf6334e540.
const std::vector<LoadSegment> kPyenvLibpython311Segments = {
    {0x000000, 0x000000, 0x0f4188, 0x0f4188},
    {0x0f5000, 0x0f5000, 0x23b6d9, 0x23b6d9},
    {0x331000, 0x331000, 0x0e3078, 0x0e3078},
    {0x415ed0, 0x414ed0, 0x161190, 0x1a3a68},  // RW: file-backed up to 0x577060, then .bss
};
const char* const kPyenvLibpython311Maps =
    "7fbf62e00000-7fbf62ef5000 r--p 00000000 fe:00 18834 /pyenv/libpython3.11.so.1.0\n"
    "7fbf62ef5000-7fbf63131000 r-xp 000f5000 fe:00 18834 /pyenv/libpython3.11.so.1.0\n"
    "7fbf63131000-7fbf63215000 r--p 00331000 fe:00 18834 /pyenv/libpython3.11.so.1.0\n"
    "7fbf63215000-7fbf63244000 r--p 00414000 fe:00 18834 /pyenv/libpython3.11.so.1.0\n"
    "7fbf63244000-7fbf63378000 rw-p 00443000 fe:00 18834 /pyenv/libpython3.11.so.1.0\n";
constexpr uint64_t kPyenvBias = 0x7fbf62e00000;

TEST(RuntimeAddress, NonPieExecutableSymbolInDataIsItsLinkAddress) {
  EXPECT_EQ(runtime_address(kDebianPython311Segments, parse_maps(kDebianPython311Maps), 0xa56220),
            std::optional<uint64_t>(0xa56220));
}

TEST(RuntimeAddress, NonPieExecutableSymbolInBssBeyondFileSize) {
  const uint64_t bss_symbol = 0xa7ed60 + 0x100;  // past p_vaddr + p_filesz, before p_memsz
  EXPECT_EQ(runtime_address(kDebianPython311Segments, parse_maps(kDebianPython311Maps), bss_symbol),
            std::optional<uint64_t>(bss_symbol));
}

TEST(RuntimeAddress, NonPieExecutableSymbolInText) {
  EXPECT_EQ(runtime_address(kDebianPython311Segments, parse_maps(kDebianPython311Maps), 0x60b8e0),
            std::optional<uint64_t>(0x60b8e0));
}

TEST(RuntimeAddress, SharedLibrarySymbolInDataIsBiasPlusVaddr) {
  EXPECT_EQ(
      runtime_address(kPyenvLibpython311Segments, parse_maps(kPyenvLibpython311Maps), 0x54e540),
      std::optional<uint64_t>(0x7fbf6334e540));
}

TEST(RuntimeAddress, SharedLibrarySymbolInBssBeyondTheLastFileMapping) {
  // FlagsType (0x5b8180) lies past the last file-backed page (bias + 0x578000): only the
  // anonymous .bss mapping, which is not a mapping of the file, holds it.
  EXPECT_EQ(
      runtime_address(kPyenvLibpython311Segments, parse_maps(kPyenvLibpython311Maps), 0x5b8180),
      std::optional<uint64_t>(kPyenvBias + 0x5b8180));
}

TEST(RuntimeAddress, SharedLibrarySymbolInFirstSegment) {
  EXPECT_EQ(runtime_address(kPyenvLibpython311Segments, parse_maps(kPyenvLibpython311Maps), 0x1234),
            std::optional<uint64_t>(kPyenvBias + 0x1234));
}

TEST(RuntimeAddress, SegmentNotMappedGivesNullopt) {
  std::vector<Mapping> maps = parse_maps(kPyenvLibpython311Maps);
  maps.erase(maps.begin() + 3);  // the mapping of the RW segment's first page
  EXPECT_EQ(runtime_address(kPyenvLibpython311Segments, maps, 0x54e540), std::nullopt);
}

TEST(RuntimeAddress, NoMappingsGiveNullopt) {
  EXPECT_EQ(runtime_address(kPyenvLibpython311Segments, {}, 0x54e540), std::nullopt);
}

TEST(RuntimeAddress, SymbolOutsideEverySegmentGivesNullopt) {
  std::vector<Mapping> maps = parse_maps(kPyenvLibpython311Maps);
  EXPECT_EQ(runtime_address(kPyenvLibpython311Segments, maps, 0x5b9938), std::nullopt);  // = end
  EXPECT_EQ(runtime_address(kPyenvLibpython311Segments, maps, 0x0f4200), std::nullopt);  // gap
}

TEST(RuntimeAddress, SegmentsSharingAFirstFilePageAreToldApart) {
  // pyenv's 3.11.7 bin/python3.11 (ET_DYN, 17 KiB): the R segment at file offset 0x2000 and the
  // RW segment at file offset 0x2db0 both start in file page 0x2000, so two mappings have file
  // offset 0x2000 (the second is the RELRO part of the RW segment). Loaded at 0x556d286b3000.
  const std::vector<LoadSegment> segments = {
      {0x0000, 0x0000, 0x760, 0x760},
      {0x1000, 0x1000, 0x155, 0x155},
      {0x2000, 0x2000, 0x0d0, 0x0d0},
      {0x3db0, 0x2db0, 0x268, 0x270},
  };
  std::vector<Mapping> maps = parse_maps(
      "556d286b3000-556d286b4000 r--p 00000000 fe:00 18624 /pyenv/bin/python3.11\n"
      "556d286b4000-556d286b5000 r-xp 00001000 fe:00 18624 /pyenv/bin/python3.11\n"
      "556d286b5000-556d286b6000 r--p 00002000 fe:00 18624 /pyenv/bin/python3.11\n"
      "556d286b6000-556d286b7000 r--p 00002000 fe:00 18624 /pyenv/bin/python3.11\n"
      "556d286b7000-556d286b8000 rw-p 00003000 fe:00 18624 /pyenv/bin/python3.11\n");
  // __data_start, in the RW segment.
  // Taking the first mapping with the segment's first file page (the R segment's 556d286b5000)
  // would answer 0x556d286b6008, one page too low.
  std::optional<uint64_t> data_start = runtime_address(segments, maps, 0x4008);
  EXPECT_EQ(data_start, std::optional<uint64_t>(0x556d286b7008))
      << std::hex << "got 0x" << data_start.value_or(0) << ", want 0x556d286b7008";
  // The R segment itself is found right.
  EXPECT_EQ(runtime_address(segments, maps, 0x2010), std::optional<uint64_t>(0x556d286b5010));
}

// ---------------------------------------------------------------------------------------------
// (b) Against truth: child interpreters print their own _PyRuntime address and version.

constexpr const char* kDebianPython = "/usr/bin/python3.11";
// pyenv's build of 3.11.7 (PIE, shared libpython), under $PYENV_ROOT or ~/.pyenv.
std::string pyenv_python() {
  const char* root = std::getenv("PYENV_ROOT");
  const char* home = std::getenv("HOME");
  std::string base = root ? root : std::string(home ? home : "") + "/.pyenv";
  return base + "/versions/3.11.7/bin/python3.11";
}

constexpr const char* kReportScript =
    "import ctypes, sys\n"
    "runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, '_PyRuntime'))\n"
    "print(runtime, sys.hexversion, *sys.version_info[:3], flush=True)\n"
    "sys.stdin.read()\n";

// A child process that is killed and reaped when this goes out of scope, whatever happens.
class Child {
 public:
  // Runs `argv`; its stdout can be read with read_line(); its stdin stays open until the end.
  static Child spawn(const std::vector<std::string>& argv) {
    Child child;
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return child;
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    child.pid_ = pid;
    child.stdin_ = in[1];
    child.stdout_ = ::fdopen(out[0], "r");
    return child;
  }

  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        stdin_(std::exchange(other.stdin_, -1)),
        stdout_(std::exchange(other.stdout_, nullptr)) {}
  Child& operator=(Child&&) = delete;
  ~Child() {
    if (stdin_ >= 0) ::close(stdin_);
    if (stdout_) ::fclose(stdout_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }

  pid_t pid() const { return pid_; }

  std::string read_line() {
    std::string line;
    if (!stdout_) return line;
    for (int c; (c = std::fgetc(stdout_)) != EOF && c != '\n';) line += static_cast<char>(c);
    return line;
  }

 private:
  Child() = default;
  pid_t pid_ = -1;
  int stdin_ = -1;
  FILE* stdout_ = nullptr;
};

struct SelfReport {
  uint64_t runtime = 0;
  uint32_t hexversion = 0;
  int major = 0, minor = 0, micro = 0;
};

std::optional<SelfReport> parse_report(const std::string& line) {
  std::istringstream in(line);
  SelfReport report;
  if (in >> report.runtime >> report.hexversion >> report.major >> report.minor >> report.micro) {
    return report;
  }
  return std::nullopt;
}

// Spawns `python`, asks it where its _PyRuntime is, and checks inspect_process says the same.
void expect_inspect_matches_interpreter(const std::string& python,
                                        const std::string& expected_binary_suffix) {
  Child child = Child::spawn({python, "-c", kReportScript});
  ASSERT_GT(child.pid(), 0);
  std::string line = child.read_line();
  std::optional<SelfReport> report = parse_report(line);
  ASSERT_TRUE(report) << python << " printed: '" << line << "'";
  ASSERT_NE(report->runtime, 0u);

  PythonBinaryCache cache;
  ProcessInspection found = inspect_process(child.pid(), cache);
  ASSERT_EQ(found.status, ProcessInspection::Status::kPython)
      << python << " was not recognised as CPython: " << found.message;
  ASSERT_TRUE(found.process);
  const PythonProcess& process = *found.process;

  EXPECT_EQ(process.pid, child.pid());
  EXPECT_EQ(process.runtime_address, report->runtime)
      << std::hex << "inspect_process: 0x" << process.runtime_address << ", interpreter: 0x"
      << report->runtime;
  EXPECT_EQ(process.version.major, report->major);
  EXPECT_EQ(process.version.minor, report->minor);
  EXPECT_EQ(process.version.micro, report->micro);
  PythonVersion from_hex = PythonVersion::from_hex(report->hexversion);
  EXPECT_EQ(process.version.to_string(), from_hex.to_string());

  EXPECT_TRUE(process.binary.ends_with(expected_binary_suffix)) << process.binary;
  EXPECT_EQ(process.walker().interpreters_head_addr,
            report->runtime + process.layout.runtime_interpreters_head);
  EXPECT_NE(process.layout.runtime_gil, 0u);
  EXPECT_EQ(process.walker().gil_addr, report->runtime + process.layout.runtime_gil);

  std::optional<std::string> stat_text =
      read_text_file("/proc/" + std::to_string(child.pid()) + "/stat");
  ASSERT_TRUE(stat_text);
  std::optional<ProcStat> stat = parse_proc_stat(*stat_text);
  ASSERT_TRUE(stat);
  EXPECT_EQ(process.start_time, stat->start_time);
  EXPECT_EQ(process.comm, stat->comm);

  // A second process of the same file is answered from the cache, and still right.
  Child second = Child::spawn({python, "-c", kReportScript});
  std::optional<SelfReport> second_report = parse_report(second.read_line());
  ASSERT_TRUE(second_report);
  ProcessInspection again = inspect_process(second.pid(), cache);
  ASSERT_EQ(again.status, ProcessInspection::Status::kPython) << again.message;
  ASSERT_TRUE(again.process);
  EXPECT_EQ(again.process->runtime_address, second_report->runtime);
}

TEST(InspectProcess, DebianNonPiePythonWithStaticLibpython) {
  if (::access(kDebianPython, X_OK) != 0)
    GTEST_SKIP() << kDebianPython << " is not installed (or not accessible to this user)";
  expect_inspect_matches_interpreter(kDebianPython, "/usr/bin/python3.11");
}

TEST(InspectProcess, PyenvPiePythonWithSharedLibpython) {
  std::string python = pyenv_python();
  if (::access(python.c_str(), X_OK) != 0)
    GTEST_SKIP() << python << " is not installed (or not accessible to this user)";
  expect_inspect_matches_interpreter(python.c_str(), "/lib/libpython3.11.so.1.0");
}

TEST(InspectProcess, NonPythonProcessIsNotPython) {
  Child child = Child::spawn({"/bin/sleep", "60"});
  ASSERT_GT(child.pid(), 0);
  // Wait for the exec: before it, the child is a copy of this test binary.
  std::string exe_link = "/proc/" + std::to_string(child.pid()) + "/exe";
  std::string exe;
  for (int i = 0; i < 500; i++) {
    char buffer[4096];
    ssize_t n = ::readlink(exe_link.c_str(), buffer, sizeof(buffer));
    exe = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
    if (exe.find("sleep") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(exe.find("sleep"), std::string::npos) << "child did not exec /bin/sleep: " << exe;

  PythonBinaryCache cache;
  ProcessInspection found = inspect_process(child.pid(), cache);
  EXPECT_EQ(found.status, ProcessInspection::Status::kNotPython) << found.message;
  EXPECT_FALSE(found.process) << "sleep taken for CPython: " << found.process->binary;
}

TEST(InspectProcess, DeadPidIsAnErrorNamingThePid) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);

  PythonBinaryCache cache;
  ProcessInspection found = inspect_process(pid, cache);
  EXPECT_EQ(found.status, ProcessInspection::Status::kGone)
      << "PID " << pid << " was reaped but inspect_process says: " << found.message;
  EXPECT_FALSE(found.process);
  EXPECT_NE(found.message.find(std::to_string(pid)), std::string::npos) << found.message;
}

}  // namespace
}  // namespace stprof
