#include "symbolize/process_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/files.h"

namespace stprof {

Result<LiveProcessMemory> LiveProcessMemory::open(int pid, const std::string& proc_root) {
  std::string path = proc_root + "/" + std::to_string(pid) + "/mem";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return make_error("cannot open " + path + ": " + errno_text(errno) +
                      " (needs root, or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)");
  }
  return LiveProcessMemory(std::move(fd));
}

bool LiveProcessMemory::read(uint64_t address, void* out, size_t size) const {
  if (address > static_cast<uint64_t>(INT64_MAX) - size) return false;
  ssize_t n = ::pread(fd_.get(), out, size, static_cast<off_t>(address));
  return n == static_cast<ssize_t>(size);
}

void FakeProcessMemory::add(uint64_t address, std::vector<uint8_t> bytes) {
  blocks_[address] = std::move(bytes);
}

bool FakeProcessMemory::read(uint64_t address, void* out, size_t size) const {
  auto it = blocks_.upper_bound(address);
  if (it == blocks_.begin()) return false;
  --it;
  uint64_t offset = address - it->first;
  if (offset > it->second.size() || size > it->second.size() - offset) return false;
  if (size > 0) std::memcpy(out, it->second.data() + offset, size);
  return true;
}

}  // namespace stprof
