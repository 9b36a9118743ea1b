// The synthetic profile every renderer's golden files (tests/golden/<format>_*.txt) are made
// from, and golden-file helpers. STPROF_UPDATE_GOLDEN=1 rewrites the golden files instead of
// comparing (tools/refresh-golden); check the diff by hand before committing it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "collate/profile.h"

#ifndef STPROF_GOLDEN_DIR
#error "compile with -DSTPROF_GOLDEN_DIR=\"<repo>/tests/golden\""
#endif

namespace stprof::testing {

inline uint32_t add_process(ProfileBuilder& builder, int pid, const std::string& comm) {
  ProcessInfo info;
  info.pid = pid;
  info.ns_pid = pid;  // not in a container
  info.comm = comm;
  info.python_version = "3.11.2";
  return builder.process(static_cast<uint64_t>(pid), info);
}

// Two processes, three threads:
//   python3.11 (1234): MainThread (1234), worker (1240)
//   app server (2000): MainThread (2000)
// Nested stacks; one truncated and one partial stack; a function whose name contains ';';
// non-ASCII names; a line-less location; two lines of one function (work, app.py:4 and :5);
// standard-library and dist-packages paths; recursion (run under run); one stack added twice
// (merged by the builder: 5 + 2 = 7). 29 samples.
inline Profile render_fixture() {
  ProfileBuilder builder;
  uint32_t python = add_process(builder, 1234, "python3.11");
  uint32_t server = add_process(builder, 2000, "app server");
  uint32_t python_main = builder.thread(python, 1234, "MainThread");
  uint32_t python_worker = builder.thread(python, 1240, "worker");
  uint32_t server_main = builder.thread(server, 2000, "MainThread");

  uint32_t module = builder.location("<module>", "app.py", 12);
  uint32_t run = builder.location("run", "app.py", 8);
  uint32_t work = builder.location("work", "app.py", 4);
  uint32_t work5 = builder.location("work", "app.py", 5);
  uint32_t parse = builder.location("parse;split", "lib/p.py", 20);
  uint32_t compute = builder.location("計算", "データ.py", 3);
  uint32_t helper = builder.location("helper", "app.py", 0);  // line unknown
  uint32_t get = builder.location("get", "/usr/lib/python3/dist-packages/requests/api.py", 73);
  uint32_t loads = builder.location("loads", "/usr/lib/python3.11/json/__init__.py", 346);

  builder.add(python_main, {module, run, work}, StackEnd::kComplete, 5);
  builder.add(python_main, {module, run}, StackEnd::kComplete, 3);
  builder.add(python_main, {module, run, work}, StackEnd::kComplete, 2);
  builder.add(python_main, {module, run, work5}, StackEnd::kComplete, 2);
  builder.add(python_worker, {run, parse}, StackEnd::kTruncated, 4);
  builder.add(python_worker, {work}, StackEnd::kPartial, 1);
  builder.add(server_main, {module, run, work}, StackEnd::kComplete, 6);
  builder.add(server_main, {compute, helper}, StackEnd::kComplete, 2);
  builder.add(server_main, {module, get, loads}, StackEnd::kComplete, 3);
  builder.add(server_main, {module, run, run, work}, StackEnd::kComplete, 1);
  builder.profile().frequency_hz = 100;
  builder.profile().duration_seconds = 2.5;
  return builder.profile();
}

inline constexpr uint64_t kFixtureSamples = 29;

// A wall-mode profile at 100 Hz (one on-CPU sample: 10 ms), one process, two threads:
//   python3.11 (1234): MainThread (1234), worker (1240)
// On-CPU stacks and off-CPU stacks ending in [off-CPU: read], [off-CPU: GIL] and
// [off-CPU: runqueue] frames (no file, line 0). Off-CPU times chosen to test microsecond
// rounding: 1200000400 ns (1200000 us), 2500500 ns (2501 us: half rounds up), and 499 ns on each
// thread under the same stack (0 us alone, 1 us once the threads merge). The GIL stack is added
// twice (200 ms + 150 ms, merged by the builder).
inline Profile wall_fixture() {
  ProfileBuilder builder;
  uint32_t python = add_process(builder, 1234, "python3.11");
  uint32_t main_thread = builder.thread(python, 1234, "MainThread");
  uint32_t worker = builder.thread(python, 1240, "worker");

  uint32_t module = builder.location("<module>", "app.py", 12);
  uint32_t serve = builder.location("serve", "app.py", 20);
  uint32_t handle = builder.location("handle", "app.py", 30);
  uint32_t recv = builder.location("recv", "/usr/lib/python3.11/socket.py", 7);
  uint32_t work = builder.location("work", "app.py", 4);
  uint32_t read = builder.location(off_cpu_label("read"), "", 0);
  uint32_t gil = builder.location(off_cpu_label("GIL"), "", 0);
  uint32_t runqueue = builder.location(off_cpu_label("runqueue"), "", 0);

  builder.add(main_thread, {module, serve, handle}, StackEnd::kComplete, 3);
  builder.add(main_thread, {module, serve}, StackEnd::kComplete, 1);
  builder.add(main_thread, {module, serve, recv, read}, StackEnd::kComplete, 0, 1200000400);
  builder.add(main_thread, {module, serve, handle, runqueue}, StackEnd::kComplete, 0, 2500500);
  builder.add(main_thread, {work, runqueue}, StackEnd::kComplete, 0, 499);
  builder.add(worker, {work}, StackEnd::kComplete, 2);
  builder.add(worker, {work, gil}, StackEnd::kComplete, 0, 200000000);
  builder.add(worker, {work, runqueue}, StackEnd::kComplete, 0, 499);
  builder.add(worker, {work, gil}, StackEnd::kComplete, 0, 150000000);
  builder.profile().frequency_hz = 100;
  builder.profile().duration_seconds = 2.0;
  builder.profile().mode = ProfileMode::kWall;
  return builder.profile();
}

// The wall fixture's totals: 6 on-CPU samples of 10 ms; off-CPU 1200000400 + 2500500 + 499 +
// 350000000 + 499.
inline constexpr uint64_t kWallOnCpuNs = 60000000;
inline constexpr uint64_t kWallOffCpuNs = 1552501898;
inline constexpr uint64_t kWallNs = kWallOnCpuNs + kWallOffCpuNs;

inline std::string golden_path(const std::string& name) {
  return std::string(STPROF_GOLDEN_DIR) + "/" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compares `actual` with tests/golden/<name>, or rewrites it under STPROF_UPDATE_GOLDEN=1.
inline void expect_golden(const std::string& name, const std::string& actual) {
  std::string path = golden_path(name);
  if (const char* update = std::getenv("STPROF_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream probe(path);
  ASSERT_TRUE(probe) << "no golden file " << path << " (tools/refresh-golden makes it)";
  EXPECT_EQ(actual, read_file(path)) << "differs from " << path;
}

}  // namespace stprof::testing
