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
  if (stat) {
    auto tracked = processes_.find(pid);
    if (tracked != processes_.end() && !tracked->second.exited &&
        tracked->second.info.start_time == stat->start_time) {
      return;
    }
    auto ignored = ignored_.find(pid);
    if (ignored != ignored_.end() && ignored->second.first == stat->start_time &&
        ignored->second.second == read_exe_link(pid)) {
      return;
    }
  }

  using Status = ProcessInspection::Status;
  ProcessInspection inspection = inspect_process(pid, binaries_);
  bool requested = !requested_.empty();
  if (inspection.status == Status::kLoading && !(requested && first_scan_)) return;
  if (inspection.status != Status::kPython) {
    if (inspection.status != Status::kGone && inspection.status != Status::kLoading) {
      ignored_[pid] = {inspection.start_time, inspection.exe};
    }
    // With --all-python, only Python processes that cannot be profiled are news.
    if (requested || inspection.status == Status::kUnsupported) {
      warnings.push_back(inspection.message);
    }
    targets_failed_ = targets_failed_ || requested;
    return;
  }
  PythonProcess& python = *inspection.process;
  Result<LiveProcessMemory> memory = LiveProcessMemory::open(pid);
  Result<void> added = memory ? sampler_.add_process(static_cast<__u32>(pid), python.walker())
                              : Result<void>(memory.error());
  if (!added) {
    ignored_[pid] = {inspection.start_time, inspection.exe};
    warnings.push_back(added.error().message);
    targets_failed_ = targets_failed_ || requested;
    return;
  }
  TrackedProcess tracked;
  tracked.memory = std::make_unique<LiveProcessMemory>(std::move(*memory));
  tracked.symbolizer = std::make_unique<CodeSymbolizer>(*tracked.memory, python.layout);
  tracked.info = std::move(python);
  processes_.insert_or_assign(pid, std::move(tracked));
}

}  // namespace stprof
