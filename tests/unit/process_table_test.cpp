// Tests for record/process_table: which processes of a fake host are registered with the
// sampler, and how each is followed through fork, exec, exit, PID reuse and rescans.

#include "record/process_table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "record_fakes.h"

namespace stprof {
namespace {

using Status = ProcessInspection::Status;

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// Waits out every retry an exec event schedules (kExecRetryDelays: 320 ms in all).
void retry_until_settled(ProcessTable& table) {
  while (std::optional<ProcessTable::Clock::time_point> next = table.next_retry()) {
    std::this_thread::sleep_until(*next);
    static_cast<void>(table.retry_pending());
  }
}

class ProcessTableTest : public ::testing::Test {
 protected:
  // The table as `filter` makes it, started on the fake host.
  ProcessTable& start(TargetFilter filter = {}, bool gil_only = false) {
    sampler_ = std::make_unique<fake::Sampler>(ProcessTable::exec_registration(filter));
    table_ = std::make_unique<ProcessTable>(*sampler_, system_, std::move(filter), true, gil_only);
    warnings_ = table_->start();
    return *table_;
  }
  std::vector<std::string> handle(const stprof_event& event) { return table_->handle(event); }

  fake::System system_;
  std::unique_ptr<fake::Sampler> sampler_;
  std::unique_ptr<ProcessTable> table_;
  std::vector<std::string> warnings_;
};

TEST_F(ProcessTableTest, AllPythonRegistersEveryPythonProcessAndNothingElse) {
  system_.start_python(100, "python3");
  system_.start(101, "bash", "/bin/bash");
  ProcessTable& table = start();
  EXPECT_TRUE(warnings_.empty()) << "a process that is not Python is no news without -p";
  ASSERT_EQ(sampler_->registered.size(), 1u);
  const stprof_process& entry = sampler_->registered.at(100);
  const CPythonLayout& layout = system_.at(100).python->layout;
  EXPECT_EQ(entry.interpreters_head_addr, fake::System::kRuntime + layout.runtime_interpreters_head);
  EXPECT_TRUE(sampler_->followed.count(100)) << "its children are profiled from their start";
  EXPECT_EQ(table.profiled_count(), 1u);
  ASSERT_NE(table.find(100), nullptr);
  EXPECT_EQ(table.find(100)->info.comm, "python3");
  EXPECT_EQ(table.find(101), nullptr);
  EXPECT_EQ(system_.inspections(fake::System::kSelf), 0) << "the profiler never profiles itself";
}

// A free-threaded process is registered flagged so (the sampler keeps all of its samples under
// --gil while its GIL is disabled), and with --gil one warning line says so; GIL processes get
// none.
TEST_F(ProcessTableTest, FreeThreadedProcessUnderGilOnlyIsRegisteredWithAWarning) {
  system_.start_python(100, "python3.13t", 13);
  Result<CPythonLayout> free_threaded = layout_for(PythonVersion{3, 13, 0}, PythonBuild::kFreeThreaded);
  ASSERT_TRUE(free_threaded) << free_threaded.error().message;
  system_.at(100).python->layout = *free_threaded;
  system_.start_python(101, "python3.13", 13);
  ProcessTable& table = start({}, true);
  EXPECT_EQ(table.profiled_count(), 2u);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0], "PID 100 (python3.13t) is free-threaded CPython 3.13.0: --gil keeps all of "
                          "its samples while its GIL is disabled (unless PYTHON_GIL=1 or a C "
                          "extension enables it)");
  EXPECT_TRUE(sampler_->registered.at(100).flags & STPROF_PROCESS_FREE_THREADED);
  EXPECT_FALSE(sampler_->registered.at(101).flags & STPROF_PROCESS_FREE_THREADED);

  start({}, false);  // without --gil, nothing to say
  EXPECT_TRUE(warnings_.empty()) << warnings_[0];
}

TEST_F(ProcessTableTest, RequestedProcessThatCannotBeProfiledIsAWarningAndAFailure) {
  system_.start(101, "bash", "/bin/bash");
  TargetFilter filter;
  filter.pids = {101, 555};
  ProcessTable& table = start(filter);
  EXPECT_TRUE(mentions(warnings_, "(bash) is not Python"));
  EXPECT_TRUE(mentions(warnings_, "no process with PID 555"));
  EXPECT_TRUE(table.some_targets_failed());
  EXPECT_EQ(table.profiled_count(), 0u);
  EXPECT_FALSE(sampler_->followed.count(101)) << "-p alone names exactly what to profile";
}

TEST_F(ProcessTableTest, SelectorsNarrowTheProcessesFound) {
  system_.start_python(100, "worker-1");
  system_.start_python(101, "scheduler");
  system_.start_python(102, "worker-2").facts.container_id = std::string(64, 'a');
  TargetFilter filter;
  filter.comm.emplace_back("^worker");
  filter.containers = {"aaaa"};
  start(filter);
  EXPECT_EQ(sampler_->registered.size(), 1u);
  EXPECT_TRUE(sampler_->registered.count(102)) << "every selector must match";
}

TEST_F(ProcessTableTest, PidTreeSelectsTheRootsAndTheirDescendantsOnly) {
  system_.start(900, "bash", "/bin/bash");
  system_.start_python(901, "python3").ppid = 900;
  system_.start_python(902, "python3");  // elsewhere on the host
  TargetFilter filter;
  filter.tree_roots = {900};
  start(filter);
  EXPECT_TRUE(sampler_->registered.count(901));
  EXPECT_FALSE(sampler_->registered.count(902));
  EXPECT_TRUE(sampler_->followed.count(900)) << "what the root forks next is in the tree";
}

TEST_F(ProcessTableTest, CodeFreesAreCountedForNamedProcessesOnlyOrForTheirFile) {
  system_.start_python(100, "python3", 11);
  system_.start_python(101, "python3", 13);  // 3.13 keeps its own code epoch
  TargetFilter named;
  named.pids = {100, 101};
  start(named);
  EXPECT_EQ(sampler_->code_frees_of, std::set<int>{100});
  EXPECT_TRUE(sampler_->code_frees_in.empty()) << "the rest of the host is left alone";
  EXPECT_TRUE(sampler_->registered.at(100).flags & STPROF_PROCESS_CODE_FREES);
  EXPECT_FALSE(sampler_->registered.at(101).flags & STPROF_PROCESS_CODE_FREES);

  start();
  EXPECT_EQ(sampler_->code_frees_in, std::set<std::string>{"/usr/bin/python3.11"});
  EXPECT_TRUE(sampler_->code_frees_of.empty());
}

TEST_F(ProcessTableTest, ExecIntoPythonIsRegisteredOnceItsRuntimeIsMapped) {
  system_.start(200, "sh", "/bin/sh");
  ProcessTable& table = start();
  system_.exec(200, "python3", "/usr/bin/python3.11").status = Status::kLoading;
  EXPECT_TRUE(handle(sampler_->kernel_exec(200)).empty());
  EXPECT_FALSE(sampler_->registered.count(200)) << "the dynamic loader is still at work";
  ASSERT_TRUE(table.next_retry());
  system_.become_python(200);
  retry_until_settled(table);
  EXPECT_TRUE(sampler_->registered.count(200));
  EXPECT_EQ(table.exec_to_registration_ms().size(), 1u);
  EXPECT_EQ(table.profiled_count(), 1u);
}

TEST_F(ProcessTableTest, ExecOfAProgramLinkingLibpythonIsLookedAtUntilItIsLoaded) {
  system_.start(200, "sh", "/bin/sh");
  ProcessTable& table = start();
  system_.exec(200, "uwsgi", "/usr/bin/uwsgi").links_libpython = true;
  EXPECT_TRUE(handle(sampler_->kernel_exec(200)).empty());
  ASSERT_TRUE(table.next_retry()) << "its loader has libpython to map";
  std::this_thread::sleep_until(*table.next_retry());
  table.retry_pending();
  system_.become_python(200);  // libpython mapped
  retry_until_settled(table);
  EXPECT_TRUE(sampler_->registered.count(200));
}

TEST_F(ProcessTableTest, ExecOfAProgramWithoutLibpythonIsJudgedOnce) {
  system_.start(200, "sh", "/bin/sh");
  ProcessTable& table = start();
  int before = system_.inspections(200);
  system_.exec(200, "cc1plus", "/usr/libexec/gcc/cc1plus");
  EXPECT_TRUE(handle(sampler_->kernel_exec(200)).empty());
  EXPECT_FALSE(table.next_retry()) << "only a dlopen could make it Python: the rescans see that";
  EXPECT_EQ(system_.inspections(200), before + 1);
  system_.become_python(200);  // it dlopened libpython after all
  system_.at(200).vsize += 1 << 24;
  sampler_->ran = {200};
  table.rescan(false);
  EXPECT_TRUE(sampler_->registered.count(200));
}

TEST_F(ProcessTableTest, ExecOutOfPythonEndsTheImageAndKeepsItsName) {
  system_.start_python(300, "python3");
  ProcessTable& table = start();
  uint64_t serial = table.find(300)->serial;
  system_.exec(300, "ls", "/bin/ls");
  handle(sampler_->kernel_exec(300));
  retry_until_settled(table);
  EXPECT_FALSE(sampler_->registered.count(300));
  ASSERT_NE(table.find(300), nullptr) << "its samples keep their process";
  EXPECT_TRUE(table.find(300)->exited);
  EXPECT_EQ(table.find(300)->info.comm, "python3");
  std::vector<ProcessTable::Retired> retired = table.take_retired();
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_EQ(retired[0].serial, serial);
  EXPECT_EQ(table.alive_count(), 0u);
}

TEST_F(ProcessTableTest, ExecOfAnotherPythonProgramIsANewImage) {
  system_.start_python(300, "python3");
  ProcessTable& table = start();
  uint64_t serial = table.find(300)->serial;
  system_.exec(300, "gunicorn", "/usr/bin/python3.11");
  system_.become_python(300);
  handle(sampler_->kernel_exec(300));
  ASSERT_NE(table.find(300), nullptr);
  EXPECT_NE(table.find(300)->serial, serial);
  EXPECT_EQ(table.find(300)->info.comm, "gunicorn");
  EXPECT_TRUE(sampler_->registered.count(300));
  EXPECT_EQ(table.profiled_count(), 2u) << "the image before the exec keeps its samples";
}

TEST_F(ProcessTableTest, ForkedChildIsAdoptedWithItsParentsRuntime) {
  system_.start_python(400, "python3");
  ProcessTable& table = start();
  system_.fork(400, 401);
  handle(sampler_->kernel_fork(400, 401));
  TrackedProcess* child = table.find(401);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->info.pid, 401);
  EXPECT_EQ(child->info.runtime_address, fake::System::kRuntime);
  EXPECT_NE(child->serial, table.find(400)->serial);
  EXPECT_EQ(system_.inspections(401), 0) << "a fork copies what is known of its parent";
  EXPECT_TRUE(sampler_->registered.count(401));
}

TEST_F(ProcessTableTest, ForkedChildThatExecdBeforeItsForkEventIsNotAdopted) {
  system_.start_python(400, "python3");
  ProcessTable& table = start();
  system_.fork(400, 401);
  stprof_event fork = sampler_->kernel_fork(400, 401);
  // Another program of the same interpreter file (a hard link): the kernel registers it at exec.
  system_.exec(401, "celery", "/opt/venv/bin/python3.11");
  system_.become_python(401);
  stprof_event exec = sampler_->kernel_exec(401, system_.at(401).image->key);
  handle(fork);
  EXPECT_EQ(table.find(401), nullptr) << "the child's image is not its parent's any more";
  handle(exec);
  ASSERT_NE(table.find(401), nullptr);
  EXPECT_EQ(table.find(401)->info.comm, "celery");
  EXPECT_EQ(table.profiled_count(), 2u) << "no image of the parent's program under PID 401";
}

TEST_F(ProcessTableTest, ForkedChildThatLeftPythonBeforeItsForkEventIsNotAdopted) {
  system_.start_python(400, "python3");
  ProcessTable& table = start();
  system_.fork(400, 401);
  stprof_event fork = sampler_->kernel_fork(400, 401);
  system_.exec(401, "ls", "/bin/ls");
  stprof_event exec = sampler_->kernel_exec(401);
  handle(fork);
  handle(exec);
  retry_until_settled(table);
  EXPECT_EQ(table.find(401), nullptr);
  EXPECT_FALSE(sampler_->registered.count(401));
}

TEST_F(ProcessTableTest, ExitEndsTheImageAndReleaseFreesItsMemory) {
  system_.start_python(500, "python3");
  ProcessTable& table = start();
  system_.end(500);
  handle(sampler_->kernel_exit(500));
  TrackedProcess* ended = table.find(500);
  ASSERT_NE(ended, nullptr);
  EXPECT_TRUE(ended->exited);
  std::vector<ProcessTable::Retired> retired = table.take_retired();
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_TRUE(ended->memory) << "kept until its last counts are drained";
  table.release(retired[0]);
  EXPECT_FALSE(ended->memory);
  EXPECT_FALSE(ended->symbolizer);
  EXPECT_EQ(ended->info.comm, "python3") << "its name stays for the profile";
  EXPECT_TRUE(table.take_retired().empty());
}

TEST_F(ProcessTableTest, ReleasedImagesAreForgottenAndStillCounted) {
  system_.start_python(500, "python3");
  system_.start_python(501, "python3");
  ProcessTable& table = start();
  system_.end(500);
  handle(sampler_->kernel_exit(500));
  table.forget_released();
  EXPECT_NE(table.find(500), nullptr) << "its last counts are not drained yet";
  for (const ProcessTable::Retired& retired : table.take_retired()) table.release(retired);
  table.forget_released();
  EXPECT_EQ(table.find(500), nullptr);
  ASSERT_NE(table.find(501), nullptr) << "alive: kept";
  EXPECT_EQ(table.profiled_count(), 2u);
}

TEST_F(ProcessTableTest, ReusedPidIsANewImage) {
  system_.start_python(500, "old");
  ProcessTable& table = start();
  uint64_t old_serial = table.find(500)->serial;
  system_.end(500);
  handle(sampler_->kernel_exit(500));
  std::vector<ProcessTable::Retired> retired = table.take_retired();
  system_.start_python(500, "new");
  handle(sampler_->kernel_exec(500));
  ASSERT_NE(table.find(500), nullptr);
  EXPECT_EQ(table.find(500)->info.comm, "new");
  EXPECT_NE(table.find(500)->serial, old_serial);
  table.release(retired[0]);  // the old image's: the new one keeps its memory
  EXPECT_TRUE(table.find(500)->memory);
  EXPECT_EQ(table.profiled_count(), 2u);
}

TEST_F(ProcessTableTest, RescanEndsAProcessWhoseExitEventWasLost) {
  system_.start_python(600, "python3");
  ProcessTable& table = start();
  system_.end(600);
  sampler_->kernel_exit(600);  // its event dropped: the ring buffer was full
  table.rescan(true);
  ASSERT_NE(table.find(600), nullptr);
  EXPECT_TRUE(table.find(600)->exited);
  EXPECT_EQ(table.take_retired().size(), 1u);
}

TEST_F(ProcessTableTest, RescanFindsAProgramThatLoadedPythonLate) {
  system_.start(700, "embedder", "/usr/bin/embedder");
  ProcessTable& table = start();
  EXPECT_EQ(system_.inspections(700), 1);
  sampler_->ran = {700};
  table.rescan(false);
  EXPECT_EQ(system_.inspections(700), 1) << "unchanged since it was judged: not looked at again";
  system_.become_python(700);  // it dlopened libpython: more memory mapped
  system_.at(700).vsize += 1 << 24;
  table.rescan(false);
  EXPECT_EQ(system_.inspections(700), 1) << "it did not run since";
  sampler_->ran = {700};
  table.rescan(false);
  EXPECT_TRUE(sampler_->registered.count(700));
}

TEST_F(ProcessTableTest, RescanAfterLostEventsNoticesAnExec) {
  system_.start_python(800, "python3");
  ProcessTable& table = start();
  uint64_t serial = table.find(800)->serial;
  system_.exec(800, "celery", "/opt/venv/bin/python3.11");
  system_.become_python(800);
  // The kernel registered the new image at exec; the event was lost.
  sampler_->registered[800] = system_.at(800).python->walker();
  table.rescan(true);
  ASSERT_NE(table.find(800), nullptr);
  EXPECT_NE(table.find(800)->serial, serial);
  EXPECT_EQ(table.find(800)->info.comm, "celery");
}

TEST_F(ProcessTableTest, KernelRegistersTheNextExecOfAKnownInterpreter) {
  system_.start_python(800, "python3");
  ProcessTable& table = start();  // --all-python: the kernel may register at exec
  ASSERT_EQ(sampler_->images.size(), 1u) << "a static interpreter's runtime is in its executable";
  int adds = sampler_->adds;
  system_.start(801, "sh", "/bin/sh");
  system_.exec(801, "python3", "/usr/bin/python3.11");
  system_.become_python(801);
  stprof_event exec = sampler_->kernel_exec(801, system_.at(801).image->key);
  EXPECT_TRUE(exec.flags & STPROF_EVENT_REGISTERED);
  EXPECT_TRUE(sampler_->registered.count(801)) << "sampled from its first instruction";
  sampler_->mark_sampled(801);
  handle(exec);
  ASSERT_NE(table.find(801), nullptr);
  EXPECT_EQ(sampler_->adds, adds) << "confirmed, not added again";
  EXPECT_TRUE(sampler_->registered.at(801).flags & STPROF_PROCESS_SAMPLED);
  EXPECT_TRUE(table.exec_to_registration_ms().empty()) << "no wait for userspace to measure";
}

TEST_F(ProcessTableTest, KernelRegistrationOfAProcessThatIsNotProfilableIsUndone) {
  system_.start_python(800, "python3");
  ProcessTable& table = start();
  system_.start(801, "sh", "/bin/sh");
  system_.exec(801, "python3", "/usr/bin/python3.11").status = Status::kUnsupported;
  system_.at(801).image = system_.at(800).image;
  handle(sampler_->kernel_exec(801, system_.at(801).image->key));
  EXPECT_FALSE(sampler_->registered.count(801));
  EXPECT_EQ(table.find(801), nullptr);
}

TEST_F(ProcessTableTest, UnreadableMemoryIsAWarning) {
  system_.start_python(100, "python3").memory_unreadable = true;
  TargetFilter filter;
  filter.pids = {100};
  ProcessTable& table = start(filter);
  EXPECT_TRUE(mentions(warnings_, "cannot read the memory of process 100"));
  EXPECT_FALSE(sampler_->registered.count(100));
  EXPECT_TRUE(table.some_targets_failed());
}

TEST(ExecRegistration, FollowsTheFilter) {
  TargetFilter all;
  EXPECT_EQ(ProcessTable::exec_registration(all), STPROF_REGISTER_AT_EXEC_ALL);
  TargetFilter tree;
  tree.tree_roots = {1};
  EXPECT_EQ(ProcessTable::exec_registration(tree), STPROF_REGISTER_AT_EXEC_FOLLOWED);
  tree.comm.emplace_back("x");
  EXPECT_EQ(ProcessTable::exec_registration(tree), STPROF_REGISTER_AT_EXEC_NONE)
      << "a selector is judged by userspace";
  TargetFilter pids;
  pids.pids = {1};
  EXPECT_EQ(ProcessTable::exec_registration(pids), STPROF_REGISTER_AT_EXEC_NONE);
}

}  // namespace
}  // namespace stprof
