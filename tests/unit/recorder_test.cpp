// Tests for record/recorder: counts drained from a fake feed become named stacks of the right
// process image, whatever the order of exits, execs and drains; and record/sampling_scope.

#include "record/recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "record/sampling_scope.h"
#include "record_fakes.h"

namespace stprof {
namespace {

constexpr uint64_t kCodeBase = 0x7f2000000000;

// Every sample as "comm(pid)/thread;function (file:line);... VALUE", root first.
std::map<std::string, uint64_t> stacks_of(const Profile& profile) {
  std::map<std::string, uint64_t> stacks;
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    const ProcessInfo& process = profile.processes[thread.process];
    std::string text = process.comm + "(" + std::to_string(process.pid) + ")/" + thread.name;
    for (uint32_t index : sample.locations) {
      const Location& location = profile.locations[index];
      const Function& function = profile.functions[location.function];
      text += ";" + profile.strings[function.name] + " (" + profile.strings[function.file] + ":" +
              std::to_string(location.line) + ")";
    }
    stacks[text] += profile.value(sample);
  }
  return stacks;
}

class RecorderTest : public ::testing::Test {
 protected:
  RecorderTest() {
    options_.frequency_hz = 100;
    options_.drain_interval = std::chrono::milliseconds(5);
  }

  // A Python process whose stack is main -> work (work at its line first_line + 2).
  void start_app(int pid, const std::string& comm) {
    system_.start_python(pid, comm);
    fake::FakeFunctions functions(system_.at(pid).python->layout, *system_.at(pid).memory,
                                  kCodeBase);
    stprof_frame main = functions.add("main", "/srv/" + comm + ".py", 10);
    stprof_frame work = functions.add("Job.work", "/srv/" + comm + ".py", 20, 3);
    frames_[pid] = {work, main};
    stacks_[pid] = feed_.add_stack(frames_[pid]);
  }
  Recorder& recorder() {
    if (!recorder_) {
      recorder_ = std::make_unique<Recorder>(options_, sampler_, feed_, system_,
                                             [this](const std::string& line) { warnings_.push_back(line); });
      EXPECT_TRUE(recorder_->discover().ok());
    }
    return *recorder_;
  }
  // Runs until `drains` periodic drains are done (0: stops at once), then the last drain.
  void run(int drains = 0) {
    Recorder& started = recorder();
    std::atomic<bool> stop{drains == 0};
    int done = 0;
    started.run(stop, [&] { stop = ++done >= drains; });
  }

  RecordOptions options_;
  fake::System system_;
  fake::Sampler sampler_{STPROF_REGISTER_AT_EXEC_ALL};
  fake::Feed feed_;
  std::map<int, std::vector<stprof_frame>> frames_;  // pid -> its main -> work frames, leaf first
  std::map<int, __u64> stacks_;  // pid -> their stack
  std::unique_ptr<Recorder> recorder_;
  std::vector<std::string> warnings_;
};

TEST_F(RecorderTest, CountsBecomeNamedStacksWithLines) {
  start_app(100, "api");
  system_.at(100).threads[101] = "worker";
  recorder();
  feed_.count(100, 100, stacks_[100], 7);
  feed_.count(100, 101, stacks_[100], 3);
  run();
  std::map<std::string, uint64_t> expected = {
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 7},
      {"api(100)/worker;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 3}};
  EXPECT_EQ(stacks_of(recorder().profile()), expected);
  EXPECT_TRUE(sampler_.stopped);
  RecordSummary summary = recorder().summary();
  EXPECT_EQ(summary.unknown_frames, 0u);
  EXPECT_EQ(summary.unreadable_stacks, 0u);
  EXPECT_EQ(summary.python_processes, 1u);
}

TEST_F(RecorderTest, CountsOfAProcessThatExitedBeforeTheDrainKeepTheirNames) {
  start_app(100, "api");
  recorder();
  feed_.count(100, 100, stacks_[100], 5);
  feed_.send(sampler_.kernel_exit(100));  // the exit comes before the last drain
  run();
  std::map<std::string, uint64_t> expected = {
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 5}};
  EXPECT_EQ(stacks_of(recorder().profile()), expected);
}

TEST_F(RecorderTest, CountsOfTheImageBeforeAnExecAreDrainedWithItsSymbols) {
  start_app(100, "api");
  recorder();
  feed_.count(100, 100, stacks_[100], 4);
  sampler_.mark_sampled(100);
  // The process execs another Python program whose code lies where the old one's did.
  system_.exec(100, "batch", "/usr/bin/python3.11");
  system_.become_python(100);
  fake::FakeFunctions functions(system_.at(100).python->layout, *system_.at(100).memory, kCodeBase);
  stprof_frame batch_main = functions.add("run_batch", "/srv/batch.py", 5);
  __u64 batch_stack = feed_.add_stack({batch_main});
  feed_.send(sampler_.kernel_exec(100, system_.at(100).image->key));
  feed_.after_drain = [&] {
    feed_.count(100, 100, batch_stack, 6);
    feed_.after_drain = nullptr;
  };
  run(3);
  std::map<std::string, uint64_t> expected = {
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 4},
      {"batch(100)/batch;run_batch (/srv/batch.py:5)", 6}};
  EXPECT_EQ(stacks_of(recorder().profile()), expected);
}

TEST_F(RecorderTest, CountsDrainedBeforeTheirExecEventWaitForIt) {
  start_app(100, "api");
  recorder();
  // PID 200 execs the interpreter; the kernel registers it at once and samples it, and a drain
  // runs before its exec event is read.
  system_.start(200, "sh", "/bin/sh");
  system_.exec(200, "python3", "/usr/bin/python3.11");
  system_.become_python(200);
  fake::FakeFunctions functions(system_.at(200).python->layout, *system_.at(200).memory, kCodeBase);
  __u64 stack = feed_.add_stack({functions.add("<module>", "/srv/job.py", 1)});
  stprof_event exec = sampler_.kernel_exec(200, system_.at(200).image->key);
  ASSERT_TRUE(exec.flags & STPROF_EVENT_REGISTERED);
  feed_.count(200, 200, stack, 9);
  feed_.after_drain = [&] {
    feed_.send(exec);
    feed_.after_drain = nullptr;
  };
  run(3);
  std::map<std::string, uint64_t> expected = {{"python3(200)/python3;<module> (/srv/job.py:1)", 9}};
  EXPECT_EQ(stacks_of(recorder().profile()), expected);
  EXPECT_EQ(recorder().summary().unreadable_stacks, 0u);
}

TEST_F(RecorderTest, OffCpuTimeEndsInItsReason) {
  options_.mode = ProfileMode::kWall;
  start_app(100, "api");
  recorder();
  feed_.count(100, 100, stacks_[100], 2);
  feed_.count(100, 100, stacks_[100], 30000000, STPROF_KIND_GIL);
  run();
  std::map<std::string, uint64_t> expected = {
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 2 * 10000000},
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22);[off-CPU: GIL] (:0)", 30000000}};
  EXPECT_EQ(stacks_of(recorder().profile()), expected);
  EXPECT_EQ(recorder().summary().off_cpu_ns.at("GIL"), 30000000u);
}

// --kernel: a stack starts (leaf first) with its kernel frames, which go on top of the Python
// frames, under the off-CPU reason in wall mode, without the scheduler's and the tracing's own.
TEST_F(RecorderTest, KernelFramesGoOnTopOfThePythonFramesUnderTheOffCpuReason) {
  Result<KernelSymbols> symbols = KernelSymbols::parse(
      "ffffffff81000000 T _stext\n"
      "ffffffff81000100 T entry_SYSCALL_64\n"
      "ffffffff81000200 T ksys_read\n"
      "ffffffff81000300 t pipe_read\n"
      "ffffffff81000400 T schedule\n"
      "ffffffff81000500 t __schedule\n"
      "ffffffff81000600 T bpf_trace_run4\n"
      "ffffffff81000700 T _etext\n"
      "ffffffffc0000000 t bpf_prog_5f3a_stprof_switch\t[bpf]\n");
  ASSERT_TRUE(symbols.ok()) << symbols.error().message;
  options_.kernel_symbols = &*symbols;
  options_.mode = ProfileMode::kWall;
  start_app(100, "api");
  auto kernel = [](uint64_t address) { return stprof_frame{address, STPROF_FRAME_KERNEL, 0}; };
  std::vector<stprof_frame> switched_out = {
      kernel(0xffffffffc0000010), kernel(0xffffffff81000610), kernel(0xffffffff81000520),
      kernel(0xffffffff81000410), kernel(0xffffffff81000310), kernel(0xffffffff81000210),
      kernel(0xffffffff81000110)};
  switched_out.insert(switched_out.end(), frames_[100].begin(), frames_[100].end());
  std::vector<stprof_frame> in_a_system_call = {kernel(0xffffffff81000310), kernel(0xffffffff81000110)};
  in_a_system_call.insert(in_a_system_call.end(), frames_[100].begin(), frames_[100].end());
  recorder();
  feed_.count(100, 100, feed_.add_stack(switched_out), 5000, STPROF_KIND_SYSCALL + 0);
  feed_.count(100, 100, feed_.add_stack(in_a_system_call), 1);
  feed_.count(100, 100, feed_.add_stack({kernel(0xffffffff81000310)}), 4);  // no Python frame
  run();
  const std::string python = "api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)";
  std::map<std::string, uint64_t> expected = {
      {python + ";[off-CPU: read] (:0);[k] entry_SYSCALL_64 (:0);[k] ksys_read (:0);[k] pipe_read (:0)", 5000},
      {python + ";[k] entry_SYSCALL_64 (:0);[k] pipe_read (:0)", 10000000}};
  EXPECT_EQ(stacks_of(recorder().profile()), expected);
  EXPECT_EQ(recorder().summary().unstarted_samples, 4u);
}

TEST_F(RecorderTest, CodeThatCannotBeReadBackIsUnknownNotMisnamed) {
  start_app(100, "api");
  recorder();
  fake::FakeFunctions functions(system_.at(100).python->layout, *system_.at(100).memory,
                                kCodeBase + 0x100000);
  stprof_frame freed = functions.add("gone", "/srv/api.py", 40);
  freed.fingerprint ^= 1;  // the object at that address is not the one sampled any more
  feed_.count(100, 100, feed_.add_stack({freed}), 1);
  run();
  std::map<std::string, uint64_t> stacks = stacks_of(recorder().profile());
  ASSERT_EQ(stacks.size(), 1u);
  EXPECT_NE(stacks.begin()->first.find("<unknown code 0x"), std::string::npos) << stacks.begin()->first;
  EXPECT_EQ(recorder().summary().unknown_frames, 1u);
}

TEST_F(RecorderTest, TakingTheProfileHandsOverEachCountOnce) {
  start_app(100, "api");
  start_app(200, "batch");
  recorder();
  feed_.count(100, 100, stacks_[100], 4);
  feed_.count(200, 200, stacks_[200], 2);
  std::vector<Profile> taken;
  int drains = 0;
  std::atomic<bool> stop{false};
  recorder().run(stop, [&] {
    drains++;
    if (drains == 1) {
      taken.push_back(recorder().take_profile());
      feed_.count(100, 100, stacks_[100], 3);  // counted in the next interval only
      system_.end(200);
      feed_.send(sampler_.kernel_exit(200));
    } else if (drains == 2) {
      taken.push_back(recorder().take_profile());
      stop = true;
    }
  });
  taken.push_back(recorder().take_profile());
  ASSERT_EQ(taken.size(), 3u);
  std::map<std::string, uint64_t> first = {
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 4},
      {"batch(200)/batch;main (/srv/batch.py:10);Job.work (/srv/batch.py:22)", 2}};
  EXPECT_EQ(stacks_of(taken[0]), first);
  std::map<std::string, uint64_t> second = {
      {"api(100)/api;main (/srv/api.py:10);Job.work (/srv/api.py:22)", 3}};
  EXPECT_EQ(stacks_of(taken[1]), second) << "symbolized again after the hand-over";
  EXPECT_EQ(taken[1].processes.size(), 1u) << "a process without samples is not carried over";
  EXPECT_EQ(taken[1].frequency_hz, 100);
  EXPECT_TRUE(taken[2].samples.empty());
  EXPECT_TRUE(taken[2].processes.empty());
  EXPECT_EQ(recorder().summary().python_processes, 2u) << "the ended process is still counted";
}

TEST_F(RecorderTest, CountsOfProcessesNeverRegisteredAreLost) {
  start_app(100, "api");
  recorder();
  feed_.count(300, 300, stacks_[100], 2);  // a process the table does not know
  feed_.count(100, 100, 12345, 1);         // a stack gone from the map
  run();
  EXPECT_TRUE(recorder().profile().samples.empty());
  EXPECT_EQ(recorder().summary().unreadable_stacks, 3u);
}

TEST_F(RecorderTest, OnlyRequestedPidsThatCannotBeProfiledIsAnError) {
  system_.start(100, "bash", "/bin/bash");
  options_.filter.pids = {100};
  Recorder recorder(options_, sampler_, feed_, system_, [](const std::string&) {});
  Result<void> found = recorder.discover();
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.error().message.find("nothing to profile: process 100 (bash) is not Python"),
            std::string::npos)
      << found.error().message;
}

TEST_F(RecorderTest, RunEndsWhenEveryRequestedProcessExited) {
  start_app(100, "api");
  options_.filter.pids = {100};
  recorder();
  feed_.send(sampler_.kernel_exit(100));
  system_.end(100);
  run(1000);  // would take 5 s
  EXPECT_TRUE(recorder().summary().targets_exited);
  EXPECT_LT(recorder().profile().duration_seconds, 2.5);
}

class SamplingScopeTest : public ::testing::Test {
 protected:
  Result<void> choose(const TargetFilter& filter, ProfileMode mode = ProfileMode::kCpu) {
    return choose_sampling_scope(sampler_, system_, filter, mode,
                                 [this](const std::string& line) { warnings_.push_back(line); });
  }
  fake::System system_;
  fake::Sampler sampler_;
  std::vector<std::string> warnings_;
};

TEST_F(SamplingScopeTest, NamedProcessesInCpuModeFollowTheirThreadsAndTrees) {
  system_.start(900, "bash", "/bin/bash");
  system_.start_python(901, "python3").ppid = 900;
  TargetFilter filter;
  filter.pids = {100};
  filter.tree_roots = {900};
  ASSERT_TRUE(choose(filter).ok());
  EXPECT_EQ(sampler_.threads_of, (std::set<int>{100, 900, 901}));
  EXPECT_FALSE(sampler_.every_cpu);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(SamplingScopeTest, SelectorsAndWallModeSampleEveryCpu) {
  TargetFilter selected;
  selected.pids = {100};
  selected.comm.emplace_back("api");
  ASSERT_TRUE(choose(selected).ok());
  EXPECT_TRUE(sampler_.every_cpu);
  EXPECT_TRUE(sampler_.threads_of.empty());

  fake::Sampler wall_sampler;
  TargetFilter named;
  named.pids = {100};
  ASSERT_TRUE(choose_sampling_scope(wall_sampler, system_, named, ProfileMode::kWall,
                                    [](const std::string&) {})
                  .ok());
  EXPECT_TRUE(wall_sampler.every_cpu) << "a followed thread's event costs at every switch";
  EXPECT_TRUE(wall_sampler.threads_of.empty());
}

TEST_F(SamplingScopeTest, FailingToFollowTheThreadsSaysSoAndSamplesEveryCpu) {
  sampler_.thread_limit_reached = true;
  TargetFilter filter;
  filter.pids = {100};
  ASSERT_TRUE(choose(filter).ok());
  EXPECT_TRUE(sampler_.every_cpu);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0],
            "too many threads to follow; sampling every CPU instead (other tasks' samples are "
            "dropped in the kernel)");
}

}  // namespace
}  // namespace stprof
