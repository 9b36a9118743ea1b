#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "util/files.h"
#include "util/unique_fd.h"

namespace stprof {
namespace {

bool write_all(int fd, const std::string& content) {
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

struct TempFile {
  UniqueFd fd;
  std::string path;
};

Result<TempFile> create_temp_beside(const std::string& path) {
  std::string temp_template = path + ".tmp-XXXXXX";
  std::vector<char> temp(temp_template.begin(), temp_template.end());
  temp.push_back('\0');
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return make_error("cannot create " + path + ": " + errno_text(errno));
  return TempFile{std::move(fd), std::string(temp.data())};
}

// An existing path that is not a regular file (/dev/null, a FIFO, a terminal) is written in
// place: renaming over it would replace the device with a file.
bool is_special_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

Result<void> write_in_place(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid() || !write_all(fd.get(), content)) {
    return make_error("cannot write " + path + ": " + errno_text(errno));
  }
  return {};
}

}  // namespace

Result<void> check_writable(const std::string& path) {
  if (path == "-") return {};
  if (is_special_file(path)) {
    if (::access(path.c_str(), W_OK) != 0) {
      return make_error("cannot write " + path + ": " + errno_text(errno));
    }
    return {};
  }
  Result<TempFile> temp = create_temp_beside(path);
  if (!temp) return temp.error();
  ::unlink(temp->path.c_str());
  return {};
}

Result<void> write_file_atomically(const std::string& path, const std::string& content) {
  if (path == "-") {
    if (!write_all(STDOUT_FILENO, content)) return make_error("cannot write to stdout: " + errno_text(errno));
    return {};
  }
  if (is_special_file(path)) return write_in_place(path, content);
  Result<TempFile> temp = create_temp_beside(path);
  if (!temp) return temp.error();
  UniqueFd& fd = temp->fd;
  const std::string& temp_path = temp->path;
  if (!write_all(fd.get(), content) || ::fsync(fd.get()) != 0) {
    int error = errno;
    ::unlink(temp_path.c_str());
    return make_error("cannot write " + path + ": " + errno_text(error));
  }
  ::fchmod(fd.get(), 0644);
  fd.reset();
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp_path.c_str());
    return make_error("cannot write " + path + ": " + errno_text(error));
  }
  return {};
}

}  // namespace stprof
