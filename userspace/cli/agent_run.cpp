#include "cli/agent_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "sinks/directory_sink.h"
#include "util/atomic_file.h"
#include "sinks/pyroscope_sink.h"
#include "util/files.h"
#include "util/unique_fd.h"

namespace stprof {
namespace {

std::mutex g_log_mutex;  // sender threads and the recording thread share stderr

int64_t unix_now() { return static_cast<int64_t>(::time(nullptr)); }

}  // namespace

Result<void> redirect_stderr(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (fd.get() < 0) {
    return make_error("--log-file " + path + ": cannot open it (" + errno_text(errno) +
                      "); choose a file the agent may write");
  }
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::cerr.flush();
  if (::dup2(fd.get(), STDERR_FILENO) < 0) {
    return make_error("--log-file " + path + ": cannot redirect stderr (" + errno_text(errno) + ")");
  }
  return {};
}

void AgentRun::log(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::cerr << "stprof-bpf: warning: " << line << std::endl;
}

Result<std::unique_ptr<AgentRun>> AgentRun::open(const Config& config, const std::string& host) {
  const AgentConfig& agent = config.agent;
  if (!agent.log_file.empty()) {
    if (auto redirected = redirect_stderr(agent.log_file); !redirected) return redirected.error();
  }
  std::unique_ptr<AgentRun> run(new AgentRun(config));
  run->options_ = agent.options;
  run->options_.host = host;
  BackoffPolicy backoff;
  backoff.max = std::chrono::seconds(agent.retry_max_seconds);
  backoff.first = std::min(backoff.first, std::chrono::duration_cast<std::chrono::milliseconds>(backoff.max));
  SpoolLimits memory_only{agent.spool_memory_bytes, "", 0};
  if (!agent.pyroscope_url.empty()) {
    Result<std::unique_ptr<PyroscopeSink>> sink = PyroscopeSink::create(
        {agent.pyroscope_url, agent.pyroscope_tenant, agent.pyroscope_basic_auth_file,
         agent.pyroscope_token_file, std::chrono::seconds(agent.pyroscope_timeout_seconds)});
    if (!sink) return sink.error();
    SpoolLimits limits = memory_only;
    if (!agent.spool_dir.empty()) {
      limits.directory = agent.spool_dir + "/pyroscope";
      limits.disk_bytes = agent.spool_disk_bytes;
    }
    Result<Spool> spool = Spool::open(limits);
    if (!spool) return spool.error();
    if (!spool->empty()) {
      log("pyroscope: " + std::to_string(spool->size()) + " profile(s) left by an earlier run go first");
    }
    run->senders_.push_back(std::make_unique<Sender>(std::move(*sink), std::move(*spool), backoff, log));
  }
  if (!agent.output_dir.empty()) {
    std::error_code ignored;  // a failure shows in the check below
    std::filesystem::create_directories(agent.output_dir, ignored);
    if (auto writable = check_writable(agent.output_dir + "/.stprof-probe"); !writable) {
      return make_error("--output-dir " + agent.output_dir + ": " + writable.error().message);
    }
    Result<Spool> spool = Spool::open(memory_only);
    if (!spool) return spool.error();
    auto sink = std::make_unique<DirectorySink>(agent.output_dir,
                                                Retention{agent.retain_seconds, agent.retain_bytes});
    run->senders_.push_back(std::make_unique<Sender>(std::move(sink), std::move(*spool), backoff, log));
  }
  return run;
}

void AgentRun::start(int64_t now) {
  std::vector<Sender*> senders;
  for (const auto& sender : senders_) senders.push_back(sender.get());
  agent_ = std::make_unique<Agent>(options_, std::move(senders), now);
  if (!config_.outputs.empty()) agent_->keep_total();
}

void AgentRun::after_drain(Recorder& recorder, std::atomic<bool>& reopen) {
  if (reopen.exchange(false)) {
    if (!config_.agent.log_file.empty()) {
      if (auto redirected = redirect_stderr(config_.agent.log_file); !redirected) {
        log(redirected.error().message);
      }
    }
    for (const auto& sender : senders_) sender->reopen();
  }
  int64_t now = unix_now();
  if (agent_->due(now)) agent_->cut(recorder.take_profile(), now, false);
}

void AgentRun::finish(Recorder& recorder) {
  int64_t now = unix_now();
  if (agent_->due(now)) agent_->cut(recorder.take_profile(), now, false);
  agent_->cut(recorder.take_profile(), now, true);
  for (const auto& sender : senders_) sender->finish(std::chrono::seconds(config_.agent.flush_seconds));
}

RunTotals AgentRun::totals(double duration_seconds, int frequency_hz, uint64_t sample_period_ns) const {
  const AgentStats& stats = agent_->stats();
  return {stats.samples, stats.most_threads, duration_seconds, frequency_hz, sample_period_ns};
}

nlohmann::ordered_json AgentRun::json() const {
  const AgentStats& stats = agent_->stats();
  nlohmann::ordered_json sinks = nlohmann::ordered_json::object();
  for (const auto& sender : senders_) {
    SenderStats sent = sender->stats();
    sinks[sender->name()] = {{"delivered", sent.delivered},     {"failures", sent.failures},
                             {"refused", sent.refused},         {"dropped", sent.dropped},
                             {"queued", sent.queued},           {"spooled_bytes_on_disk", sent.spooled_bytes_on_disk}};
  }
  return {{"agent",
           {{"interval_seconds", options_.interval_seconds},
            {"intervals", stats.intervals},
            {"profiles", stats.profiles},
            {"render_errors", stats.render_errors},
            {"sinks", sinks}}}};
}

std::vector<std::string> AgentRun::report() const {
  std::vector<std::string> lines;
  const AgentStats& stats = agent_->stats();
  for (const auto& sender : senders_) {
    SenderStats sent = sender->stats();
    lines.push_back(sender->name() + ": " + std::to_string(sent.delivered) + " of " +
                    std::to_string(stats.profiles) + " profile(s) delivered over " +
                    std::to_string(stats.intervals) + " interval(s); " + std::to_string(sent.failures) +
                    " failed tries, " + std::to_string(sent.refused) + " refused, " +
                    std::to_string(sent.dropped) + " dropped, " + std::to_string(sent.queued) + " queued");
  }
  return lines;
}

}  // namespace stprof
