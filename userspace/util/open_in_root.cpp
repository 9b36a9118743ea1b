#include "util/open_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "util/files.h"

namespace stprof {

Result<UniqueFd> open_in_root(const std::string& root_dir, const std::string& path) {
  UniqueFd root(::open(root_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return make_error("cannot open " + root_dir + ": " + errno_text(errno));
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof(how)));
  if (fd < 0) return make_error("cannot open " + path + " in " + root_dir + ": " + errno_text(errno));
  return UniqueFd(fd);
}

}  // namespace stprof
