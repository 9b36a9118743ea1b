#include "drain/events.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/files.h"

namespace stprof {

EventReader::EventReader() : polling_(std::make_unique<const Handler*>(nullptr)) {}

EventReader::EventReader(EventReader&& other) noexcept
    : polling_(std::move(other.polling_)), ring_(std::exchange(other.ring_, nullptr)) {}

EventReader::~EventReader() {
  if (ring_) ring_buffer__free(ring_);
}

Result<EventReader> EventReader::open(const SamplerMaps& maps) {
  EventReader reader;
  reader.ring_ = ring_buffer__new(maps.events, on_event, reader.polling_.get(), nullptr);
  if (!reader.ring_) return make_error("cannot open the process event ring buffer: " + errno_text(errno));
  return reader;
}

int EventReader::on_event(void* context, void* data, size_t size) {
  if (size < sizeof(stprof_event)) return 0;
  stprof_event event;
  std::memcpy(&event, data, sizeof(event));
  (**static_cast<const Handler**>(context))(event);
  return 0;
}

void EventReader::poll(int timeout_ms, const Handler& handler) {
  *polling_ = &handler;
  ring_buffer__poll(ring_, timeout_ms);
  *polling_ = nullptr;
}

}  // namespace stprof
