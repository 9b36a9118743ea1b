// Process lifecycle events from the kernel (exec, fork, exit, new stacks), read from the ring
// buffer.
#pragma once

#include <memory>

#include "drain/sampler_maps.h"
#include "record/sample_feed.h"
#include "util/result.h"

struct ring_buffer;

namespace stprof {

class EventReader {
 public:
  using Handler = SampleFeed::EventHandler;
  static Result<EventReader> open(const SamplerMaps& maps);
  EventReader(EventReader&& other) noexcept;
  EventReader& operator=(EventReader&&) = delete;
  ~EventReader();

  // Waits up to `timeout_ms` for events and hands each to `handler`. A signal ends the wait
  // early (so Ctrl-C is seen at once).
  void poll(int timeout_ms, const Handler& handler);

 private:
  EventReader();
  static int on_event(void* context, void* data, size_t size);

  // The handler of the poll under way, at an address that stays put for the ring buffer's
  // callback when the reader moves.
  std::unique_ptr<const Handler*> polling_;
  ring_buffer* ring_ = nullptr;
};

}  // namespace stprof
