#include "collate/profile.h"

namespace stprof {

uint64_t Profile::total_samples() const {
  uint64_t total = 0;
  for (const Sample& sample : samples) total += sample.count;
  return total;
}

uint64_t Profile::sample_period_ns() const {
  return frequency_hz > 0 ? 1000000000ULL / static_cast<uint64_t>(frequency_hz) : 0;
}

uint64_t Profile::value(const Sample& sample) const {
  return mode == ProfileMode::kWall ? cpu_ns(sample) + sample.off_cpu_ns : sample.count;
}

uint64_t Profile::total_value() const {
  uint64_t total = 0;
  for (const Sample& sample : samples) total += value(sample);
  return total;
}

std::string off_cpu_label(const std::string& reason) { return "[off-CPU: " + reason + "]"; }

ProfileBuilder::ProfileBuilder() { string(""); }

uint32_t ProfileBuilder::string(const std::string& text) {
  auto [it, inserted] = strings_.emplace(text, static_cast<uint32_t>(profile_.strings.size()));
  if (inserted) profile_.strings.push_back(text);
  return it->second;
}

uint32_t ProfileBuilder::process(uint64_t identity, const ProcessInfo& info) {
  auto [it, inserted] =
      processes_.emplace(identity, static_cast<uint32_t>(profile_.processes.size()));
  if (inserted) profile_.processes.push_back(info);
  return it->second;
}

uint32_t ProfileBuilder::thread(uint32_t process, int tid, const std::string& name) {
  auto [it, inserted] =
      threads_.emplace(std::make_pair(process, tid), static_cast<uint32_t>(profile_.threads.size()));
  if (inserted) profile_.threads.push_back({process, tid, name});
  return it->second;
}

uint32_t ProfileBuilder::location(const std::string& function, const std::string& file, int line) {
  auto function_key = std::make_pair(string(function), string(file));
  auto [fit, fnew] =
      functions_.emplace(function_key, static_cast<uint32_t>(profile_.functions.size()));
  if (fnew) profile_.functions.push_back({function_key.first, function_key.second});
  auto [lit, lnew] = locations_.emplace(std::make_pair(fit->second, line),
                                        static_cast<uint32_t>(profile_.locations.size()));
  if (lnew) profile_.locations.push_back({fit->second, line});
  return lit->second;
}

void ProfileBuilder::add(uint32_t thread, std::vector<uint32_t> root_first, StackEnd end,
                         uint64_t count, uint64_t off_cpu_ns) {
  auto key = std::make_tuple(thread, root_first, end);
  if (auto it = samples_.find(key); it != samples_.end()) {
    profile_.samples[it->second].count += count;
    profile_.samples[it->second].off_cpu_ns += off_cpu_ns;
    return;
  }
  samples_.emplace(std::move(key), profile_.samples.size());
  profile_.samples.push_back({thread, std::move(root_first), end, count, off_cpu_ns});
}

}  // namespace stprof
