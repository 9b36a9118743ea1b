// Tests for agent/: durations and sizes, services from cgroup paths, interval boundaries,
// --label, the split of a profile per service, and the labels each service profile carries.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "agent/agent.h"
#include "agent/interval_clock.h"
#include "agent/labels.h"
#include "agent/quantity.h"
#include "agent/service.h"
#include "agent/service_split.h"
#include "load/gunzip.h"
#include "render/profile.pb.h"

namespace stprof {
namespace {

TEST(Quantity, DurationsInTheirUnits) {
  EXPECT_EQ(*parse_duration_seconds("15"), 15);
  EXPECT_EQ(*parse_duration_seconds("15s"), 15);
  EXPECT_EQ(*parse_duration_seconds("2m"), 120);
  EXPECT_EQ(*parse_duration_seconds("1h"), 3600);
  EXPECT_EQ(*parse_duration_seconds("7d"), 7 * 86400);
  for (const char* bad : {"", "0", "s", "1.5s", "-3s", "10x", "15 s", "99999999999999999999d"}) {
    Result<int64_t> parsed = parse_duration_seconds(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("e.g. 15s, 2m, 1h, 7d"), std::string::npos);
  }
}

TEST(Quantity, SizesInPowersOf1024) {
  EXPECT_EQ(*parse_size_bytes("4096"), 4096u);
  EXPECT_EQ(*parse_size_bytes("512K"), 512u << 10);
  EXPECT_EQ(*parse_size_bytes("64M"), 64u << 20);
  EXPECT_EQ(*parse_size_bytes("64MiB"), 64u << 20);
  EXPECT_EQ(*parse_size_bytes("1G"), 1ull << 30);
  EXPECT_EQ(*parse_size_bytes("2T"), 2ull << 40);
  for (const char* bad : {"", "M", "1.5G", "12Q", "1Gb", "99999999999T"}) {
    EXPECT_FALSE(parse_size_bytes(bad).ok()) << bad;
  }
}

TEST(Service, SystemdServiceFromCgroupPaths) {
  EXPECT_EQ(systemd_service("/system.slice/nginx.service"), "nginx");
  EXPECT_EQ(systemd_service("/system.slice/app@2.service"), "app@2");
  EXPECT_EQ(systemd_service("/system.slice/api.service/worker"), "api") << "a delegated subtree";
  EXPECT_EQ(systemd_service("/user.slice/user-1000.slice/user@1000.service/app.slice/jupyter.service"),
            "jupyter");
  EXPECT_EQ(systemd_service("/user.slice/user-1000.slice/user@1000.service/app.slice/vte-1.scope"), "")
      << "the user manager is no service of its own";
  EXPECT_EQ(systemd_service("/user.slice/user-0.slice/session-3.scope"), "");
  EXPECT_EQ(systemd_service("/"), "");
  EXPECT_EQ(systemd_service(""), "");
  EXPECT_EQ(systemd_service("/system.slice/.service"), "");
}

TEST(Service, AutoPrefersTheContainerThenTheUnitThenComm) {
  std::string id(64, 'a');
  id.replace(0, 12, "3f2a9c0b1d2e");
  ProcessInfo in_container{1, 1, "gunicorn", "3.11.2", id, "/system.slice/docker-x.scope", "/usr/bin/python3.11"};
  ProcessInfo in_unit{2, 2, "python3", "3.11.2", "", "/system.slice/billing.service", "/usr/bin/python3.11"};
  ProcessInfo in_session{3, 3, "ipython", "3.11.2", "", "/user.slice/user-0.slice/session-1.scope", ""};
  EXPECT_EQ(service_of(in_container, ServiceBy::kAuto), "3f2a9c0b1d2e");
  EXPECT_EQ(service_of(in_unit, ServiceBy::kAuto), "billing");
  EXPECT_EQ(service_of(in_session, ServiceBy::kAuto), "ipython");
  EXPECT_EQ(service_of(in_unit, ServiceBy::kContainer), "host");
  EXPECT_EQ(service_of(in_unit, ServiceBy::kCgroup), "/system.slice/billing.service");
  EXPECT_EQ(service_of(in_container, ServiceBy::kComm), "gunicorn");
  EXPECT_EQ(service_of(in_unit, ServiceBy::kExe), "python3.11");
  EXPECT_EQ(service_of(in_session, ServiceBy::kExe), "ipython") << "no exe: comm";
  EXPECT_EQ(parse_service_by("cgroup"), ServiceBy::kCgroup);
  EXPECT_FALSE(parse_service_by("pod").has_value());
}

TEST(IntervalClock, WindowsEndOnBoundariesAndTouch) {
  IntervalClock clock(1000007, 15);  // boundaries at multiples of 15: 1000005, 1000020, ...
  EXPECT_FALSE(clock.due(1000019));
  ASSERT_TRUE(clock.due(1000020));
  Window first = clock.cut(1000021);  // cut a second late: still ends on the boundary
  EXPECT_EQ(first.from, 1000007);
  EXPECT_EQ(first.until, 1000020);
  EXPECT_FALSE(clock.due(1000034));
  Window second = clock.cut(1000035);
  EXPECT_EQ(second.from, 1000020);
  EXPECT_EQ(second.until, 1000035);
  // Held up for three intervals: one window covers them, and the next starts where it ends.
  Window late = clock.cut(1000081);
  EXPECT_EQ(late.from, 1000035);
  EXPECT_EQ(late.until, 1000080);
  Window last = clock.cut_last(1000083);
  EXPECT_EQ(last.from, 1000080);
  EXPECT_EQ(last.until, 1000083);
}

TEST(IntervalClock, TheLastWindowIsNeverEmpty) {
  IntervalClock clock(1000020, 15);
  Window last = clock.cut_last(1000020);  // stopped in the second it started
  EXPECT_EQ(last.from, 1000020);
  EXPECT_EQ(last.until, 1000021);
}

TEST(Labels, KeyValueFromTheCommandLine) {
  auto label = parse_label("env=prod");
  ASSERT_TRUE(label.ok());
  EXPECT_EQ(label->first, "env");
  EXPECT_EQ(label->second, "prod");
  EXPECT_EQ(parse_label("region=eu=west")->second, "eu=west");
  EXPECT_EQ(parse_label("_x=")->second, "");
  for (const char* bad : {"env", "=prod", "1env=x", "e-nv=x", "e nv=x"}) {
    Result<std::pair<std::string, std::string>> parsed = parse_label(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("--label env=prod"), std::string::npos);
  }
}

// Three processes: two of the "api" unit (one of them 3.12), one in a container; each with one
// thread and its own stacks, one frame shared by all.
Profile three_processes() {
  ProfileBuilder builder;
  builder.profile().frequency_hz = 99;
  std::string container(64, 'c');
  uint32_t api1 = builder.process(1, {10, 10, "gunicorn", "3.11.2", "", "/system.slice/api.service", ""});
  uint32_t api2 = builder.process(2, {11, 11, "gunicorn", "3.12.1", "", "/system.slice/api.service", ""});
  uint32_t boxed = builder.process(3, {12, 1, "worker", "3.11.2", container, "/docker/x", ""});
  uint32_t shared = builder.location("main", "/srv/main.py", 1);
  uint32_t handle = builder.location("handle", "/srv/api.py", 7);
  uint32_t crunch = builder.location("crunch", "/srv/worker.py", 3);
  builder.add(builder.thread(api1, 10, "gunicorn"), {shared, handle}, StackEnd::kComplete, 5);
  builder.add(builder.thread(api2, 11, "gunicorn"), {shared, handle}, StackEnd::kComplete, 7);
  builder.add(builder.thread(boxed, 12, "worker"), {shared, crunch}, StackEnd::kPartial, 2);
  return builder.profile();
}

std::string leaf_of(const Profile& profile, const Sample& sample) {
  const Location& location = profile.locations[sample.locations.back()];
  return profile.strings[profile.functions[location.function].name];
}

TEST(ServiceSplit, EachServiceHoldsItsOwnProcessesAndNames) {
  std::vector<ServiceProfile> services = split_by_service(three_processes(), ServiceBy::kAuto, false);
  ASSERT_EQ(services.size(), 2u);  // sorted by service
  const ServiceProfile& api = services[0];
  const ServiceProfile& worker = services[1];
  EXPECT_EQ(api.service, "api");
  EXPECT_EQ(api.pid, 0);
  EXPECT_EQ(api.profile.total_samples(), 12u);
  EXPECT_EQ(api.profile.processes.size(), 2u);
  EXPECT_EQ(api.python_version, "") << "3.11 and 3.12: no one version";
  EXPECT_EQ(api.container_id, "");
  EXPECT_EQ(api.profile.frequency_hz, 99);
  ASSERT_EQ(api.profile.samples.size(), 2u);
  EXPECT_EQ(leaf_of(api.profile, api.profile.samples[0]), "handle");
  for (const Function& function : api.profile.functions) {
    EXPECT_NE(api.profile.strings[function.name], "crunch") << "another service's name";
  }
  EXPECT_EQ(worker.service, std::string(12, 'c'));
  EXPECT_EQ(worker.container_id, std::string(64, 'c'));
  EXPECT_EQ(worker.python_version, "3.11.2");
  ASSERT_EQ(worker.profile.samples.size(), 1u);
  EXPECT_EQ(worker.profile.samples[0].end, StackEnd::kPartial);
  EXPECT_EQ(leaf_of(worker.profile, worker.profile.samples[0]), "crunch");
}

TEST(ServiceSplit, PerProcessSplitsAServiceByPid) {
  std::vector<ServiceProfile> services = split_by_service(three_processes(), ServiceBy::kComm, true);
  ASSERT_EQ(services.size(), 3u);
  EXPECT_EQ(services[0].service, "gunicorn");
  EXPECT_EQ(services[0].pid, 10);
  EXPECT_EQ(services[0].profile.total_samples(), 5u);
  EXPECT_EQ(services[0].python_version, "3.11.2");
  EXPECT_EQ(services[1].pid, 11);
  EXPECT_EQ(services[1].profile.total_samples(), 7u);
  EXPECT_EQ(services[2].service, "worker");
}

TEST(AgentLabels, OwnLabelsThenTheCommandLines) {
  ServiceProfile slice;
  slice.service = "api";
  slice.pid = 10;
  slice.python_version = "3.11.2";
  AgentOptions options;
  options.host = "web-1";
  options.extra_labels = {{"env", "prod"}, {"host", "web-1.example"}};
  Labels expected = {{"service_name", "api"}, {"host", "web-1.example"}, {"pid", "10"},
                     {"python_version", "3.11.2"}, {"env", "prod"}};
  EXPECT_EQ(labels_of(slice, options), expected) << "no empty container_id; --label wins";
}

// A backend that keeps what it is given.
class KeepingSink : public Sink {
 public:
  Delivery deliver(const IntervalProfile& profile) override {
    std::lock_guard<std::mutex> lock(mutex);
    kept.push_back(profile);
    return {};
  }
  std::string name() const override { return "keeping"; }
  std::mutex mutex;
  std::vector<IntervalProfile> kept;
};

TEST(Agent, EachCutGivesEverySinkAProfilePerServiceForItsWindow) {
  auto sink = std::make_unique<KeepingSink>();
  KeepingSink& backend = *sink;
  Sender sender(std::move(sink), std::move(*Spool::open({1 << 20, "", 0})), {}, [](const std::string&) {});
  AgentOptions options;
  options.interval_seconds = 15;
  options.host = "web-1";
  Agent agent(options, {&sender}, 1000007);
  agent.keep_total();
  EXPECT_FALSE(agent.due(1000019));
  ASSERT_TRUE(agent.due(1000020));
  agent.cut(three_processes(), 1000021, false);
  agent.cut(three_processes(), 1000029, true);  // stopped: a short last interval
  sender.finish(std::chrono::milliseconds(60000));
  ASSERT_EQ(backend.kept.size(), 4u);
  EXPECT_EQ(agent.stats().intervals, 2u);
  EXPECT_EQ(agent.stats().profiles, 4u);
  EXPECT_EQ(agent.stats().samples, 28u);
  EXPECT_EQ(agent.total()->total_samples(), 28u);
  const IntervalProfile& api = backend.kept[0];
  EXPECT_EQ(api.service, "api");
  EXPECT_EQ(api.window.from, 1000007);
  EXPECT_EQ(api.window.until, 1000020);
  EXPECT_EQ(backend.kept[2].window.from, 1000020);
  EXPECT_EQ(backend.kept[2].window.until, 1000029);
  Labels labels = {{"service_name", "api"}, {"host", "web-1"}};
  EXPECT_EQ(api.labels, labels);
  perftools::profiles::Profile message;
  ASSERT_TRUE(message.ParseFromString(*gunzip(api.pprof_gz, 1 << 20)));
  EXPECT_EQ(message.time_nanos(), 1000007 * 1000000000LL);
  EXPECT_EQ(message.duration_nanos(), 13 * 1000000000LL);
  std::vector<std::string> comments;
  for (int64_t index : message.comment()) comments.push_back(message.string_table(index));
  EXPECT_EQ(comments, (std::vector<std::string>{"host=web-1", "service_name=api"}));
  int64_t samples = 0;
  for (const auto& sample : message.sample()) {
    samples += sample.value(0);
    EXPECT_EQ(sample.label_size(), 0) << "no process or thread labels: Pyroscope series";
  }
  EXPECT_EQ(samples, 12);
}

}  // namespace
}  // namespace stprof
