#include "util/privileges.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace stprof {
namespace {

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool has_capability(const __user_cap_data_struct (&data)[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

}  // namespace

Result<void> check_privileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return {};  // let the kernel say no later
  bool admin = has_capability(data, CAP_SYS_ADMIN);
  std::string missing;
  if (!admin && !has_capability(data, CAP_BPF)) missing += " CAP_BPF";
  if (!admin && !has_capability(data, CAP_PERFMON)) missing += " CAP_PERFMON";
  if (!has_capability(data, CAP_SYS_PTRACE)) missing += " CAP_SYS_PTRACE";
  // /proc/PID/mem is mode 0600, owned by the target's user.
  if (!has_capability(data, CAP_DAC_READ_SEARCH) && !has_capability(data, CAP_DAC_OVERRIDE)) {
    missing += " CAP_DAC_READ_SEARCH";
  }
  if (missing.empty()) return {};
  return make_error("missing privileges (" + missing.substr(1) +
                    "): run as root, e.g. with sudo");
}

Result<void> check_kernel_btf() {
  if (::access("/sys/kernel/btf/vmlinux", R_OK) == 0) return {};
  return make_error(
      "the kernel exposes no BTF (/sys/kernel/btf/vmlinux): use a kernel built with "
      "CONFIG_DEBUG_INFO_BTF=y");
}

}  // namespace stprof
