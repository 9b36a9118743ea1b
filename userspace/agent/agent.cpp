#include "agent/agent.h"

#include <algorithm>
#include <utility>

#include "load/merge.h"
#include "render/pprof.h"
#include "render/profile.pb.h"

namespace stprof {
namespace {

// The gzipped pprof of one service's interval: its start as time_nanos, its length as
// duration_nanos, and its labels as comments ("service_name=api"), so that a file of
// --output-dir says what it is without its name.
Result<std::string> render_interval(const Profile& view, const Window& window, const Labels& labels) {
  perftools::profiles::Profile message = pprof_message(view);
  message.set_time_nanos(window.from * 1000000000);
  for (const auto& [key, value] : labels) {
    if (value.empty()) continue;
    message.add_string_table(key + "=" + value);
    message.add_comment(message.string_table_size() - 1);
  }
  return gzip(message.SerializeAsString());
}

}  // namespace

Labels labels_of(const ServiceProfile& slice, const AgentOptions& options) {
  Labels labels = {{"service_name", slice.service},
                   {"host", options.host},
                   {"container_id", slice.container_id},
                   {"python_version", slice.python_version}};
  if (slice.pid) labels["pid"] = std::to_string(slice.pid);
  for (const auto& [key, value] : options.extra_labels) labels[key] = value;
  for (auto it = labels.begin(); it != labels.end();) {
    it = it->second.empty() ? labels.erase(it) : std::next(it);
  }
  return labels;
}

Agent::Agent(AgentOptions options, std::vector<Sender*> senders, int64_t start)
    : options_(std::move(options)), senders_(std::move(senders)), clock_(start, options_.interval_seconds) {}

void Agent::cut(Profile profile, int64_t now, bool last) {
  Window window = last ? clock_.cut_last(now) : clock_.cut(now);
  profile.duration_seconds = static_cast<double>(window.until - window.from);
  stats_.intervals++;
  stats_.samples += profile.total_samples();
  stats_.most_threads = std::max(stats_.most_threads, profile.threads.size());
  for (ServiceProfile& slice : split_by_service(profile, options_.service_by, options_.per_process)) {
    Profile view = make_view(slice.profile, options_.view);
    view.duration_seconds = profile.duration_seconds;
    Labels labels = labels_of(slice, options_);
    Result<std::string> body = render_interval(view, window, labels);
    if (!body) {
      stats_.render_errors++;
      continue;
    }
    IntervalProfile interval{slice.service, std::move(labels), window, profile.mode, std::move(*body)};
    for (Sender* sender : senders_) sender->offer(interval);
    stats_.profiles++;
  }
  if (!keep_total_) return;
  if (!total_) {
    total_ = std::move(profile);
    return;
  }
  Result<Profile> merged = merge_profiles({{"total", std::move(*total_)}, {"interval", std::move(profile)}});
  if (merged) total_ = std::move(*merged);  // same rate and mode: merging cannot fail
}

}  // namespace stprof
