// Tests for sinks/: Pyroscope's name and URL, how HTTP statuses are taken, the backoff with its
// jitter, the spool (memory, then disk, across a restart, drops counted), the sender's retries
// against a fake backend, and the output directory's names and retention.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sinks/backoff.h"
#include "sinks/directory_sink.h"
#include "sinks/pyroscope_sink.h"
#include "sinks/sender.h"
#include "sinks/spool.h"

namespace stprof {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

IntervalProfile profile_of(const std::string& service, int64_t from, size_t body_bytes = 100) {
  IntervalProfile profile;
  profile.service = service;
  profile.labels = {{"service_name", service}, {"host", "h1"}};
  profile.window = {from, from + 15};
  profile.pprof_gz = std::string(body_bytes, static_cast<char>('a' + from % 26));
  return profile;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "stprof-sinks-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(PyroscopeName, AppKindAndSortedLabels) {
  Labels labels = {{"service_name", "api"}, {"host", "web-1"}, {"env", "prod"}, {"container_id", ""}};
  EXPECT_EQ(pyroscope_name("api", "cpu", labels), "api.cpu{env=prod,host=web-1,service_name=api}");
  EXPECT_EQ(pyroscope_name("api", "wall", {}), "api.wall{}");
  Labels odd = {{"service_name", "a b{c},d=e"}, {"note", "x\"y\xc3\xa9"}};
  EXPECT_EQ(pyroscope_name("a b{c},d=e", "cpu", odd), "a_b_c__d_e.cpu{note=x_y__,service_name=a_b_c__d_e}");
}

TEST(PyroscopeName, IngestUrlEncodesTheName) {
  IntervalProfile profile = profile_of("api", 1700000000);
  EXPECT_EQ(pyroscope_ingest_url("http://pyro:4040/", profile),
            "http://pyro:4040/ingest?name=api.cpu%7Bhost%3Dh1%2Cservice_name%3Dapi%7D"
            "&from=1700000000&until=1700000015&format=pprof&spyName=stprof-bpf");
  profile.mode = ProfileMode::kWall;
  EXPECT_NE(pyroscope_ingest_url("http://pyro:4040", profile).find("name=api.wall%7B"), std::string::npos);
}

TEST(PyroscopeStatus, RetryWhatMayPassRefuseWhatCannot) {
  EXPECT_EQ(outcome_of_status(200), Delivery::kDone);
  EXPECT_EQ(outcome_of_status(204), Delivery::kDone);
  EXPECT_EQ(outcome_of_status(429), Delivery::kRetry);
  EXPECT_EQ(outcome_of_status(408), Delivery::kRetry);
  EXPECT_EQ(outcome_of_status(500), Delivery::kRetry);
  EXPECT_EQ(outcome_of_status(503), Delivery::kRetry);
  EXPECT_EQ(outcome_of_status(400), Delivery::kRefused);
  EXPECT_EQ(outcome_of_status(401), Delivery::kRefused);
  EXPECT_EQ(outcome_of_status(413), Delivery::kRefused);
}

TEST(PyroscopeSink, BadUrlOrCredentialsAreErrorsThatSayWhatToFix) {
  auto bad_url = PyroscopeSink::create({"pyro:4040", "", "", "", std::chrono::seconds(1)});
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.error().message.find("not an http:// or https:// URL"), std::string::npos);
  auto missing = PyroscopeSink::create({"http://pyro:4040", "", "", "/nonexistent/token", std::chrono::seconds(1)});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--pyroscope-token-file /nonexistent/token: cannot read it"),
            std::string::npos);
}

TEST(Backoff, DoublesToTheCapWithinItsJitter) {
  BackoffPolicy policy{milliseconds(500), milliseconds(30000)};
  EXPECT_EQ(backoff_delay(policy, 1, 0.0), milliseconds(250));
  EXPECT_EQ(backoff_delay(policy, 1, 0.999999).count(), 499);
  EXPECT_EQ(backoff_delay(policy, 2, 0.0), milliseconds(500));
  EXPECT_EQ(backoff_delay(policy, 3, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(policy, 7, 0.0), milliseconds(15000)) << "500 x 2^6 capped at 30 s";
  EXPECT_EQ(backoff_delay(policy, 1000, 0.0), milliseconds(15000)) << "no overflow";
  for (int failures = 1; failures < 12; failures++) {
    for (double random : {0.0, 0.3, 0.7, 0.9999}) {
      milliseconds delay = backoff_delay(policy, failures, random);
      EXPECT_GE(delay, milliseconds(250));
      EXPECT_LT(delay, milliseconds(30000));
    }
  }
}

TEST(Spool, MemoryThenDiskInOrder) {
  TempDir dir;
  uint64_t one = Spool::weight(profile_of("s0", 0));  // as heavy as each of the five
  Result<Spool> spool = Spool::open({2 * one, dir.path(), 1 << 20});
  ASSERT_TRUE(spool.ok()) << spool.error().message;
  for (int i = 0; i < 3; i++) ASSERT_TRUE(spool->push(profile_of("s" + std::to_string(i), i)));
  EXPECT_EQ(spool->memory_bytes(), 2 * one);
  EXPECT_EQ(spool->disk_bytes(), 0u) << "push() leaves the disk to the sender's thread";
  EXPECT_TRUE(spool->has_staged());
  spool->write_staged();
  EXPECT_FALSE(spool->has_staged());
  EXPECT_GT(spool->disk_bytes(), 0u);
  for (int i = 3; i < 5; i++) {
    ASSERT_TRUE(spool->push(profile_of("s" + std::to_string(i), i))) << "behind those on disk";
    spool->write_staged();
  }
  EXPECT_EQ(spool->size(), 5u);
  for (int i = 0; i < 5; i++) {
    std::optional<IntervalProfile> front = spool->front();
    ASSERT_TRUE(front.has_value());
    EXPECT_EQ(front->service, "s" + std::to_string(i));
    EXPECT_EQ(front->window.from, i);
    EXPECT_EQ(front->labels.at("host"), "h1");
    EXPECT_EQ(front->pprof_gz, profile_of("x", i).pprof_gz);
    spool->pop();
  }
  EXPECT_TRUE(spool->empty());
  EXPECT_EQ(spool->disk_bytes(), 0u);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Spool, WhatFitsNowhereIsDroppedAndCounted) {
  uint64_t one = Spool::weight(profile_of("a", 0));
  Result<Spool> spool = Spool::open({2 * one, "", 0});
  ASSERT_TRUE(spool.ok());
  EXPECT_TRUE(spool->push(profile_of("a", 0)));
  EXPECT_TRUE(spool->push(profile_of("b", 1)));
  EXPECT_FALSE(spool->push(profile_of("c", 2)));
  EXPECT_EQ(spool->dropped(), 1u);
  EXPECT_NE(spool->last_error().find("the spool is full"), std::string::npos);
  EXPECT_EQ(spool->front()->service, "a") << "the oldest stay";
}

TEST(Spool, ARestartSendsWhatTheLastRunSpooledFirst) {
  TempDir dir;
  {
    Result<Spool> spool = Spool::open({1 << 20, dir.path(), 1 << 20});
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE(spool->push(profile_of("old", 1)));
    ASSERT_TRUE(spool->push(profile_of("older-run", 2)));
    EXPECT_EQ(spool->persist(), 2u);
  }
  Result<Spool> spool = Spool::open({1 << 20, dir.path(), 1 << 20});
  ASSERT_TRUE(spool.ok());
  ASSERT_EQ(spool->size(), 2u);
  ASSERT_TRUE(spool->push(profile_of("new", 3)));
  std::vector<std::string> order;
  while (std::optional<IntervalProfile> front = spool->front()) {
    order.push_back(front->service);
    spool->pop();
  }
  EXPECT_EQ(order, (std::vector<std::string>{"old", "older-run", "new"}));
}

TEST(Spool, ADiskLimitDropsTheNewest) {
  TempDir dir;
  uint64_t one = Spool::weight(profile_of("a", 0, 200));
  Result<Spool> spool = Spool::open({one, dir.path(), 2 * one + 30});  // one in memory, two on disk
  ASSERT_TRUE(spool.ok());
  for (const char* service : {"a", "b", "c"}) {
    EXPECT_TRUE(spool->push(profile_of(service, 0, 200))) << service;
    spool->write_staged();
  }
  EXPECT_FALSE(spool->push(profile_of("d", 0, 200)));
  EXPECT_EQ(spool->dropped(), 1u);
  EXPECT_NE(spool->last_error().find("--spool-size"), std::string::npos);
  EXPECT_EQ(spool->size(), 3u);
}

TEST(Spool, AnUnusableDirectoryIsAnError) {
  Result<Spool> spool = Spool::open({1, "/proc/stprof-spool", 1});
  ASSERT_FALSE(spool.ok());
  EXPECT_NE(spool.error().message.find("--spool-dir /proc/stprof-spool"), std::string::npos);
}

// A backend that fails its first `failures` deliveries, then takes every profile.
class FlakySink : public Sink {
 public:
  explicit FlakySink(int failures, Delivery::Outcome failure = Delivery::kRetry)
      : failures_(failures), failure_(failure) {}
  Delivery deliver(const IntervalProfile& profile) override {
    std::lock_guard<std::mutex> lock(mutex);
    attempts++;
    if (failures_ > 0) {
      failures_--;
      return {failure_, "HTTP 503"};
    }
    delivered.push_back(profile.service);
    changed.notify_all();
    return {};
  }
  std::string name() const override { return "flaky"; }

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> delivered;
  int attempts = 0;

 private:
  int failures_;
  Delivery::Outcome failure_;
};

TEST(Sender, RetriesInOrderUntilTheBackendTakesThem) {
  auto sink = std::make_unique<FlakySink>(3);
  FlakySink& backend = *sink;
  Result<Spool> spool = Spool::open({1 << 20, "", 0});
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  Sender sender(std::move(sink), std::move(*spool), {milliseconds(1), milliseconds(4)},
                [&](const std::string& line) {
                  std::lock_guard<std::mutex> lock(lines_mutex);
                  lines.push_back(line);
                });
  for (int i = 0; i < 4; i++) sender.offer(profile_of("s" + std::to_string(i), i));
  {
    std::unique_lock<std::mutex> lock(backend.mutex);
    backend.changed.wait(lock, [&] { return backend.delivered.size() == 4; });
  }
  sender.finish(milliseconds(0));
  EXPECT_EQ(backend.delivered, (std::vector<std::string>{"s0", "s1", "s2", "s3"}));
  EXPECT_EQ(backend.attempts, 7);
  SenderStats stats = sender.stats();
  EXPECT_EQ(stats.delivered, 4u);
  EXPECT_EQ(stats.failures, 3u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.queued, 0u);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "flaky: HTTP 503; retrying with backoff while profiles wait in the spool (4 queued)");
  EXPECT_EQ(lines[1], "flaky: delivering again after 3 failure(s)");
}

TEST(Sender, RefusedProfilesAreDroppedAndCounted) {
  auto sink = std::make_unique<FlakySink>(1, Delivery::kRefused);
  FlakySink& backend = *sink;
  Result<Spool> spool = Spool::open({1 << 20, "", 0});
  Sender sender(std::move(sink), std::move(*spool), {milliseconds(1), milliseconds(4)},
                [](const std::string&) {});
  sender.offer(profile_of("bad", 0));
  sender.offer(profile_of("good", 1));
  sender.finish(milliseconds(60000));  // returns once both were handled
  EXPECT_EQ(backend.delivered, (std::vector<std::string>{"good"}));
  EXPECT_EQ(sender.stats().refused, 1u);
  EXPECT_EQ(sender.stats().delivered, 1u);
}

TEST(Sender, WhatIsLeftAtTheEndGoesToTheSpoolDirectory) {
  TempDir dir;
  auto sink = std::make_unique<FlakySink>(1000000);  // down for good
  Result<Spool> spool = Spool::open({1 << 20, dir.path(), 1 << 20});
  Sender sender(std::move(sink), std::move(*spool), {milliseconds(1), milliseconds(2)},
                [](const std::string&) {});
  sender.offer(profile_of("a", 0));
  sender.offer(profile_of("b", 1));
  sender.finish(milliseconds(0));
  EXPECT_EQ(sender.stats().queued, 2u);
  EXPECT_EQ(sender.stats().dropped, 0u);
  Result<Spool> reopened = Spool::open({1 << 20, dir.path(), 1 << 20});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->size(), 2u);
  EXPECT_EQ(reopened->front()->service, "a");
}

TEST(DirectorySink, FileNamesSortByTime) {
  IntervalProfile profile = profile_of("api/v2 web", 1765152900);  // 2025-12-08 00:15:00 UTC
  EXPECT_EQ(profile_file_name(profile), "20251208T001500Z-api_v2_web.pb.gz");
  profile.labels["pid"] = "42";
  EXPECT_EQ(profile_file_name(profile), "20251208T001500Z-api_v2_web-p42.pb.gz");
  EXPECT_EQ(interval_start_of("20251208T001500Z-api_v2_web-p42.pb.gz"), 1765152900);
  EXPECT_FALSE(interval_start_of("20251208T001500Z-api.pb.gz.tmp-abc123").has_value());
  EXPECT_FALSE(interval_start_of("notes.txt").has_value());
  EXPECT_LT(profile_file_name(profile_of("z", 1765152900)), profile_file_name(profile_of("a", 1765152915)));
}

TEST(DirectorySink, RetentionByAgeThenBySize) {
  std::vector<SavedFile> files = {{"t0", 1000, 100}, {"t1", 1015, 100}, {"t2", 1030, 100}, {"t3", 1045, 100}};
  EXPECT_EQ(files_to_remove(files, {40, 0}, 1060), (std::vector<std::string>{"t1", "t0"}));
  EXPECT_EQ(files_to_remove(files, {0, 250}, 1060), (std::vector<std::string>{"t1", "t0"}));
  EXPECT_EQ(files_to_remove(files, {0, 10}, 1060), (std::vector<std::string>{"t2", "t1", "t0"}))
      << "the newest stays";
  EXPECT_TRUE(files_to_remove(files, {0, 0}, 1060).empty());
}

TEST(DirectorySink, WritesTheBodyAndAppliesRetention) {
  TempDir dir;
  DirectorySink sink(dir.path() + "/out", {0, 250});
  for (int i = 0; i < 4; i++) {
    ASSERT_EQ(sink.deliver(profile_of("api", 1765152900 + 15 * i)).outcome, Delivery::kDone);
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path() + "/out")) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"20251208T001530Z-api.pb.gz", "20251208T001545Z-api.pb.gz"}));
  EXPECT_EQ(fs::file_size(dir.path() + "/out/" + names[1]), 100u);
}

}  // namespace
}  // namespace stprof
