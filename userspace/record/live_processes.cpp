#include "record/live_processes.h"

#include <unistd.h>

#include <utility>

#include "discover/proc_list.h"

namespace stprof {

int LiveProcesses::self() const { return static_cast<int>(::getpid()); }

std::vector<int> LiveProcesses::pids() { return list_pids(); }

std::vector<int> LiveProcesses::in_trees(const std::vector<int>& roots) {
  return processes_in_trees(roots);
}

std::optional<ProcStat> LiveProcesses::stat(int pid) { return read_proc_stat(pid); }

std::string LiveProcesses::exe(int pid) { return read_exe_link(pid); }

ProcessFacts LiveProcesses::facts(int pid) { return read_process_facts(pid); }

std::string LiveProcesses::thread_name(int pid, int tid) { return stprof::thread_name(pid, tid); }

ProcessInspection LiveProcesses::inspect(int pid) { return inspect_process(pid, binaries_); }

Result<std::unique_ptr<ProcessMemory>> LiveProcesses::open_memory(int pid) {
  Result<LiveProcessMemory> memory = LiveProcessMemory::open(pid);
  if (!memory) return memory.error();
  return std::unique_ptr<ProcessMemory>(std::make_unique<LiveProcessMemory>(std::move(*memory)));
}

std::optional<ExecImage> LiveProcesses::exec_image(int pid) { return read_exec_image(pid); }

Result<UprobeSite> LiveProcesses::code_free_site(const PythonProcess& python,
                                                 const ProcessMemory& memory) {
  return stprof::code_free_site(python, memory);
}

}  // namespace stprof
