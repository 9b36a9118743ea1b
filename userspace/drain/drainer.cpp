#include "drain/drainer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

namespace stprof {
namespace {

// A sampler run is a few microseconds; after this long none still writes the old counts map.
constexpr auto kInFlightGrace = std::chrono::milliseconds(5);

// Entries read per lookup-and-delete batch of a counts map, to start with.
constexpr size_t kCountsBatch = 1024;

// Entries of the kernel's stacks map that a stack takes.
size_t chunks_of(const RawStack& stack) {
  return std::max<size_t>(1, (stack.frames.size() + STPROF_CHUNK_FRAMES - 1) / STPROF_CHUNK_FRAMES);
}

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
  if (batch_keys_.empty()) {
    batch_keys_.resize(kCountsBatch);
    batch_counts_.resize(kCountsBatch);
  }
  // One syscall per batch instead of three per entry. A hash map's batches end at bucket
  // boundaries: ENOSPC with nothing read means a bucket larger than the batch. On any other
  // error the rest stays in the map and is read the next time this map is drained.
  __u32 token = 0;
  bool first = true;
  for (;;) {
    __u32 read = static_cast<__u32>(batch_keys_.size());
    int err = bpf_map_lookup_and_delete_batch(fd, first ? nullptr : &token, &token, batch_keys_.data(),
                                              batch_counts_.data(), &read, nullptr);
    if (err == -ENOSPC && read == 0) {
      batch_keys_.resize(batch_keys_.size() * 2);
      batch_counts_.resize(batch_counts_.size() * 2);
      continue;
    }
    first = false;
    for (__u32 i = 0; i < read; i++) {
      const stprof_count_key& key = batch_keys_[i];
      if (batch_counts_[i] > 0) {
        samples.push_back({key.pid, key.tid, key.stack_id, key.kind, batch_counts_[i]});
      }
    }
    if (err) break;  // -ENOENT: that was the last batch
  }
  return samples;
}

const RawStack* Drainer::stack(__u64 stack_id) {
  if (const RawStack* copied = stacks_.find(stack_id)) return copied;
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
  return &stacks_.insert(stack_id, std::move(stack));
}

const RawStack* Drainer::stack_interned(__u64 stack_id) {
  const RawStack* copied = stack(stack_id);
  // A stack deleted by a trim and interned again is back in the map although already copied.
  if (copied) kernel_chunks_ += chunks_of(*copied);
  return copied;
}

void Drainer::trim_kernel_stacks() {
  stacks_.evict_to(kHeldStacks);
  size_t half = static_cast<size_t>(maps_.stacks_capacity) / 2;
  __u64 events_lost = read_counter(STPROF_EVENTS_LOST);
  bool count_unsure = events_lost != events_lost_at_trim_;
  events_lost_at_trim_ = events_lost;
  if (!count_unsure && kernel_chunks_ < half) return;
  std::vector<stprof_chunk_key> keys = map_keys<stprof_chunk_key>(maps_.stacks);
  kernel_chunks_ = keys.size();
  if (keys.size() < half) return;
  for (const stprof_chunk_key& key : keys) {
    // A stack whose copy was dropped (evict_to), or not made yet, is copied first: a count in
    // the counts maps may still name it. One still being interned is missing a chunk: left.
    if (!stacks_.contains(key.stack_id) && !stack(key.stack_id)) continue;
    if (bpf_map_delete_elem(maps_.stacks, &key) == 0) kernel_chunks_--;
  }
}

Counters Drainer::read_counters() const {
  Counters totals{};
  for (__u32 id = 0; id < STPROF_NUM_COUNTERS; id++) totals[id] = read_counter(id);
  // Every sample ends in one outcome; the sampler saves a map lookup by not counting the total.
  totals[STPROF_SAMPLES] = 0;
  for (__u32 id = STPROF_SAMPLES_RECORDED; id <= STPROF_EXIT_COUNT_MAP_FULL; id++) {
    totals[STPROF_SAMPLES] += totals[id];
  }
  return totals;
}

__u64 Drainer::read_counter(__u32 id) const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return 0;
  std::vector<__u64> per_cpu(static_cast<size_t>(cpus));
  if (bpf_map_lookup_elem(maps_.counters, &id, per_cpu.data()) != 0) return 0;
  __u64 total = 0;
  for (__u64 value : per_cpu) total += value;
  return total;
}

}  // namespace stprof
