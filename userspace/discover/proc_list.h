// Enumerating processes and naming threads through procfs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "discover/proc_stat.h"

namespace stprof {

std::vector<int> list_pids(const std::string& proc_root = "/proc");
// The threads of a process (empty when it is gone).
std::vector<int> list_tids(int pid, const std::string& proc_root = "/proc");
// The processes now alive among `roots` and their descendants (by parent PID).
std::vector<int> processes_in_trees(const std::vector<int>& roots,
                                    const std::string& proc_root = "/proc");
std::optional<ProcStat> read_proc_stat(int pid, const std::string& proc_root = "/proc");
// Target of /proc/PID/exe ("" when unreadable): it changes when the process execs.
std::string read_exe_link(int pid, const std::string& proc_root = "/proc");
// The thread's comm, or "" when the thread is gone.
std::string thread_name(int pid, int tid, const std::string& proc_root = "/proc");

}  // namespace stprof
