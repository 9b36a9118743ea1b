// Process lifecycle events from the kernel (exec, fork, exit), read from the ring buffer.
#pragma once

#include <linux/types.h>

#include <functional>
#include <memory>

#include "drain/sampler_maps.h"
#include "stprof_abi.h"
#include "util/result.h"

struct ring_buffer;

namespace stprof {

class EventReader {
 public:
  using Handler = std::function<void(const stprof_event&)>;
  static Result<EventReader> open(const SamplerMaps& maps, Handler handler);
  EventReader(EventReader&& other) noexcept;
  EventReader& operator=(EventReader&&) = delete;
  ~EventReader();

  // Waits up to `timeout_ms` for events and hands each to the handler. A signal ends the wait
  // early (so Ctrl-C is seen at once).
  void poll(int timeout_ms);

 private:
  explicit EventReader(Handler handler);
  static int on_event(void* context, void* data, size_t size);

  std::unique_ptr<Handler> handler_;  // stable address for the ring buffer callback
  ring_buffer* ring_ = nullptr;
};

}  // namespace stprof
