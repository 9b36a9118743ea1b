#include "drain/drainer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chrono>
#include <thread>

namespace stprof {
namespace {

// A sampler run is a few microseconds; after this long none still writes the old counts map.
constexpr auto kInFlightGrace = std::chrono::milliseconds(5);

// Every key of a hash map (keys inserted while iterating may or may not be seen).
template <class Key>
std::vector<Key> map_keys(int fd) {
  std::vector<Key> keys;
  Key key{};
  const Key* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, &key) == 0) {
    keys.push_back(key);
    previous = &keys.back();
  }
  return keys;
}

}  // namespace

std::vector<RawSample> Drainer::drain_counts() {
  __u32 drained = __atomic_load_n(&maps_.control->active_counts, __ATOMIC_RELAXED) & 1;
  __atomic_store_n(&maps_.control->active_counts, drained ^ 1, __ATOMIC_SEQ_CST);
  std::this_thread::sleep_for(kInFlightGrace);

  int fd = maps_.counts[drained];
  std::vector<RawSample> samples;
  for (const stprof_count_key& key : map_keys<stprof_count_key>(fd)) {
    __u64 count = 0;
    if (bpf_map_lookup_elem(fd, &key, &count) == 0 && count > 0) {
      samples.push_back({key.pid, key.tid, key.stack_id, count});
    }
    bpf_map_delete_elem(fd, &key);
  }
  return samples;
}

const RawStack* Drainer::stack(__u64 stack_id) {
  if (auto it = stacks_.find(stack_id); it != stacks_.end()) return &it->second;
  stprof_chunk_key key{};
  key.stack_id = stack_id;
  stprof_chunk chunk{};
  if (bpf_map_lookup_elem(maps_.stacks, &key, &chunk) != 0) return nullptr;
  RawStack stack;
  stack.flags = chunk.flags;
  __u32 depth = chunk.depth > STPROF_MAX_DEPTH ? STPROF_MAX_DEPTH : chunk.depth;
  stack.frames.reserve(depth);
  for (__u32 i = 0; i < depth; i++) {
    __u32 slot = i % STPROF_CHUNK_FRAMES;
    if (slot == 0 && i > 0) {
      key.chunk = i / STPROF_CHUNK_FRAMES;
      if (bpf_map_lookup_elem(maps_.stacks, &key, &chunk) != 0) return nullptr;
    }
    stack.frames.push_back(chunk.frames[slot]);
  }
  return &stacks_.emplace(stack_id, std::move(stack)).first->second;
}

void Drainer::trim_kernel_stacks() {
  std::vector<stprof_chunk_key> keys = map_keys<stprof_chunk_key>(maps_.stacks);
  if (keys.size() < static_cast<size_t>(maps_.stacks_capacity) / 2) return;
  for (const stprof_chunk_key& key : keys) {
    if (stacks_.count(key.stack_id)) bpf_map_delete_elem(maps_.stacks, &key);
  }
}

Counters Drainer::read_counters() const {
  Counters totals{};
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return totals;
  std::vector<__u64> per_cpu(static_cast<size_t>(cpus));
  for (__u32 id = 0; id < STPROF_NUM_COUNTERS; id++) {
    if (bpf_map_lookup_elem(maps_.counters, &id, per_cpu.data()) != 0) continue;
    for (__u64 value : per_cpu) totals[id] += value;
  }
  // Every sample ends in one outcome; the sampler saves a map lookup by not counting the total.
  totals[STPROF_SAMPLES] = 0;
  for (__u32 id = STPROF_SAMPLES_RECORDED; id <= STPROF_EXIT_COUNT_MAP_FULL; id++) {
    totals[STPROF_SAMPLES] += totals[id];
  }
  return totals;
}

}  // namespace stprof
