// Which service a profiled process belongs to (--service-by): the unit the agent cuts one
// profile per interval for.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "collate/profile.h"

namespace stprof {

enum class ServiceBy {
  kAuto,       // the container when there is one, else the systemd unit, else comm (default)
  kContainer,  // the container id (12 hex digits), else "host"
  kCgroup,     // the cgroup v2 path, else "unknown"
  kComm,       // the process name
  kExe,        // the executable's file name ("python3.11"), else comm
};

// "auto", "container", "cgroup", "comm", "exe"; nullopt for anything else.
std::optional<ServiceBy> parse_service_by(std::string_view name);

// The systemd service a cgroup v2 path is in: its deepest "NAME.service" component, without the
// suffix ("/system.slice/nginx.service" -> "nginx", "/system.slice/app@2.service/worker" ->
// "app@2"). The user managers ("user@1000.service") hold a user's own units and sessions, not a
// service of their own: what runs under one counts only through a deeper unit. "" when none.
std::string systemd_service(std::string_view cgroup_path);

// The service of a process, never empty.
std::string service_of(const ProcessInfo& process, ServiceBy by);

}  // namespace stprof
