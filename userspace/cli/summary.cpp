#include "cli/summary.h"

#include <cstdio>
#include <string>

namespace stprof {
namespace {

const char* const kCounterNames[] = {
#define STPROF_COUNTER_NAME(id, description) #id,
    STPROF_COUNTERS(STPROF_COUNTER_NAME)
#undef STPROF_COUNTER_NAME
};
const char* const kCounterDescriptions[] = {
#define STPROF_COUNTER_DESCRIPTION(id, description) description,
    STPROF_COUNTERS(STPROF_COUNTER_DESCRIPTION)
#undef STPROF_COUNTER_DESCRIPTION
};

std::string format_double(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

}  // namespace

void print_summary(const Profile& profile, const RecordSummary& summary, bool verbose,
                   std::ostream& out) {
  const Counters& c = summary.counters;
  double seconds = profile.duration_seconds;
  double expected = seconds * profile.frequency_hz * summary.cpus;
  out << "stprof-bpf: " << profile.total_samples() << " Python samples from "
      << summary.python_processes << " process(es), " << profile.threads.size() << " thread(s) in "
      << format_double(seconds, "%.1f") << " s; " << c[STPROF_SAMPLES] << " CPU ticks sampled ("
      << format_double(expected > 0 ? 100.0 * c[STPROF_SAMPLES] / expected : 0, "%.1f")
      << "% of " << profile.frequency_hz << " Hz x " << summary.cpus << " CPUs)\n";

  std::string dropped;
  auto note = [&dropped](uint64_t n, const char* what) {
    if (n) dropped += (dropped.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  note(c[STPROF_EXIT_NO_FRAME], "in threads running no Python code");
  note(c[STPROF_EXIT_NO_THREAD_STATE], "in threads without a Python thread state");
  note(c[STPROF_EXIT_THREAD_STATE_FAULT] + c[STPROF_EXIT_NO_FSBASE], "unreadable thread state");
  note(c[STPROF_EXIT_STACK_MAP_FULL] + c[STPROF_EXIT_COUNT_MAP_FULL] + c[STPROF_EXIT_NO_SCRATCH],
       "lost to full maps");
  note(summary.unreadable_stacks, "with an unreadable stack");
  note(summary.unstarted_samples, "in a frame that had not started");
  if (!dropped.empty()) out << "stprof-bpf: samples of Python processes not counted: " << dropped << "\n";
  std::string marked;
  auto mark = [&marked](uint64_t n, const char* what) {
    if (n) marked += (marked.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  mark(c[STPROF_STACK_TRUNCATED], "stack(s) truncated at the depth limit");
  mark(c[STPROF_FRAME_READ_FAULT] + c[STPROF_FRAME_LOOP], "stack(s) cut by an unreadable frame");
  mark(summary.unknown_frames, "frame(s) whose code object was gone before it was read");
  if (!marked.empty()) out << "stprof-bpf: kept but incomplete: " << marked << "\n";

  if (verbose) {
    for (int id = 0; id < STPROF_NUM_COUNTERS; id++) {
      out << "stprof-bpf: counter " << kCounterNames[id] << " = " << c[id] << "  ("
          << kCounterDescriptions[id] << ")\n";
    }
  }
}

}  // namespace stprof
