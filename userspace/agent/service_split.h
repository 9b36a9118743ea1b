// One interval's profile cut into one profile per service (and per process with
// --per-process), each holding only its own processes, threads, stacks and names.
#pragma once

#include <string>
#include <vector>

#include "agent/service.h"
#include "collate/profile.h"

namespace stprof {

struct ServiceProfile {
  std::string service;
  int pid = 0;                 // split per process: the process's host PID; else 0
  std::string container_id;    // the one every process of it runs in; "" when none or several
  std::string python_version;  // the one every process of it runs; "" when several
  Profile profile;             // same rate and mode as the whole; duration left to the caller
};

// Sorted by service, then PID. A service appears only with samples.
std::vector<ServiceProfile> split_by_service(const Profile& profile, ServiceBy by, bool per_process);

}  // namespace stprof
