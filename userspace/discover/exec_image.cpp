#include "discover/exec_image.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "discover/proc_list.h"

namespace stprof {

uint64_t kernel_dev(dev_t dev) {
  return (static_cast<uint64_t>(major(dev)) << 20) | minor(dev);
}

std::optional<ExecImage> read_exec_image(int pid, const std::string& proc_root) {
  struct stat st {};
  std::string exe = proc_root + "/" + std::to_string(pid) + "/exe";
  if (::stat(exe.c_str(), &st) != 0) return std::nullopt;
  std::optional<ProcStat> stat = read_proc_stat(pid, proc_root);
  if (!stat || stat->start_code == 0) return std::nullopt;
  ExecImage image;
  image.key = {kernel_dev(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size)};
  image.start_code = stat->start_code;
  return image;
}

stprof_process relative_to_text(const stprof_process& process, uint64_t start_code) {
  stprof_process entry = process;
  entry.interpreters_head_addr -= start_code;
  if (entry.gil_addr) entry.gil_addr -= start_code;
  return entry;
}

}  // namespace stprof
