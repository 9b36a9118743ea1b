// What every reader of a saved profile adds to: the model (collate/profile.h) built from what a
// file says, and nothing it does not say. A level the file does not name (no process, no thread)
// is the model's merged entry with id 0 (render/frames.h), never an invented id; a frame without
// a line has line 0, one without a file an empty file name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "collate/profile.h"
#include "render/frames.h"
#include "util/result.h"

namespace stprof {

// The process and thread levels at the root of a stack as folded output (or a speedscope
// profile's name) writes them: ["container:ID"] "comm (pid)" ["name (tid)"]. A lone
// "name (N)" is read as a process: the two levels look alike, and --no-thread output is
// where one stands alone (--merged output, whose lone level is threads, converts back to the
// same text either way).
struct StackLevels {
  std::optional<ProcessInfo> process;  // container_id set from a container frame
  std::optional<ThreadInfo> thread;
  size_t frames = 0;  // how many leading frames named them
};
StackLevels read_stack_levels(std::span<const std::string_view> frames);

class SavedProfileBuilder {
 public:
  // Files hold at most this much in all: pprof stores values as int64, and the renderers add
  // them up.
  static constexpr uint64_t kMaxTotal = INT64_MAX;
  // At most this many frames in all stacks together: a small hostile file (a pprof location of
  // many inlined lines, used by many samples) must not make a huge model.
  static constexpr uint64_t kMaxFrames = uint64_t{1} << 26;

  // `sample_period_ns`: what one on-CPU sample stands for, when the file says (0 otherwise), so
  // that the limit holds for the nanoseconds the renderers compute from counts too.
  explicit SavedProfileBuilder(uint64_t sample_period_ns = 0) : period_(sample_period_ns) {}

  uint32_t thread(const StackLevels& levels);
  uint32_t location(const LocationParts& parts) {
    return builder_.location(parts.function, parts.file, parts.line);
  }
  // Adds a stack's values (see ProfileBuilder::add); an error when the limits above are passed.
  Result<void> add(uint32_t thread, std::vector<uint32_t> root_first, StackEnd end, uint64_t count,
                   uint64_t off_cpu_ns = 0);
  Profile finish(ProfileMode mode, int frequency_hz, double duration_seconds);

 private:
  ProfileBuilder builder_;
  // Processes by (pid, ns pid, comm, container id): the same process in two files is one.
  std::map<std::tuple<int, int, std::string, std::string>, uint64_t> process_ids_;
  uint64_t period_;
  uint64_t total_ = 0;
  uint64_t frames_ = 0;
};

}  // namespace stprof
