#include "cli/thread_dump.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "bpf/sampler.h"
#include "drain/map_feed.h"
#include "record/live_processes.h"
#include "record/off_cpu_reason.h"
#include "symbolize/code_symbolizer.h"

namespace stprof {
namespace {

std::string state_of(__u32 kind) {
  switch (kind) {
    case STPROF_KIND_CPU:
      return "running";
    case STPROF_KIND_RUNQUEUE:
      return "waiting for a CPU";
    case STPROF_KIND_GIL:
      return "waiting for the GIL";
    case STPROF_KIND_STOPPED:
      return "stopped";
    case STPROF_KIND_FAULT:
      return "in a page fault";
    default:
      return "in " + off_cpu_reason(kind);
  }
}

// Why the walk found no stack (the sampler's exit counter), as a user reads it.
std::string no_stack_reason(__u32 exit) {
  switch (exit) {
    case STPROF_EXIT_NO_FRAME:
      return "no Python frame (in C code, or not started)";
    case STPROF_EXIT_NO_THREAD_STATE:
      return "not a Python thread";
    case STPROF_EXIT_NO_FSBASE:
    case STPROF_EXIT_THREAD_STATE_FAULT:
      return "its thread state could not be read";
    default:
      return "its stack could not be read";
  }
}

// The thread's frames, leaf first; those CPython itself hides are left out, and one whose code
// object cannot be read back is named by its address.
std::vector<DumpedFrame> frames_of(const RawStack& stack, CodeSymbolizer& symbolizer) {
  std::vector<DumpedFrame> frames;
  for (const stprof_frame& frame : stack.frames) {
    std::optional<FrameSymbol> symbol = symbolizer.symbolize(frame);
    if (!symbol) {
      char address[32];
      std::snprintf(address, sizeof(address), "<unknown code 0x%llx>",
                    static_cast<unsigned long long>(frame.code));
      frames.push_back({address, "?", 0});
    } else if (!symbol->incomplete) {
      frames.push_back({symbol->function, symbol->file, symbol->line});
    }
  }
  return frames;
}

}  // namespace

Result<ProcessDump> dump_process(int pid) {
  LiveProcesses system;
  ProcessInspection inspection = system.inspect(pid);
  if (inspection.status != ProcessInspection::Status::kPython) return make_error(inspection.message);
  const PythonProcess& python = *inspection.process;
  Result<std::unique_ptr<ProcessMemory>> memory = system.open_memory(pid);
  if (!memory) return memory.error();

  Sampler::Options options;
  options.thread_dump = true;
  Result<std::unique_ptr<Sampler>> sampler = Sampler::start(options);
  if (!sampler) return sampler.error();
  Result<std::unique_ptr<MapFeed>> feed = MapFeed::open((*sampler)->maps());
  if (!feed) return feed.error();
  if (Result<void> added = (*sampler)->add_process(static_cast<__u32>(pid), python.walker()); !added) {
    return added.error();
  }
  Result<std::vector<stprof_thread_dump>> threads = (*sampler)->dump_threads(static_cast<__u32>(pid));
  if (!threads) return threads.error();

  ProcessDump dump{pid, python.comm, python.version.to_string(), {}};
  CodeSymbolizer symbolizer(**memory, python.layout, python.none_address);
  for (const stprof_thread_dump& found : *threads) {
    DumpedThread thread;
    thread.tid = static_cast<int>(found.tid);
    thread.name = system.thread_name(pid, thread.tid);
    thread.state = state_of(found.kind);
    const RawStack* stack = found.stack_id ? (*feed)->stack(found.stack_id) : nullptr;
    if (stack) {
      thread.frames = frames_of(*stack, symbolizer);
      thread.cut_short = stack->flags & (STACK_FLAG_PARTIAL | STACK_FLAG_TRUNCATED);
    }
    if (thread.frames.empty()) thread.no_stack = no_stack_reason(stack ? static_cast<__u32>(STPROF_EXIT_NO_FRAME) : found.exit);
    dump.threads.push_back(std::move(thread));
  }
  std::sort(dump.threads.begin(), dump.threads.end(),
            [](const DumpedThread& a, const DumpedThread& b) { return a.tid < b.tid; });
  return dump;
}

void print_dump(const ProcessDump& dump, std::ostream& out) {
  out << "Process " << dump.pid << ": " << dump.comm << " (Python " << dump.python_version << ")\n";
  for (const DumpedThread& thread : dump.threads) {
    out << "\nThread " << thread.tid << " (" << thread.name << "): " << thread.state << "\n";
    if (thread.frames.empty()) out << "    " << thread.no_stack << "\n";
    for (const DumpedFrame& frame : thread.frames) {
      out << "    " << frame.function << " (" << frame.file << ":" << frame.line << ")\n";
    }
    if (thread.cut_short) out << "    [the callers below could not be read]\n";
  }
}

void print_dump_json(const ProcessDump& dump, std::ostream& out) {
  nlohmann::ordered_json threads = nlohmann::ordered_json::array();
  for (const DumpedThread& thread : dump.threads) {
    nlohmann::ordered_json frames = nlohmann::ordered_json::array();
    for (const DumpedFrame& frame : thread.frames) {
      frames.push_back({{"function", frame.function}, {"file", frame.file}, {"line", frame.line}});
    }
    nlohmann::ordered_json entry = {{"tid", thread.tid}, {"name", thread.name}, {"state", thread.state},
                                    {"frames", frames}};
    if (thread.frames.empty()) entry["no_stack"] = thread.no_stack;
    if (thread.cut_short) entry["cut_short"] = true;
    threads.push_back(entry);
  }
  nlohmann::ordered_json json = {{"pid", dump.pid},
                                 {"comm", dump.comm},
                                 {"python", dump.python_version},
                                 {"threads", threads}};
  out << json.dump() << "\n";
}

}  // namespace stprof
