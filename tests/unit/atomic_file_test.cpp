// Tests for util/atomic_file: the output file is written whole or not at all, and no temporary
// file is left behind on failure. Runs as a normal user and as root (the unwritable-directory
// case drops to an unprivileged user in a child process, since root writes anywhere).

#include "util/atomic_file.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace stprof {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "stprof-atomic-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data())) path_ = buffer.data();
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code error;
    fs::permissions(path_, fs::perms::owner_all, error);
    fs::remove_all(path_, error);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// Runs `body` in a child process (as user/group 65534 when this process is root, so directory
// permissions apply) and returns what it wrote: the error message, or "ok".
std::string run_in_child(const std::function<Result<void>()>& body, bool drop_root) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string text;
    if (drop_root && ::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
         ::setresuid(65534, 65534, 65534) != 0)) {
      text = "CHILD SETUP: cannot drop root";
    } else {
      Result<void> result = body();
      text = result.ok() ? "ok" : result.error().message;
    }
    if (::write(pipe_fds[1], text.data(), text.size()) < 0) ::_exit(2);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "CHILD DIED: status " + std::to_string(status);
  return text;
}

TEST(WriteFileAtomically, WritesTheContent) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  fs::path target = dir.path() / "profile.folded";
  Result<void> result = write_file_atomically(target.string(), "a;b 1\nc 2\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(read_file(target), "a;b 1\nc 2\n");
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"profile.folded"})
      << "only the target should be left";
}

TEST(WriteFileAtomically, EmptyContentGivesEmptyFile) {
  TempDir dir;
  fs::path target = dir.path() / "empty.txt";
  Result<void> result = write_file_atomically(target.string(), "");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(fs::exists(target));
  EXPECT_EQ(fs::file_size(target), 0u);
}

TEST(WriteFileAtomically, ResultIsReadableByOthers) {
  TempDir dir;
  fs::path target = dir.path() / "out.svg";
  ASSERT_TRUE(write_file_atomically(target.string(), "<svg/>").ok());
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u) << "mkstemp's 0600 should not leak into the output";
}

TEST(WriteFileAtomically, ExistingFileIsReplacedWhole) {
  TempDir dir;
  fs::path target = dir.path() / "out.txt";
  std::string long_content(10000, 'x');
  ASSERT_TRUE(write_file_atomically(target.string(), long_content).ok());
  // A reader that opened the old file keeps seeing the old file: it is replaced, not rewritten.
  std::ifstream old_reader(target, std::ios::binary);
  ASSERT_TRUE(old_reader);

  Result<void> result = write_file_atomically(target.string(), "short\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(read_file(target), "short\n") << "no tail of the longer old content may remain";
  std::ostringstream old_text;
  old_text << old_reader.rdbuf();
  EXPECT_EQ(old_text.str(), long_content);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(WriteFileAtomically, UnwritableDirectoryIsAnErrorAndLeavesNoTempFile) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  fs::path locked = dir.path() / "locked";
  ASSERT_TRUE(fs::create_directory(locked));
  // The parent must be searchable by the unprivileged child; `locked` itself is read-only.
  fs::permissions(dir.path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  fs::path target = locked / "out.txt";

  std::string message = run_in_child([&] { return write_file_atomically(target.string(), "data"); },
                                     /*drop_root=*/true);
  EXPECT_NE(message, "ok") << "writing into a read-only directory succeeded";
  EXPECT_EQ(message.find("CHILD"), std::string::npos) << message;
  EXPECT_NE(message.find(target.string()), std::string::npos)
      << "the message should name the file: " << message;
  EXPECT_TRUE(entries(locked).empty()) << "left behind: " << entries(locked).front();
}

TEST(WriteFileAtomically, FailedRenameRemovesTheTempFileAndKeepsTheTarget) {
  // The target is a non-empty directory: the temp file is written, then rename() fails.
  TempDir dir;
  fs::path target = dir.path() / "out";
  ASSERT_TRUE(fs::create_directory(target));
  std::ofstream(target / "keep") << "kept";

  Result<void> result = write_file_atomically(target.string(), "data");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find(target.string()), std::string::npos)
      << result.error().message;
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"out"}) << "temp file left behind";
  EXPECT_EQ(read_file(target / "keep"), "kept");
}

TEST(WriteFileAtomically, FailedWriteRemovesTheTempFileAndKeepsTheOldContent) {
  // A file size limit makes write() fail after the temp file exists (EFBIG, SIGXFSZ ignored).
  TempDir dir;
  fs::path target = dir.path() / "out.txt";
  ASSERT_TRUE(write_file_atomically(target.string(), "old\n").ok());

  std::string message = run_in_child(
      [&] {
        ::signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit {
          4096, 4096
        };
        ::setrlimit(RLIMIT_FSIZE, &limit);
        return write_file_atomically(target.string(), std::string(1 << 16, 'y'));
      },
      /*drop_root=*/false);
  EXPECT_NE(message, "ok") << "a write over RLIMIT_FSIZE succeeded";
  EXPECT_EQ(message.find("CHILD"), std::string::npos) << message;
  EXPECT_EQ(read_file(target), "old\n");
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"out.txt"}) << "temp file left behind";
}

TEST(CheckWritable, WritableDirectoryIsOkAndLeavesNothing) {
  TempDir dir;
  fs::path target = dir.path() / "later.txt";
  Result<void> result = check_writable(target.string());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(entries(dir.path()).empty()) << "left behind: " << entries(dir.path()).front();
}

TEST(CheckWritable, MissingDirectoryIsAnErrorNamingThePath) {
  TempDir dir;
  fs::path target = dir.path() / "no-such-dir" / "out.txt";
  Result<void> result = check_writable(target.string());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find(target.string()), std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace stprof

namespace stprof {
namespace {

TEST(WriteFileAtomically, DeviceIsWrittenInPlaceNotReplaced) {
  // Renaming a temporary file over /dev/null would turn the device into a regular file.
  ASSERT_TRUE(check_writable("/dev/null"));
  ASSERT_TRUE(write_file_atomically("/dev/null", "profile\n"));
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

}  // namespace
}  // namespace stprof
