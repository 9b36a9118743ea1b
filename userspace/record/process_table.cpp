#include "record/process_table.h"

#include <time.h>

#include <algorithm>
#include <utility>

#include "discover/exec_image.h"

namespace stprof {
namespace {

// After an exec the new image's libpython may not be mapped yet (the dynamic loader runs
// first), so a process that is not Python yet is looked at again after these delays (ms,
// from the exec event).
constexpr int kExecRetryDelays[] = {0, 2, 5, 10, 20, 40, 80, 160, 320};

constexpr size_t kMaxLatencies = 100000;  // see exec_to_registration_ms

uint64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace

ProcessTable::ProcessTable(SamplerControl& sampler, ProcessSource& system, TargetFilter filter,
                           bool code_free_uprobe, bool gil_only)
    : sampler_(sampler),
      system_(system),
      filter_(std::move(filter)),
      code_free_uprobe_(code_free_uprobe),
      gil_only_(gil_only) {}

stprof_exec_registration ProcessTable::exec_registration(const TargetFilter& filter) {
  if (filter.pids.empty() && !filter.has_selectors()) return STPROF_REGISTER_AT_EXEC_ALL;
  bool tree_alone = !filter.tree_roots.empty() && filter.comm.empty() && filter.exe.empty() &&
                    filter.containers.empty() && filter.cgroups.empty();
  return tree_alone ? STPROF_REGISTER_AT_EXEC_FOLLOWED : STPROF_REGISTER_AT_EXEC_NONE;
}

size_t ProcessTable::alive_count() const {
  return static_cast<size_t>(std::count_if(processes_.begin(), processes_.end(),
                                           [](const auto& entry) { return !entry.second.exited; }));
}

size_t ProcessTable::cached_code_objects() const {
  size_t cached = 0;
  for (const auto& [pid, process] : processes_) {
    if (process.symbolizer) cached += process.symbolizer->cached();
  }
  return cached;
}

TrackedProcess* ProcessTable::find(int pid) {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : &it->second;
}

bool ProcessTable::in_tree(int pid) const {
  return !filter_.tree_roots.empty() && sampler_.is_followed(static_cast<__u32>(pid));
}

void ProcessTable::end(TrackedProcess& process) {
  if (process.exited) return;
  retire(process);
  sampler_.remove_process(static_cast<__u32>(process.info.pid));
}

void ProcessTable::retire(TrackedProcess& process) {
  process.exited = true;
  retired_.push_back({process.info.pid, process.serial});
}

std::vector<ProcessTable::Retired> ProcessTable::take_retired() { return std::exchange(retired_, {}); }

void ProcessTable::release(const Retired& retired) {
  TrackedProcess* process = find(retired.pid);
  if (!process || process->serial != retired.serial) return;  // replaced, and freed with it
  process->symbolizer.reset();
  process->memory.reset();
}

void ProcessTable::forget_released() {
  for (auto it = processes_.begin(); it != processes_.end();) {
    if (it->second.exited && !it->second.memory) {
      it = processes_.erase(it);
      gone_count_++;
    } else {
      ++it;
    }
  }
}

void ProcessTable::replace(int pid, TrackedProcess process) {
  process.serial = next_serial_++;
  auto [it, inserted] = processes_.insert_or_assign(pid, std::move(process));
  if (!inserted) gone_count_++;
  // Children of a profiled process are profiled from their first instruction (see procs.bpf.c),
  // except with -p alone, which names exactly the processes to profile.
  if (filter_.watches_new_processes()) sampler_.follow(static_cast<__u32>(pid));
}

ProcessTable::Warnings ProcessTable::start() {
  Warnings warnings;
  // --pid-tree: the roots and everything already below them are followed; the kernel follows
  // what they fork from now on.
  if (!filter_.tree_roots.empty()) {
    for (int pid : system_.in_trees(filter_.tree_roots)) sampler_.follow(static_cast<__u32>(pid));
    for (int root : filter_.tree_roots) {
      if (!system_.stat(root)) warnings.push_back("no process with PID " + std::to_string(root));
    }
  }
  for (int pid : filter_.pids) consider(pid, true, warnings, {});
  if (filter_.watches_new_processes()) {
    for (int pid : system_.pids()) {
      if (pid != system_.self() && !filter_.requested(pid)) consider(pid, false, warnings, {});
    }
  }
  return warnings;
}

ProcessTable::Outcome ProcessTable::consider(int pid, bool requested, Warnings& warnings,
                                             Arrival arrival) {
  using Status = ProcessInspection::Status;
  ProcessInspection inspection = system_.inspect(pid);
  // Whether the kernel may hold something of pid's (an entry, a uprobe) that a rejection removes.
  bool in_kernel = arrival.registered_at_exec;
  auto reject = [&](const std::string& message) {
    if (in_kernel) sampler_.remove_process(static_cast<__u32>(pid));
    if (inspection.status != Status::kGone) {
      ignored_[pid] = {inspection.start_time, inspection.vsize, inspection.exe};
    }
    if (!message.empty()) warnings.push_back(message);
    targets_failed_ = targets_failed_ || requested;
    return Outcome::kRejected;
  };
  if (inspection.status != Status::kPython) {
    // Without a libpython to wait for, only a dlopen can make it Python later: the rescans
    // look for that (a retry per delay for every program exec'd on a busy host cost more).
    bool may_become_python =
        inspection.status == Status::kLoading ||
        (inspection.status == Status::kNotPython && inspection.links_libpython);
    // A registration by the kernel stays meanwhile: it may be right, and is judged at the end.
    if (arrival.exec_ktime_ns && may_become_python) return Outcome::kTryLater;
    // Without -p, only Python processes that cannot be profiled are news.
    return reject(requested || inspection.status == Status::kUnsupported ? inspection.message : "");
  }
  ProcessFacts facts = system_.facts(pid);
  if (!requested && !filter_.selects({pid, inspection.comm, inspection.exe, facts, in_tree(pid)})) {
    return reject("");
  }
  PythonProcess& python = *inspection.process;
  Result<std::unique_ptr<ProcessMemory>> memory = system_.open_memory(pid);
  if (!memory) return reject(memory.error().message);
  stprof_process walker = walker_for(python, **memory);
  in_kernel = true;  // walker_for may have attached a uprobe for pid
  Result<void> added = arrival.registered_at_exec
                           ? sampler_.confirm_process(static_cast<__u32>(pid), walker)
                           : sampler_.add_process(static_cast<__u32>(pid), walker);
  if (!added) return reject(added.error().message);
  if (!arrival.registered_at_exec) {
    // The first kMaxLatencies only: a run of weeks sees millions of execs.
    if (arrival.exec_ktime_ns && exec_latencies_ms_.size() < kMaxLatencies) {
      exec_latencies_ms_.push_back((monotonic_ns() - arrival.exec_ktime_ns) / 1e6);
    }
    remember_image(python, walker);
  }

  if (gil_only_ && python.layout.build == PythonBuild::kFreeThreaded) {
    warnings.push_back("PID " + std::to_string(pid) + " (" + python.comm + ") is free-threaded CPython " +
                       python.version.to_string() + ": --gil keeps all of its samples while its GIL is "
                       "disabled (unless PYTHON_GIL=1 or a C extension enables it)");
  }

  TrackedProcess tracked;
  tracked.exe = std::move(inspection.exe);
  tracked.facts = std::move(facts);
  tracked.memory = std::move(*memory);
  tracked.symbolizer =
      std::make_unique<CodeSymbolizer>(*tracked.memory, python.layout, python.none_address);
  tracked.info = std::move(python);
  ignored_.erase(pid);
  selected_any_ = selected_any_ || !requested;
  replace(pid, std::move(tracked));
  // After replace(): the stacks it interns are symbolized with the process's own table.
  if (Result<void> seeded = sampler_.seed_off_cpu(static_cast<__u32>(pid)); !seeded) {
    warnings.push_back(seeded.error().message);
  }
  return Outcome::kRegistered;
}

void ProcessTable::adopt_fork(int child, int parent) {
  // The kernel registered the child with the parent's layout (same memory after fork).
  TrackedProcess* origin = find(parent);
  std::optional<ProcStat> stat = system_.stat(child);
  if (!origin || !stat || !sampler_.is_registered(static_cast<__u32>(child))) return;
  // Exec'd since (its exec event follows): a registration now is the kernel's, of the new image.
  std::string exe = system_.exe(child);
  if (exe != origin->exe) return;
  Result<std::unique_ptr<ProcessMemory>> memory = system_.open_memory(child);
  if (!memory) {
    sampler_.remove_process(static_cast<__u32>(child));
    return;
  }
  TrackedProcess tracked;
  tracked.info = origin->info;
  tracked.info.pid = child;
  tracked.info.start_time = stat->start_time;
  tracked.info.comm = stat->comm;
  tracked.exe = std::move(exe);
  tracked.facts = system_.facts(child);
  tracked.memory = std::move(*memory);
  tracked.symbolizer = std::make_unique<CodeSymbolizer>(*tracked.memory, tracked.info.layout,
                                                        tracked.info.none_address);
  // The kernel's copy of the parent's entry counts no code frees: the parent's uprobe does not
  // see the child's. Should the update fail, that copy stands.
  stprof_process walker = walker_for(tracked.info, *tracked.memory);
  if (walker.flags & STPROF_PROCESS_CODE_FREES) {
    static_cast<void>(sampler_.add_process(static_cast<__u32>(child), walker));
  }
  replace(child, std::move(tracked));
}

void ProcessTable::remember_image(const PythonProcess& python, stprof_process walker) {
  if (exec_registration(filter_) == STPROF_REGISTER_AT_EXEC_NONE || python.binary_mappings.empty()) {
    return;
  }
  std::optional<ExecImage> image = system_.exec_image(python.pid);
  if (!image || image->key.ino != python.binary_mappings.front().inode) return;
  if (!remembered_images_.emplace(image->key.dev, image->key.ino, image->key.size).second) return;
  // A uprobe that counts this process's code frees alone says nothing of the next process.
  if (filter_.confined_to_named_processes()) walker.flags &= ~STPROF_PROCESS_CODE_FREES;
  // Without it, processes of this executable are registered by userspace, only later.
  static_cast<void>(sampler_.add_python_image(image->key, relative_to_text(walker, image->start_code)));
}

stprof_process ProcessTable::walker_for(const PythonProcess& python, const ProcessMemory& memory) {
  stprof_process walker = python.walker();
  if (walker.interp_code_epoch || !code_free_uprobe_) return walker;
  // Without the uprobe each sample reads its code objects: slower, never wrong.
  Result<UprobeSite> site = system_.code_free_site(python, memory);
  if (!site) return walker;
  Result<void> counted =
      filter_.confined_to_named_processes()
          ? sampler_.count_code_frees_of(static_cast<__u32>(python.pid), site->path, site->file_offset)
          : sampler_.count_code_frees_in(site->path, site->file_offset);
  if (counted) walker.flags |= STPROF_PROCESS_CODE_FREES;
  return walker;
}

ProcessTable::Warnings ProcessTable::handle(const stprof_event& event) {
  Warnings warnings;
  int pid = static_cast<int>(event.pid);
  TrackedProcess* current = find(pid);
  switch (event.kind) {
    case STPROF_EVENT_EXEC: {
      // The kernel removed the image's registration; with STPROF_EVENT_REGISTERED it holds the
      // new image's, which stays until judged.
      bool registered = event.flags & STPROF_EVENT_REGISTERED;
      if (current && registered) {
        retire(*current);
      } else if (current) {
        end(*current);
      }
      ignored_.erase(pid);
      if (filter_.watches_new_processes() || filter_.requested(pid) || registered) {
        pending_[pid] = Pending{0, Clock::now(), {event.ktime_ns, registered}};
        warnings = retry_pending();  // its first look, and any other due: their warnings too
      }
      break;
    }
    case STPROF_EVENT_FORK:
      adopt_fork(pid, static_cast<int>(event.parent_pid));
      break;
    case STPROF_EVENT_EXIT:
      if (current) end(*current);
      pending_.erase(pid);
      ignored_.erase(pid);
      break;
  }
  return warnings;
}

ProcessTable::Warnings ProcessTable::retry_pending() {
  Warnings warnings;
  Clock::time_point now = Clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto& [pid, pending] = *it;
    if (pending.due > now) {
      ++it;
      continue;
    }
    constexpr size_t kAttempts = std::size(kExecRetryDelays);
    bool last = pending.attempt + 1 >= kAttempts;
    Arrival arrival = pending.arrival;
    if (last) arrival.exec_ktime_ns = 0;  // no more kTryLater
    Outcome outcome = consider(pid, filter_.requested(pid), warnings, arrival);
    if (outcome == Outcome::kTryLater) {
      pending.attempt++;
      pending.due += std::chrono::milliseconds(kExecRetryDelays[pending.attempt] -
                                               kExecRetryDelays[pending.attempt - 1]);
      ++it;
    } else {
      // A process still starting when its retries ran out (a loaded machine) gets one more
      // look at the next rescan instead of being ignored until it execs again.
      if (outcome == Outcome::kRejected && last) ignored_.erase(pid);
      it = pending_.erase(it);
    }
  }
  return warnings;
}

std::optional<ProcessTable::Clock::time_point> ProcessTable::next_retry() const {
  std::optional<Clock::time_point> next;
  for (const auto& [pid, pending] : pending_) {
    if (!next || pending.due < *next) next = pending.due;
  }
  return next;
}

ProcessTable::Warnings ProcessTable::rescan(bool events_were_lost) {
  Warnings warnings;
  // Exit and exec remove the kernel's registration whether or not their events got through; an
  // exec into an executable of python_images registers the new image at once, so after lost
  // events a changed executable tells that too.
  std::vector<int> registered_at_exec;
  for (auto& [pid, process] : processes_) {
    if (process.exited) continue;
    if (!sampler_.is_registered(static_cast<__u32>(pid))) {
      end(process);
    } else if (events_were_lost && system_.exe(pid) != process.exe) {
      retire(process);
      registered_at_exec.push_back(pid);
    }
  }
  for (int pid : registered_at_exec) {
    consider(pid, filter_.requested(pid), warnings, {0, true});
  }
  if (!filter_.watches_new_processes()) return warnings;
  // New programs announce themselves with an exec event. One that has not may have loaded
  // libpython since it was judged, which it can only do while it runs: the sampler marks the
  // unregistered processes it interrupts. Only after lost events is all of /proc looked at
  // (the marks are taken either way, so that they start afresh).
  std::vector<int> candidates;
  for (__u32 pid : sampler_.take_unregistered_that_ran()) candidates.push_back(static_cast<int>(pid));
  if (events_were_lost) candidates = system_.pids();
  for (int pid : candidates) {
    if (pid == system_.self() || pending_.count(pid)) continue;
    if (TrackedProcess* tracked = find(pid); tracked && !tracked->exited) continue;
    std::optional<ProcStat> stat = system_.stat(pid);
    if (!stat) continue;
    // Unchanged since it was judged. An exec sends an event that clears the judgement; only
    // when events were lost is the executable compared as well.
    auto ignored = ignored_.find(pid);
    if (ignored != ignored_.end() && ignored->second.start_time == stat->start_time &&
        ignored->second.vsize == stat->vsize &&
        (!events_were_lost || ignored->second.exe == system_.exe(pid))) {
      continue;
    }
    consider(pid, filter_.requested(pid), warnings, {});
  }
  return warnings;
}

}  // namespace stprof
