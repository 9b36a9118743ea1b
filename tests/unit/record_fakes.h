// Fakes of what record/ talks to — the loaded sampler, what it records, and the processes of a
// host — so the process table and the recorder run unprivileged, against processes a test
// starts, forks, execs and ends. FakeSampler also does the kernel's part of those events
// (procs.bpf.c): a fork copies the parent's registration to a followed child, an exec or exit
// removes the registration, and an exec of a remembered image registers the new one.
#pragma once

#include <time.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "discover/python_process.h"
#include "fake_cpython_objects.h"
#include "record/process_source.h"
#include "record/sample_feed.h"
#include "record/sampler_control.h"

namespace stprof::fake {

// One process of the fake host.
struct Process {
  std::string comm;
  std::string exe;
  int ppid = 1;
  uint64_t start_time = 0;
  uint64_t vsize = 1 << 20;
  ProcessFacts facts;
  ProcessInspection::Status status = ProcessInspection::Status::kNotPython;
  std::optional<PythonProcess> python;  // with status kPython
  std::optional<ExecImage> image;
  std::shared_ptr<FakeProcessMemory> memory = std::make_shared<FakeProcessMemory>();
  std::map<int, std::string> threads;  // tid -> name
  bool memory_unreadable = false;
  bool links_libpython = false;  // its executable needs a libpython (DT_NEEDED)
};

class System final : public ProcessSource {
 public:
  static constexpr int kSelf = 99999;  // the profiler
  // The runtime of every fake interpreter, and the inode of its executable.
  static constexpr uint64_t kRuntime = 0x7f1000000000;
  static constexpr uint64_t kInterpreterInode = 4242;

  // A CPython 3.`minor` process running `exe` (its own executable: a static interpreter).
  Process& start_python(int pid, const std::string& comm, int minor = 11,
                        const std::string& exe = "/usr/bin/python3.11") {
    Process& process = start(pid, comm, exe);
    become_python(pid, minor);
    return process;
  }
  Process& start(int pid, const std::string& comm, const std::string& exe) {
    Process& process = processes_[pid];
    process = Process{};
    process.comm = comm;
    process.exe = exe;
    process.start_time = ++clock_;
    process.threads[pid] = comm;
    return process;
  }
  void become_python(int pid, int minor = 11) {
    Process& process = processes_.at(pid);
    PythonProcess python;
    python.pid = pid;
    python.start_time = process.start_time;
    python.comm = process.comm;
    python.binary = process.exe;
    python.version = PythonVersion{3, minor, 0};
    python.runtime_address = kRuntime;
    python.layout = layout_of(minor);
    Mapping text;
    text.start = 0x400000;
    text.end = 0x800000;
    text.executable = true;
    text.inode = kInterpreterInode;
    text.path = process.exe;
    python.binary_mappings = {text};
    process.python = python;
    process.status = ProcessInspection::Status::kPython;
    process.image = ExecImage{{1, kInterpreterInode, 0x600000}, 0x401000};
  }
  // The same process running another program (its memory is new).
  Process& exec(int pid, const std::string& comm, const std::string& exe) {
    uint64_t start_time = processes_.at(pid).start_time;
    int ppid = processes_.at(pid).ppid;
    Process& process = start(pid, comm, exe);
    process.start_time = start_time;
    process.ppid = ppid;
    return process;
  }
  // A child with a copy of the parent's memory and program.
  Process& fork(int parent, int child) {
    Process copy = processes_.at(parent);
    copy.ppid = parent;
    copy.start_time = ++clock_;
    copy.memory = std::make_shared<FakeProcessMemory>(*copy.memory);
    copy.threads = {{child, copy.comm}};
    if (copy.python) {
      copy.python->pid = child;
      copy.python->start_time = copy.start_time;
    }
    return processes_[child] = std::move(copy);
  }
  void end(int pid) { processes_.erase(pid); }
  Process& at(int pid) { return processes_.at(pid); }
  int inspections(int pid) const {
    auto it = inspections_.find(pid);
    return it == inspections_.end() ? 0 : it->second;
  }

  int self() const override { return kSelf; }
  std::vector<int> pids() override {
    std::vector<int> pids{kSelf};
    for (const auto& [pid, process] : processes_) pids.push_back(pid);
    return pids;
  }
  std::vector<int> in_trees(const std::vector<int>& roots) override {
    std::set<int> found;
    for (int root : roots) {
      if (processes_.count(root)) found.insert(root);
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [pid, process] : processes_) {
        if (found.count(process.ppid) && found.insert(pid).second) grew = true;
      }
    }
    return {found.begin(), found.end()};
  }
  std::optional<ProcStat> stat(int pid) override {
    auto it = processes_.find(pid);
    if (it == processes_.end()) return std::nullopt;
    return ProcStat{.comm = it->second.comm, .state = 'S', .ppid = it->second.ppid,
                    .start_time = it->second.start_time, .vsize = it->second.vsize, .start_code = 0x401000};
  }
  std::string exe(int pid) override {
    auto it = processes_.find(pid);
    return it == processes_.end() ? "" : it->second.exe;
  }
  ProcessFacts facts(int pid) override {
    auto it = processes_.find(pid);
    return it == processes_.end() ? ProcessFacts{} : it->second.facts;
  }
  std::string thread_name(int pid, int tid) override {
    auto it = processes_.find(pid);
    if (it == processes_.end()) return "";
    auto thread = it->second.threads.find(tid);
    return thread == it->second.threads.end() ? "" : thread->second;
  }
  ProcessInspection inspect(int pid) override {
    inspections_[pid]++;
    ProcessInspection inspection;
    auto it = processes_.find(pid);
    if (it == processes_.end()) {
      inspection.status = ProcessInspection::Status::kGone;
      inspection.message = "no process with PID " + std::to_string(pid);
      return inspection;
    }
    const Process& process = it->second;
    inspection.status = process.status;
    inspection.comm = process.comm;
    inspection.start_time = process.start_time;
    inspection.vsize = process.vsize;
    inspection.exe = process.exe;
    inspection.links_libpython = process.links_libpython;
    if (process.status == ProcessInspection::Status::kPython) {
      inspection.process = process.python;
    } else {
      inspection.message = "process " + std::to_string(pid) + " (" + process.comm + ") is not Python";
    }
    return inspection;
  }
  Result<std::unique_ptr<ProcessMemory>> open_memory(int pid) override {
    auto it = processes_.find(pid);
    if (it == processes_.end() || it->second.memory_unreadable) {
      return make_error("cannot read the memory of process " + std::to_string(pid));
    }
    // The process's memory as it is from now on: a test may add code objects later.
    return std::unique_ptr<ProcessMemory>(std::make_unique<SharedMemory>(it->second.memory));
  }
  std::optional<ExecImage> exec_image(int pid) override {
    auto it = processes_.find(pid);
    return it == processes_.end() ? std::nullopt : it->second.image;
  }
  Result<UprobeSite> code_free_site(const PythonProcess& python, const ProcessMemory&) override {
    return UprobeSite{python.binary, 0x1234};
  }

 private:
  class SharedMemory final : public ProcessMemory {
   public:
    explicit SharedMemory(std::shared_ptr<FakeProcessMemory> memory) : memory_(std::move(memory)) {}
    bool read(uint64_t address, void* out, size_t size) const override {
      return memory_->read(address, out, size);
    }

   private:
    std::shared_ptr<FakeProcessMemory> memory_;
  };

  std::map<int, Process> processes_;
  std::map<int, int> inspections_;
  uint64_t clock_ = 1000;
};

class Sampler final : public SamplerControl {
 public:
  explicit Sampler(stprof_exec_registration at_exec = STPROF_REGISTER_AT_EXEC_NONE)
      : at_exec_(at_exec) {}

  // What the kernel does, and the event it sends.
  stprof_event kernel_fork(int parent, int child) {
    if (followed.count(parent)) {
      followed.insert(child);
      if (auto it = registered.find(parent); it != registered.end()) registered[child] = it->second;
    }
    return {STPROF_EVENT_FORK, static_cast<__u32>(child), static_cast<__u32>(parent), 0, 0, 0};
  }
  // `image`: the new program's, when the kernel can name it (see python_images).
  stprof_event kernel_exec(int pid, std::optional<stprof_image_key> image = std::nullopt) {
    __u32 flags = 0;
    if (auto it = registered.find(pid); it != registered.end()) {
      if (it->second.flags & STPROF_PROCESS_SAMPLED) flags |= STPROF_EVENT_SAMPLED;
      registered.erase(it);
    }
    bool may_register = at_exec_ == STPROF_REGISTER_AT_EXEC_ALL ||
                        (at_exec_ == STPROF_REGISTER_AT_EXEC_FOLLOWED && followed.count(pid));
    if (image && may_register) {
      for (const auto& [key, entry] : images) {
        if (key.dev == image->dev && key.ino == image->ino && key.size == image->size) {
          registered[pid] = entry;
          flags |= STPROF_EVENT_REGISTERED;
        }
      }
    }
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);  // as bpf_ktime_get_ns()
    __u64 ktime_ns = static_cast<__u64>(now.tv_sec) * 1000000000ull + static_cast<__u64>(now.tv_nsec);
    return {STPROF_EVENT_EXEC, static_cast<__u32>(pid), 0, flags, ktime_ns, 0};
  }
  stprof_event kernel_exit(int pid) {
    registered.erase(pid);
    followed.erase(pid);
    return {STPROF_EVENT_EXIT, static_cast<__u32>(pid), 0, 0, 0, 0};
  }
  // The sampler recorded a stack of pid.
  void mark_sampled(int pid) { registered.at(pid).flags |= STPROF_PROCESS_SAMPLED; }

  Result<void> sample_every_cpu() override {
    every_cpu = true;
    return {};
  }
  Result<size_t> sample_threads_of(const std::vector<int>& pids) override {
    if (thread_limit_reached) return make_error("too many threads to follow");
    size_t added = 0;
    for (int pid : pids) added += threads_of.insert(pid).second;
    return added;
  }
  Result<void> stop() override {
    stopped = true;
    return {};
  }
  double sampled_cpu_seconds() const override { return 1.0; }
  int possible_cpus() const override { return 2; }
  Result<void> add_process(__u32 pid, const stprof_process& process) override {
    registered[static_cast<int>(pid)] = process;
    adds++;
    return {};
  }
  Result<void> confirm_process(__u32 pid, const stprof_process& process) override {
    auto it = registered.find(static_cast<int>(pid));
    __u32 sampled = it == registered.end() ? 0 : it->second.flags & STPROF_PROCESS_SAMPLED;
    registered[static_cast<int>(pid)] = process;
    registered[static_cast<int>(pid)].flags |= sampled;
    return {};
  }
  Result<void> add_python_image(const stprof_image_key& image, const stprof_process& entry) override {
    images.emplace_back(image, entry);
    return {};
  }
  void remove_process(__u32 pid) override {
    registered.erase(static_cast<int>(pid));
    code_frees_of.erase(static_cast<int>(pid));
  }
  bool is_registered(__u32 pid) const override { return registered.count(static_cast<int>(pid)); }
  std::vector<__u32> take_unregistered_that_ran() override { return std::exchange(ran, {}); }
  void follow(__u32 pid) override { followed.insert(static_cast<int>(pid)); }
  bool is_followed(__u32 pid) const override { return followed.count(static_cast<int>(pid)); }
  Result<void> count_code_frees_of(__u32 pid, const std::string&, uint64_t) override {
    code_frees_of.insert(static_cast<int>(pid));
    return {};
  }
  Result<void> count_code_frees_in(const std::string& path, uint64_t) override {
    code_frees_in.insert(path);
    return {};
  }
  Result<void> count_open_off_cpu() override { return {}; }
  Result<void> seed_off_cpu(__u32 pid) override {
    seeded.insert(static_cast<int>(pid));
    return {};
  }

  std::map<int, stprof_process> registered;
  std::set<int> followed;
  std::vector<std::pair<stprof_image_key, stprof_process>> images;
  std::vector<__u32> ran;  // unregistered processes the sampler interrupted
  std::set<int> code_frees_of;
  std::set<std::string> code_frees_in;
  std::set<int> seeded;
  std::set<int> threads_of;  // processes whose threads are followed
  bool thread_limit_reached = false;
  bool every_cpu = false;
  bool stopped = false;
  int adds = 0;

 private:
  stprof_exec_registration at_exec_;
};

class Feed final : public SampleFeed {
 public:
  // A stack (leaf first) and its id.
  __u64 add_stack(std::vector<stprof_frame> leaf_first, __u16 flags = 0) {
    __u64 id = next_stack_++;
    stacks_[id] = RawStack{flags, std::move(leaf_first)};
    return id;
  }
  void count(int pid, int tid, __u64 stack_id, __u64 count, __u32 kind = STPROF_KIND_CPU) {
    counts_.push_back({static_cast<__u32>(pid), static_cast<__u32>(tid), stack_id, kind, count});
  }
  void send(const stprof_event& event) { events_.push_back(event); }

  // Runs after each drain_counts (a test's way to send what the kernel sends meanwhile).
  std::function<void()> after_drain;

  // Like the ring buffer: waits the timeout when there is nothing to read.
  void poll_events(int timeout_ms, const EventHandler& handler) override {
    if (events_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    while (!events_.empty()) {
      stprof_event event = events_.front();
      events_.pop_front();
      handler(event);
    }
  }
  std::vector<RawSample> drain_counts() override {
    std::vector<RawSample> drained = std::exchange(counts_, {});
    if (after_drain) after_drain();
    return drained;
  }
  const RawStack* stack(__u64 stack_id) override {
    auto it = stacks_.find(stack_id);
    return it == stacks_.end() ? nullptr : &it->second;
  }
  const RawStack* stack_interned(__u64 stack_id) override { return stack(stack_id); }
  void trim_kernel_stacks() override {}
  size_t held_stacks() const override { return stacks_.size(); }
  Counters read_counters() const override { return counters; }

  Counters counters{};

 private:
  std::map<__u64, RawStack> stacks_;
  std::vector<RawSample> counts_;
  std::deque<stprof_event> events_;
  __u64 next_stack_ = 1;
};

}  // namespace stprof::fake
