// Tests for util/open_in_root: a path as another process sees it never leads out of that
// process's root, whatever symlinks and ".." it holds. A temporary directory plays the root;
// every file the tests may reach holds a known text, so a read tells where it was opened: inside
// the root (allowed), or outside (never).

#include "util/open_in_root.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace stprof {
namespace {

namespace fs = std::filesystem;

const char kInsideHostname[] = "hostname inside the root\n";
const char kOutside[] = "a file outside the root\n";
const char kLibrary[] = "\x7f" "ELF pretend library\n";

// <temp>/stprof-open-in-root-XXXXXX/{outside.txt, root/...}, removed at the end.
class OpenInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "stprof-open-in-root-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(::mkdtemp(buffer.data()), nullptr);
    top_ = buffer.data();
    root_ = top_ / "root";
    fs::create_directories(root_ / "lib");
    fs::create_directories(root_ / "etc");
    write(top_ / "outside.txt", kOutside);
    write(root_ / "etc" / "hostname", kInsideHostname);
    write(root_ / "lib" / "ok.so", kLibrary);
    fs::create_symlink("/etc/hostname", root_ / "lib" / "evil.so");
    fs::create_symlink("../../../../etc/hostname", root_ / "lib" / "up.so");
    host_hostname_ = read_host("/etc/hostname");
  }

  void TearDown() override {
    std::error_code ignored;
    if (!top_.empty()) fs::remove_all(top_, ignored);
  }

  static void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  static std::optional<std::string> read_host(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // What open_in_root(root, path) opens, read whole; nullopt when it refuses.
  std::optional<std::string> open_and_read(const std::string& path) const {
    return open_and_read_in(root_.string(), path);
  }

  static std::optional<std::string> open_and_read_in(const std::string& root, const std::string& path) {
    Result<UniqueFd> fd = open_in_root(root, path);
    if (!fd) {
      EXPECT_NE(fd.error().message.find(path), std::string::npos) << fd.error().message;
      return std::nullopt;
    }
    std::string content;
    char chunk[4096];
    ssize_t n;
    while ((n = ::read(fd->get(), chunk, sizeof(chunk))) > 0) content.append(chunk, static_cast<size_t>(n));
    EXPECT_EQ(n, 0) << "read failed";
    return content;
  }

  // Either refused, or a file of the root: never the host's /etc/hostname or outside.txt.
  void expect_inside(const std::string& path, const std::optional<std::string>& allowed) const {
    std::optional<std::string> content = open_and_read(path);
    if (!content) return;
    if (host_hostname_ && *host_hostname_ != kInsideHostname) {
      EXPECT_NE(*content, *host_hostname_) << path << " opened the host's /etc/hostname";
    }
    EXPECT_NE(*content, kOutside) << path << " opened a file outside the root";
    ASSERT_TRUE(allowed) << path << " opened something: " << *content;
    EXPECT_EQ(*content, *allowed) << path;
  }

  fs::path top_;
  fs::path root_;
  std::optional<std::string> host_hostname_;
};

TEST_F(OpenInRootTest, RegularFileOpens) {
  EXPECT_EQ(open_and_read("/lib/ok.so"), std::optional<std::string>(kLibrary));
}

TEST_F(OpenInRootTest, AbsoluteSymlinkResolvesInsideTheRoot) {
  // /etc/hostname as the root sees it: the root's own file, never the host's.
  expect_inside("/lib/evil.so", std::string(kInsideHostname));
}

TEST_F(OpenInRootTest, DotDotSymlinkStopsAtTheRoot) {
  // ../../../../etc/hostname from /lib climbs to the root and no further.
  expect_inside("/lib/up.so", std::string(kInsideHostname));
}

TEST_F(OpenInRootTest, SymlinksOutWithoutAFileInsideAreRefused) {
  fs::remove(root_ / "etc" / "hostname");
  EXPECT_EQ(open_and_read("/lib/evil.so"), std::nullopt);
  EXPECT_EQ(open_and_read("/lib/up.so"), std::nullopt);
}

TEST_F(OpenInRootTest, DotDotInThePathStopsAtTheRoot) {
  expect_inside("/../../../../etc/hostname", std::string(kInsideHostname));
  expect_inside("/lib/../../../etc/hostname", std::string(kInsideHostname));
  expect_inside("/../outside.txt", std::nullopt);  // top/outside.txt is one level above the root
}

TEST_F(OpenInRootTest, SymlinksToTheFileOutsideAreRefused) {
  fs::create_symlink(top_ / "outside.txt", root_ / "lib" / "absolute-out.so");
  fs::create_symlink("../../outside.txt", root_ / "lib" / "relative-out.so");
  fs::create_symlink("relative-out.so", root_ / "lib" / "chain.so");
  expect_inside("/lib/absolute-out.so", std::nullopt);
  expect_inside("/lib/relative-out.so", std::nullopt);
  expect_inside("/lib/chain.so", std::nullopt);
}

TEST_F(OpenInRootTest, SymlinkedDirectoryResolvesInsideTheRoot) {
  fs::create_symlink("/etc", root_ / "lib" / "etc-link");
  fs::create_symlink("../..", root_ / "lib" / "parent-link");
  expect_inside("/lib/etc-link/hostname", std::string(kInsideHostname));
  expect_inside("/lib/parent-link/outside.txt", std::nullopt);
  expect_inside("/lib/parent-link/etc/hostname", std::string(kInsideHostname));
}

TEST_F(OpenInRootTest, ProcMagicLinksAreNotFollowed) {
  // /proc inside the root does not exist; and magic links are refused anyway.
  fs::create_symlink("/proc/self/root/etc/hostname", root_ / "lib" / "magic.so");
  expect_inside("/lib/magic.so", std::nullopt);
  fs::create_directories(root_ / "proc");
  fs::create_directory_symlink("/proc/self", root_ / "proc" / "self");
  expect_inside("/lib/magic.so", std::nullopt);
}

TEST_F(OpenInRootTest, MissingRootOrFileIsAnError) {
  EXPECT_EQ(open_and_read("/lib/missing.so"), std::nullopt);
  Result<UniqueFd> fd = open_in_root((top_ / "no-such-root").string(), "/lib/ok.so");
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().message.find("no-such-root"), std::string::npos) << fd.error().message;
}

TEST_F(OpenInRootTest, ProcPidRootAsTheRoot) {
  // How the profiler calls it: /proc/PID/root (a magic link itself) is the root directory.
  std::string ok = (root_ / "lib" / "ok.so").string();
  EXPECT_EQ(open_and_read_in("/proc/self/root", ok), std::optional<std::string>(kLibrary));
}

}  // namespace
}  // namespace stprof
