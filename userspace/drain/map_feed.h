// The SampleFeed of the loaded sampler: its ring buffer of events and its maps.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "drain/drainer.h"
#include "drain/events.h"
#include "drain/sampler_maps.h"
#include "record/sample_feed.h"
#include "util/result.h"

namespace stprof {

class MapFeed final : public SampleFeed {
 public:
  static Result<std::unique_ptr<MapFeed>> open(const SamplerMaps& maps) {
    Result<EventReader> events = EventReader::open(maps);
    if (!events) return events.error();
    return std::unique_ptr<MapFeed>(new MapFeed(Drainer(maps), std::move(*events)));
  }

  void poll_events(int timeout_ms, const EventHandler& handler) override {
    events_.poll(timeout_ms, handler);
  }
  std::vector<RawSample> drain_counts() override { return drainer_.drain_counts(); }
  const RawStack* stack(__u64 stack_id) override { return drainer_.stack(stack_id); }
  const RawStack* stack_interned(__u64 stack_id) override { return drainer_.stack_interned(stack_id); }
  void trim_kernel_stacks() override { drainer_.trim_kernel_stacks(); }
  size_t held_stacks() const override { return drainer_.held_stacks(); }
  Counters read_counters() const override { return drainer_.read_counters(); }

 private:
  MapFeed(Drainer drainer, EventReader events)
      : drainer_(std::move(drainer)), events_(std::move(events)) {}

  Drainer drainer_;
  EventReader events_;
};

}  // namespace stprof
