// What the agent hands its sinks: one service's profile of one interval, rendered once.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "collate/profile.h"

namespace stprof {

// Sorted by key, each key once.
using Labels = std::map<std::string, std::string>;

// The stretch of time a profile covers, in whole Unix seconds.
struct Window {
  int64_t from = 0;   // inclusive
  int64_t until = 0;  // exclusive; > from
};

struct IntervalProfile {
  std::string service;
  Labels labels;  // service_name, host, pid, container_id, python_version, --label (see agent/agent.h)
  Window window;
  ProfileMode mode = ProfileMode::kCpu;
  std::string pprof_gz;  // the gzipped profile.proto message (render/pprof.h)
};

}  // namespace stprof
