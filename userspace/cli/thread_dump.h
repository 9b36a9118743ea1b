// `stprof-bpf dump -p PID`: the Python stack of every thread of a process now, and what each
// thread is doing (on a CPU, waiting for one, for the GIL, in a system call), as py-spy dump
// shows a hung service, read by a BPF task iterator: no ptrace, the process is not stopped.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "util/result.h"

namespace stprof {

struct DumpedFrame {
  std::string function;
  std::string file;
  int line = 0;
};

struct DumpedThread {
  int tid = 0;
  std::string name;
  // "running", "waiting for a CPU", "waiting for the GIL", "stopped", "in a page fault", or
  // "in NAME" for a system call ("in read", "in futex").
  std::string state;
  std::vector<DumpedFrame> frames;  // leaf first; empty: see no_stack
  // The root side is missing: a frame could not be read (a running thread left it meanwhile),
  // or the stack is deeper than the walker goes.
  bool cut_short = false;
  std::string no_stack;             // why a thread has no Python stack (no Python code running)
};

struct ProcessDump {
  int pid = 0;
  std::string comm;
  std::string python_version;
  std::vector<DumpedThread> threads;  // by tid
};

// Loads the sampler's dump iterator, registers pid and reads its threads.
Result<ProcessDump> dump_process(int pid);

void print_dump(const ProcessDump& dump, std::ostream& out);
void print_dump_json(const ProcessDump& dump, std::ostream& out);

}  // namespace stprof
