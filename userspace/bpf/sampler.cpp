#include "bpf/sampler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "sampler.skel.h"
#include "discover/proc_list.h"
#include "util/cpu_list.h"
#include "util/files.h"

namespace stprof {
namespace {

int g_libbpf_log_level = 0;

int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (g_libbpf_log_level == 0 || (level == LIBBPF_DEBUG && g_libbpf_log_level < 2)) return 0;
  std::fprintf(stderr, "libbpf%s: ", level == LIBBPF_DEBUG ? " (debug)" : "");
  return std::vfprintf(stderr, format, args);
}

Error bpf_error(const std::string& what, int error) {
  std::string hint = " (run with -v for libbpf's log)";
  if (error == EPERM || error == EACCES) {
    hint = " (needs root, or CAP_BPF + CAP_PERFMON: run with sudo)";
  }
  return make_error(what + ": " + errno_text(error) + hint);
}

// A cpu-clock event at `frequency_hz`: on one CPU (tid -1) or following one thread wherever it
// runs (cpu -1), with everything that thread starts from then on (inherit; the BPF program
// attached to it is inherited too).
UniqueFd open_cpu_clock(int tid, int cpu, int frequency_hz) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = static_cast<__u64>(frequency_hz);
  attr.inherit = tid >= 0;
  return UniqueFd(static_cast<int>(
      ::syscall(SYS_perf_event_open, &attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC)));
}

// Entries per counts map. Each sample adds at most one entry, and the CPUs take at most
// frequency_hz samples a second each, so a drain finds at most frequency × CPUs × interval
// entries; 4 times that leaves room for a late drain. Sized to that rather than to the largest
// rate: every drain's batch read visits each bucket of the map, empty or not (a 65536-entry map
// cost 1 ms per drain, a sixth of the profiler's steady CPU time at 99 Hz).
__u32 counts_capacity(int frequency_hz, int cpus, std::chrono::milliseconds drain_interval) {
  constexpr uint64_t kMin = 1024, kMax = 65536;
  uint64_t needed = 4 * static_cast<uint64_t>(frequency_hz) * static_cast<uint64_t>(cpus) *
                    static_cast<uint64_t>(drain_interval.count()) / 1000;
  return static_cast<__u32>(std::bit_ceil(std::clamp(needed, kMin, kMax)));
}

}  // namespace

Result<std::unique_ptr<Sampler>> Sampler::start(const Options& options) {
  g_libbpf_log_level = options.libbpf_log_level;
  libbpf_set_print(print_libbpf);

  std::unique_ptr<Sampler> sampler(new Sampler());
  sampler->skeleton_ = sampler__open();
  if (!sampler->skeleton_) return bpf_error("cannot open the BPF sampler", errno);
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return bpf_error("cannot count the possible CPUs", -cpus);
  // One slot per CPU, and one for the iterators (seeding, dump).
  if (int err = bpf_map__set_max_entries(sampler->skeleton_->maps.scratch_stacks, cpus + 1)) {
    return bpf_error("cannot size the scratch map", -err);
  }
  __u32 counts = counts_capacity(options.frequency_hz, cpus, options.drain_interval);
  for (bpf_map* map : {sampler->skeleton_->maps.counts_0, sampler->skeleton_->maps.counts_1}) {
    if (int err = bpf_map__set_max_entries(map, counts)) {
      return bpf_error("cannot size the counts maps", -err);
    }
  }
  sampler->skeleton_->rodata->report_every_exec = options.report_every_exec;
  sampler->skeleton_->rodata->register_at_exec = options.register_at_exec;
  sampler->skeleton_->rodata->gil_only = options.gil_only;
  sampler->skeleton_->rodata->kernel_stacks = options.kernel_stacks;
  sampler->skeleton_->rodata->seed_scratch_slot = static_cast<__u32>(cpus);
  sampler->frequency_hz_ = options.frequency_hz;
  sampler->wall_ = options.wall;
  // A dump loads its iterator alone. A recording loads the rest, wall mode's programs (and
  // attaches the switch program) only in wall mode. The iterators run on demand, never attached
  // with the rest.
  auto& progs = sampler->skeleton_->progs;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, sampler->skeleton_->obj) {
    bpf_program__set_autoload(program, !options.thread_dump);
  }
  for (bpf_program* wall_program : {progs.stprof_switch, progs.stprof_flush_off_cpu, progs.stprof_seed_off_cpu}) {
    bpf_program__set_autoload(wall_program, options.wall && !options.thread_dump);
  }
  bpf_program__set_autoattach(progs.stprof_flush_off_cpu, false);
  bpf_program__set_autoattach(progs.stprof_seed_off_cpu, false);
  bpf_program__set_autoload(progs.stprof_dump_threads, options.thread_dump);
  bpf_program__set_autoattach(progs.stprof_dump_threads, false);
  if (int err = sampler__load(sampler->skeleton_)) {
    return bpf_error("cannot load the BPF sampler into the kernel", -err);
  }
  if (options.thread_dump) return sampler;
  // The lifecycle tracepoints, and in wall mode the scheduler's (the perf_event program has no
  // auto-attach and is skipped here).
  if (int err = sampler__attach(sampler->skeleton_)) {
    return bpf_error(options.wall ? "cannot attach the exec/fork/exit and sched_switch tracepoints"
                                  : "cannot attach the exec/fork/exit tracepoints",
                     -err);
  }
  return sampler;
}

int Sampler::attach(int tid, int cpu) {
  UniqueFd event = open_cpu_clock(tid, cpu, frequency_hz_);
  if (!event.valid()) return errno;
  bpf_link* link = bpf_program__attach_perf_event(skeleton_->progs.stprof_sample, event.get());
  if (!link) return errno;
  links_.push_back(link);
  perf_events_.push_back(std::move(event));
  return 0;
}

Error Sampler::attach_error(int tid, int cpu, int error) const {
  if (error == EINVAL) {
    return make_error("cannot sample at " + std::to_string(frequency_hz_) +
                      " Hz: above the kernel's limit (sysctl kernel.perf_event_max_sample_rate)");
  }
  return bpf_error("cannot sample " + (tid >= 0 ? "thread " + std::to_string(tid)
                                                : "CPU " + std::to_string(cpu)) +
                       " with a cpu-clock perf event",
                   error);
}

Result<void> Sampler::sample_every_cpu() {
  detach();
  std::optional<std::string> online = read_text_file("/sys/devices/system/cpu/online");
  std::optional<std::vector<int>> cpus = online ? parse_cpu_list(*online) : std::nullopt;
  if (!cpus) return make_error("cannot read the online CPUs from /sys/devices/system/cpu/online");
  for (int cpu : *cpus) {
    int error = attach(-1, cpu);
    if (error == ENODEV) continue;  // went offline meanwhile
    if (error) return attach_error(-1, cpu, error);
  }
  if (links_.empty()) return make_error("no online CPU to sample on");
  return {};
}

Result<size_t> Sampler::sample_threads_of(const std::vector<int>& pids) {
  size_t added = 0;
  for (int pid : pids) {
    for (int tid : list_tids(pid)) {
      if (sampled_threads_.count(tid)) continue;
      if (sampled_threads_.size() >= kMaxSampledThreads) {
        return make_error("more than " + std::to_string(kMaxSampledThreads) + " threads to follow");
      }
      sampled_threads_.insert(tid);
      int error = attach(tid, -1);
      if (error == ESRCH) continue;  // exited meanwhile
      if (error) return attach_error(tid, -1, error);
      added++;
    }
  }
  return added;
}

double Sampler::sampled_cpu_seconds() const { return sampled_cpu_ns_ / 1e9; }

int Sampler::possible_cpus() const { return libbpf_num_possible_cpus(); }

Result<void> Sampler::stop() {
  // Each event counts the CPU time it sampled: a CPU's whole time, or its thread's (with that of
  // the finished threads and processes that inherited it).
  for (const UniqueFd& event : perf_events_) {
    uint64_t nanoseconds = 0;
    if (::read(event.get(), &nanoseconds, sizeof(nanoseconds)) == sizeof(nanoseconds)) {
      sampled_cpu_ns_ += nanoseconds;
    }
  }
  detach();
  if (!skeleton_->links.stprof_switch) return {};
  bpf_link__destroy(skeleton_->links.stprof_switch);
  skeleton_->links.stprof_switch = nullptr;
  return flush_off_cpu();
}

Result<std::string> Sampler::run_task_iterator(bpf_program* program, __u32 pid,
                                               const std::string& what) {
  union bpf_iter_link_info info{};
  info.task.pid = pid;
  bpf_iter_attach_opts options{};
  options.sz = sizeof(options);
  options.link_info = pid ? &info : nullptr;
  options.link_info_len = pid ? sizeof(info) : 0;
  bpf_link* link = bpf_program__attach_iter(program, &options);
  if (!link) return bpf_error("cannot " + what, errno);
  UniqueFd iterator(bpf_iter_create(bpf_link__fd(link)));
  int error = iterator.valid() ? 0 : errno;
  // Reading to the end runs the program over every task.
  std::string written;
  char buffer[4096];
  while (!error) {
    ssize_t n = ::read(iterator.get(), buffer, sizeof(buffer));
    if (n == 0) break;
    if (n > 0) written.append(buffer, static_cast<size_t>(n));
    if (n < 0 && errno != EINTR && errno != EAGAIN) error = errno;
  }
  bpf_link__destroy(link);
  if (error) return bpf_error("cannot " + what, error);
  return written;
}

Result<void> Sampler::count_open_off_cpu() {
  // Only while switches are counted: after stop() the intervals end where it counted them.
  if (!skeleton_->links.stprof_switch) return {};
  return flush_off_cpu();
}

Result<void> Sampler::flush_off_cpu() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // bpf_ktime_get_ns()'s clock
  skeleton_->bss->off_cpu_end_ns = static_cast<__u64>(now.tv_sec) * 1000000000ULL + now.tv_nsec;
  Result<std::string> run = run_task_iterator(skeleton_->progs.stprof_flush_off_cpu, 0,
                                              "count the time of the threads still off the CPU");
  if (!run) return run.error();
  return {};
}

Result<void> Sampler::seed_off_cpu(__u32 pid) {
  if (!wall_) return {};
  Result<std::string> run = run_task_iterator(
      skeleton_->progs.stprof_seed_off_cpu, pid,
      "record the threads of PID " + std::to_string(pid) + " already off the CPU");
  if (!run) return run.error();
  return {};
}

Result<std::vector<stprof_thread_dump>> Sampler::dump_threads(__u32 pid) {
  Result<std::string> written = run_task_iterator(
      skeleton_->progs.stprof_dump_threads, pid,
      "read the threads of PID " + std::to_string(pid));
  if (!written) return written.error();
  std::vector<stprof_thread_dump> threads(written->size() / sizeof(stprof_thread_dump));
  std::memcpy(threads.data(), written->data(), threads.size() * sizeof(stprof_thread_dump));
  return threads;
}

void Sampler::detach() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
  perf_events_.clear();
  sampled_threads_.clear();
}

Sampler::~Sampler() {
  static_cast<void>(stop());  // a run that ended normally was stopped already
  for (auto& [pid, link] : code_free_links_) bpf_link__destroy(link);
  for (auto& [file, link] : file_code_free_links_) bpf_link__destroy(link);
  if (skeleton_) sampler__destroy(skeleton_);
}

Result<void> Sampler::add_process(__u32 pid, const stprof_process& process) {
  if (bpf_map__update_elem(skeleton_->maps.processes, &pid, sizeof(pid), &process, sizeof(process),
                           BPF_ANY) != 0) {
    int error = errno;
    return make_error("cannot register PID " + std::to_string(pid) + " with the sampler: " +
                      errno_text(error) +
                      (error == E2BIG ? " (more Python processes than the processes map holds)" : ""));
  }
  stprof_registry_set(&pid_group(pid), pid);
  return {};
}

Result<void> Sampler::confirm_process(__u32 pid, const stprof_process& process) {
  stprof_process current{};
  if (bpf_map__lookup_elem(skeleton_->maps.processes, &pid, sizeof(pid), &current, sizeof(current),
                           0) != 0) {
    return add_process(pid, process);  // gone since: its exit or exec event follows
  }
  stprof_process wanted = process;
  wanted.flags |= current.flags & STPROF_PROCESS_SAMPLED;
  if (std::memcmp(&wanted, &current, sizeof(wanted)) == 0) return {};
  // The sampler may set STPROF_PROCESS_SAMPLED between the lookup and this write, and lose it:
  // then counts of this image left in the maps when it execs again are read with the next
  // image's memory, where fingerprints no longer match: unknown frames, never wrong names.
  return add_process(pid, wanted);
}

Result<void> Sampler::add_python_image(const stprof_image_key& image, const stprof_process& entry) {
  if (bpf_map__update_elem(skeleton_->maps.python_images, &image, sizeof(image), &entry,
                           sizeof(entry), BPF_ANY) != 0) {
    return bpf_error("cannot remember the Python executable (inode " + std::to_string(image.ino) + ")",
                     errno);
  }
  return {};
}

void Sampler::remove_process(__u32 pid) {
  stprof_pid_group& group = pid_group(pid);
  stprof_registry_clear(&group, pid);
  bpf_map__delete_elem(skeleton_->maps.processes, &pid, sizeof(pid), 0);
  stprof_registry_changed(&group);
  if (auto it = code_free_links_.find(pid); it != code_free_links_.end()) {
    bpf_link__destroy(it->second);
    code_free_links_.erase(it);
  }
}

Result<void> Sampler::count_code_frees_of(__u32 pid, const std::string& path, uint64_t file_offset) {
  bpf_link* link = bpf_program__attach_uprobe(skeleton_->progs.stprof_code_free, false,
                                              static_cast<pid_t>(pid), path.c_str(), file_offset);
  if (!link) return bpf_error("cannot count the code objects PID " + std::to_string(pid) + " frees", errno);
  bpf_link*& slot = code_free_links_[pid];
  if (slot) bpf_link__destroy(slot);
  slot = link;
  return {};
}

Result<void> Sampler::count_code_frees_in(const std::string& path, uint64_t file_offset) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error("cannot stat " + path + ": " + errno_text(errno));
  bpf_link*& slot = file_code_free_links_[{st.st_dev, st.st_ino, file_offset}];
  if (slot) return {};
  slot = bpf_program__attach_uprobe(skeleton_->progs.stprof_code_free, false, -1, path.c_str(),
                                    file_offset);
  if (!slot) {
    int error = errno;
    file_code_free_links_.erase({st.st_dev, st.st_ino, file_offset});
    return bpf_error("cannot count the code objects freed in " + path, error);
  }
  return {};
}

stprof_pid_group& Sampler::pid_group(__u32 pid) const {
  return skeleton_->bss->pid_groups[stprof_pid_group_index(pid)];
}

bool Sampler::is_registered(__u32 pid) const {
  // The bit is set after the entry is inserted and cleared before it is deleted, by both sides;
  // read from the mapped .bss, without a syscall.
  return __atomic_load_n(&pid_group(pid).registered, __ATOMIC_ACQUIRE) & stprof_pid_bit(pid);
}

std::vector<__u32> Sampler::take_unregistered_that_ran() {
  std::vector<__u32> pids;
  auto& summary = skeleton_->bss->ran_groups;
  for (__u32 word = 0; word < std::size(summary); word++) {
    if (!__atomic_load_n(&summary[word], __ATOMIC_RELAXED)) continue;  // no write to shared lines
    for (__u64 groups = __atomic_exchange_n(&summary[word], 0, __ATOMIC_ACQ_REL); groups;
         groups &= groups - 1) {
      __u32 group = word * 64 + static_cast<__u32>(std::countr_zero(groups));
      for (__u64 ran = __atomic_exchange_n(&skeleton_->bss->pid_groups[group].ran, 0, __ATOMIC_ACQ_REL);
           ran; ran &= ran - 1) {
        pids.push_back(group * 64 + static_cast<__u32>(std::countr_zero(ran)));
      }
    }
  }
  return pids;
}

void Sampler::follow(__u32 pid) {
  __u8 one = 1;
  bpf_map__update_elem(skeleton_->maps.followed, &pid, sizeof(pid), &one, sizeof(one), BPF_ANY);
}

bool Sampler::is_followed(__u32 pid) const {
  __u8 value = 0;
  return bpf_map__lookup_elem(skeleton_->maps.followed, &pid, sizeof(pid), &value, sizeof(value),
                              0) == 0;
}

SamplerMaps Sampler::maps() const {
  SamplerMaps maps;
  maps.stacks = bpf_map__fd(skeleton_->maps.stacks);
  maps.counts[0] = bpf_map__fd(skeleton_->maps.counts_0);
  maps.counts[1] = bpf_map__fd(skeleton_->maps.counts_1);
  maps.counters = bpf_map__fd(skeleton_->maps.counters);
  maps.events = bpf_map__fd(skeleton_->maps.events);
  maps.stacks_capacity = static_cast<int>(bpf_map__max_entries(skeleton_->maps.stacks));
  maps.counts_capacity = static_cast<int>(bpf_map__max_entries(skeleton_->maps.counts_0));
  maps.control = &skeleton_->bss->control;
  return maps;
}

}  // namespace stprof
