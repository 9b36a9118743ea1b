// stprof-bpf: the only place that turns errors into exit codes.
//   0  profile written; every requested process was profiled
//   1  error: nothing written (the message says why and what to do)
//   2  bad command line
//   3  profile written, but some requested processes could not be profiled (warned about)
#include <csignal>
#include <iostream>
#include <sstream>

#include "bpf/sampler.h"
#include "cli/config.h"
#include "cli/summary.h"
#include "record/recorder.h"
#include "render/folded.h"
#include "util/atomic_file.h"
#include "util/privileges.h"

namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop.store(true); }

int fail(const std::string& message) {
  std::cerr << "stprof-bpf: error: " << message << "\n";
  return 1;
}

void warn(const std::string& message) { std::cerr << "stprof-bpf: warning: " << message << "\n"; }

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<stprof::Config> config = stprof::parse_command_line(argc, argv, exit_code);
  if (!config) return exit_code;

  if (auto ok = stprof::check_privileges(); !ok) return fail(ok.error().message);
  if (auto ok = stprof::check_kernel_btf(); !ok) return fail(ok.error().message);
  if (auto ok = stprof::check_writable(config->output); !ok) return fail(ok.error().message);

  struct sigaction action{};
  action.sa_handler = request_stop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  auto sampler = stprof::Sampler::start({config->frequency_hz, config->verbose});
  if (!sampler) return fail(sampler.error().message);

  stprof::RecordOptions options;
  options.pids = config->pids;
  options.duration_seconds = config->duration_seconds;
  options.frequency_hz = config->frequency_hz;
  stprof::Recorder recorder(options, **sampler, warn);
  if (auto found = recorder.discover(); !found) return fail(found.error().message);
  std::cerr << "stprof-bpf: sampling "
            << (config->pids.empty() ? std::string("every Python process")
                                     : std::to_string(recorder.summary().python_processes) +
                                           " process(es)")
            << " at " << config->frequency_hz << " Hz"
            << (config->duration_seconds > 0 ? "" : "; Ctrl-C to stop") << std::endl;

  recorder.run(g_stop, [] {});
  stprof::RecordSummary summary = recorder.summary();

  std::ostringstream folded;
  stprof::render_folded(recorder.profile(), {config->process_frame, config->thread_frame}, folded);
  if (auto written = stprof::write_file_atomically(config->output, folded.str()); !written) {
    return fail(written.error().message);
  }
  stprof::print_summary(recorder.profile(), summary, config->verbose > 0, std::cerr);
  if (summary.targets_exited) std::cerr << "stprof-bpf: every profiled process exited\n";
  return summary.targets_failed ? 3 : 0;
}
