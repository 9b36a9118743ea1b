#include "record/process_table.h"

#include <unistd.h>

#include "discover/proc_list.h"

namespace stprof {

ProcessTable::ProcessTable(Sampler& sampler, std::vector<int> pids)
    : sampler_(sampler), requested_(std::move(pids)) {}

size_t ProcessTable::alive_count() const {
  size_t alive = 0;
  for (const auto& [pid, process] : processes_) alive += process.exited ? 0 : 1;
  return alive;
}

TrackedProcess* ProcessTable::find(int pid) {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : &it->second;
}

void ProcessTable::mark_exited(TrackedProcess& process) {
  process.exited = true;
  sampler_.remove_process(static_cast<__u32>(process.info.pid));
}

std::vector<std::string> ProcessTable::rescan() {
  std::vector<std::string> warnings;
  for (auto& [pid, process] : processes_) {
    if (process.exited) continue;
    std::optional<ProcStat> stat = read_proc_stat(pid);
    if (!stat || stat->start_time != process.info.start_time) mark_exited(process);
  }
  if (!requested_.empty()) {
    if (first_scan_) {
      for (int pid : requested_) consider(pid, warnings);
    }
  } else {
    int self = static_cast<int>(::getpid());
    for (int pid : list_pids()) {
      if (pid != self) consider(pid, warnings);
    }
  }
  first_scan_ = false;
  return warnings;
}

void ProcessTable::consider(int pid, std::vector<std::string>& warnings) {
  std::optional<ProcStat> stat = read_proc_stat(pid);
  if (stat && ignored_.count({pid, stat->start_time})) return;
  auto existing = processes_.find(pid);
  if (existing != processes_.end() && stat && !existing->second.exited &&
      existing->second.info.start_time == stat->start_time) {
    return;
  }
  bool requested = !requested_.empty();
  auto reject = [&](const std::string& message) {
    if (stat) ignored_.insert({pid, stat->start_time});
    if (!message.empty()) warnings.push_back(message);
    if (requested) targets_failed_ = true;
  };

  Result<std::optional<PythonProcess>> inspected = inspect_process(pid, binaries_);
  if (!inspected) {
    // With --all-python a process that vanished between listing and reading is no news.
    bool vanished = !read_proc_stat(pid).has_value();
    reject(requested || !vanished ? inspected.error().message : std::string());
    return;
  }
  if (!inspected->has_value()) {
    reject(requested ? "PID " + std::to_string(pid) + " (" + (stat ? stat->comm : "?") +
                           ") is not a Python process"
                     : std::string());
    return;
  }
  PythonProcess& python = **inspected;
  Result<LiveProcessMemory> memory = LiveProcessMemory::open(pid);
  if (!memory) {
    reject(memory.error().message);
    return;
  }
  if (Result<void> added = sampler_.add_process(static_cast<__u32>(pid), python.walker()); !added) {
    reject(added.error().message);
    return;
  }
  TrackedProcess tracked;
  tracked.memory = std::make_unique<LiveProcessMemory>(std::move(*memory));
  tracked.symbolizer = std::make_unique<CodeSymbolizer>(*tracked.memory, python.layout);
  tracked.info = std::move(python);
  processes_.insert_or_assign(pid, std::move(tracked));
}

}  // namespace stprof
