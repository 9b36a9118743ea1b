#include "cli/summary.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "render/percent.h"
#include "render/value_text.h"

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

// Samples of Python processes dropped for want of map space (a full map, no scratch buffer, no
// per-thread cache).
uint64_t lost_to_full_maps(const Counters& c) {
  return c[STPROF_EXIT_STACK_MAP_FULL] + c[STPROF_EXIT_COUNT_MAP_FULL] +
         c[STPROF_EXIT_NO_SCRATCH] + c[STPROF_EXIT_NO_TASK_CACHE];
}

const char* mode_name(ProfileMode mode) { return mode == ProfileMode::kWall ? "wall" : "cpu"; }

// Wall mode: the on-CPU part of the wall time, the samples times the sample period.
uint64_t on_cpu_ns(const RunTotals& totals) { return totals.samples * totals.sample_period_ns; }

// "stprof-bpf: wall time 12.0 s of 3 threads: on-CPU 2.10 s (17.5%), off-CPU: read 6.00 s
// (50.0%), ..." with the off-CPU reasons largest first.
void print_wall_time(const RunTotals& totals, const RecordSummary& summary, std::ostream& out) {
  std::vector<std::pair<uint64_t, std::string>> off_cpu;
  uint64_t wall = on_cpu_ns(totals);
  for (const auto& [reason, ns] : summary.off_cpu_ns) {
    off_cpu.emplace_back(ns, reason);
    wall += ns;
  }
  std::sort(off_cpu.begin(), off_cpu.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  auto part = [wall](uint64_t ns) {
    return duration_text(ns) + " (" + format_double(percent(ns, wall), "%.1f") + "%)";
  };
  size_t threads = totals.threads;
  out << "stprof-bpf: wall time " << duration_text(wall) << " of " << threads
      << (threads == 1 ? " thread" : " threads") << ": on-CPU " << part(on_cpu_ns(totals));
  for (size_t i = 0; i < off_cpu.size(); i++) {
    out << (i == 0 ? ", off-CPU: " : ", ") << off_cpu[i].second << " " << part(off_cpu[i].first);
  }
  out << "\n";
}

}  // namespace

RunTotals totals_of(const Profile& profile) {
  return {profile.total_samples(), profile.threads.size(), profile.duration_seconds,
          profile.frequency_hz, profile.sample_period_ns()};
}

void print_summary(const RunTotals& totals, const RecordSummary& summary, bool verbose,
                   std::ostream& out) {
  const Counters& c = summary.counters;
  double seconds = totals.duration_seconds;
  double expected = summary.sampled_cpu_seconds * totals.frequency_hz;
  out << "stprof-bpf: " << totals.samples << " Python samples from "
      << summary.python_processes << " process(es), " << totals.threads << " thread(s) in "
      << format_double(seconds, "%.1f") << " s; " << c[STPROF_SAMPLES] << " CPU ticks sampled ("
      << format_double(expected > 0 ? 100.0 * c[STPROF_SAMPLES] / expected : 0, "%.1f")
      << "% of " << totals.frequency_hz << " Hz over "
      << format_double(summary.sampled_cpu_seconds, "%.1f") << " s of CPU time sampled)\n";
  if (summary.mode == ProfileMode::kWall) print_wall_time(totals, summary, out);

  std::string dropped;
  auto note = [&dropped](uint64_t n, const char* what) {
    if (n) dropped += (dropped.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  note(c[STPROF_EXIT_NO_FRAME], "in threads running no Python code");
  note(c[STPROF_EXIT_NOT_GIL_HOLDER], "in threads not holding the GIL (--gil)");
  note(c[STPROF_EXIT_NO_THREAD_STATE], "in threads without a Python thread state");
  note(c[STPROF_EXIT_THREAD_STATE_FAULT] + c[STPROF_EXIT_NO_FSBASE], "unreadable thread state");
  note(lost_to_full_maps(c), "lost to full maps");
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

  if (verbose && !summary.exec_to_registration_ms.empty()) {
    std::vector<double> latencies = summary.exec_to_registration_ms;
    std::sort(latencies.begin(), latencies.end());
    out << "stprof-bpf: " << latencies.size() << " process(es) registered after exec: median "
        << format_double(latencies[latencies.size() / 2], "%.2f") << " ms, max "
        << format_double(latencies.back(), "%.2f") << " ms\n";
  }
  if (verbose) {
    out << "stprof-bpf: caches: " << summary.caches.stacks << " stacks, " << summary.caches.frames
        << " frames, " << summary.caches.code_objects << " code objects\n";
    for (int id = 0; id < STPROF_NUM_COUNTERS; id++) {
      out << "stprof-bpf: counter " << kCounterNames[id] << " = " << c[id] << "  ("
          << kCounterDescriptions[id] << ")\n";
    }
  }
}

void print_summary_json(const RunTotals& totals, const RecordSummary& summary,
                        const std::vector<Output>& outputs, int exit_code, std::ostream& out,
                        const nlohmann::ordered_json& extra) {
  const Counters& c = summary.counters;
  nlohmann::ordered_json json;
  json["samples"] = totals.samples;
  json["processes"] = summary.python_processes;
  json["threads"] = totals.threads;
  json["duration_seconds"] = totals.duration_seconds;
  json["frequency_hz"] = totals.frequency_hz;
  json["mode"] = mode_name(summary.mode);
  if (summary.mode == ProfileMode::kWall) {
    json["on_cpu_ns"] = on_cpu_ns(totals);
    json["off_cpu_ns"] = summary.off_cpu_ns;
  }
  json["cpus"] = summary.cpus;
  json["cpu_ticks_sampled"] = c[STPROF_SAMPLES];
  json["sampled_cpu_seconds"] = summary.sampled_cpu_seconds;
  json["exec_to_registration_ms"] = summary.exec_to_registration_ms;
  json["caches"] = {{"stacks", summary.caches.stacks},
                    {"frames", summary.caches.frames},
                    {"code_objects", summary.caches.code_objects}};
  json["not_counted"] = {
      {"no_python_frame", c[STPROF_EXIT_NO_FRAME]},
      {"not_holding_the_gil", c[STPROF_EXIT_NOT_GIL_HOLDER]},
      {"no_thread_state", c[STPROF_EXIT_NO_THREAD_STATE]},
      {"unreadable_thread_state", c[STPROF_EXIT_THREAD_STATE_FAULT] + c[STPROF_EXIT_NO_FSBASE]},
      {"full_maps", lost_to_full_maps(c)},
      {"unreadable_stack", summary.unreadable_stacks},
      {"not_started", summary.unstarted_samples},
  };
  json["incomplete"] = {
      {"truncated_stacks", c[STPROF_STACK_TRUNCATED]},
      {"cut_stacks", c[STPROF_FRAME_READ_FAULT] + c[STPROF_FRAME_LOOP]},
      {"unknown_frames", summary.unknown_frames},
  };
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  for (int id = 0; id < STPROF_NUM_COUNTERS; id++) {
    std::string name = kCounterNames[id];
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    counters[name] = c[id];
  }
  json["counters"] = counters;
  nlohmann::ordered_json written = nlohmann::ordered_json::array();
  for (const Output& output : outputs) {
    written.push_back({{"path", output.path}, {"format", format_name(output.format)}});
  }
  json["outputs"] = written;
  json["targets_failed"] = summary.targets_failed;
  json["selectors_matched_nothing"] = summary.selectors_matched_nothing;
  json["targets_exited"] = summary.targets_exited;
  json["exit_code"] = exit_code;
  for (const auto& [key, value] : extra.items()) json[key] = value;
  out << json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
}

}  // namespace stprof
