// Samples merged into one top-down call tree (root: every sample; then the process, thread and
// marker levels the profile shows; then Python frames). The tree and flame graph renderers
// read it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "collate/profile.h"

namespace stprof {

struct CallNode {
  enum class Kind { kRoot, kProcess, kThread, kMarker, kFrame };
  Kind kind = Kind::kRoot;
  std::string name;    // as folded output names the frame
  // Profile::value summed (samples in CPU mode, nanoseconds in wall mode):
  uint64_t total = 0;  // of the samples with this node on their stack
  uint64_t self = 0;   // of the samples ending at this node
  std::vector<CallNode> children;
};

enum class ChildOrder {
  kByName,   // flame graphs: the same layout whatever the counts
  kByTotal,  // call tree: heaviest first, ties by name
};

CallNode build_call_tree(const Profile& profile, ChildOrder order);

}  // namespace stprof
