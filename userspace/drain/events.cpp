#include "drain/events.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/files.h"

namespace stprof {

EventReader::EventReader(Handler handler) : handler_(std::make_unique<Handler>(std::move(handler))) {}

EventReader::EventReader(EventReader&& other) noexcept
    : handler_(std::move(other.handler_)), ring_(std::exchange(other.ring_, nullptr)) {}

EventReader::~EventReader() {
  if (ring_) ring_buffer__free(ring_);
}

Result<EventReader> EventReader::open(const SamplerMaps& maps, Handler handler) {
  EventReader reader(std::move(handler));
  reader.ring_ = ring_buffer__new(maps.events, on_event, reader.handler_.get(), nullptr);
  if (!reader.ring_) return make_error("cannot open the process event ring buffer: " + errno_text(errno));
  return reader;
}

int EventReader::on_event(void* context, void* data, size_t size) {
  if (size < sizeof(stprof_event)) return 0;
  stprof_event event;
  std::memcpy(&event, data, sizeof(event));
  (*static_cast<Handler*>(context))(event);
  return 0;
}

void EventReader::poll(int timeout_ms) { ring_buffer__poll(ring_, timeout_ms); }

}  // namespace stprof
