#include "agent/service.h"


namespace stprof {
namespace {

constexpr std::string_view kServiceSuffix = ".service";
constexpr size_t kShortContainerId = 12;  // as `docker ps` shows it

bool is_user_manager(std::string_view unit) {
  if (unit.substr(0, 5) != "user@") return false;
  std::string_view uid = unit.substr(5);
  return !uid.empty() && uid.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string file_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<ServiceBy> parse_service_by(std::string_view name) {
  if (name == "auto") return ServiceBy::kAuto;
  if (name == "container") return ServiceBy::kContainer;
  if (name == "cgroup") return ServiceBy::kCgroup;
  if (name == "comm") return ServiceBy::kComm;
  if (name == "exe") return ServiceBy::kExe;
  return std::nullopt;
}

std::string systemd_service(std::string_view cgroup_path) {
  std::string found;
  size_t start = 0;
  while (start <= cgroup_path.size()) {
    size_t end = cgroup_path.find('/', start);
    if (end == std::string_view::npos) end = cgroup_path.size();
    std::string_view component = cgroup_path.substr(start, end - start);
    if (component.size() > kServiceSuffix.size() &&
        component.substr(component.size() - kServiceSuffix.size()) == kServiceSuffix) {
      std::string_view unit = component.substr(0, component.size() - kServiceSuffix.size());
      found = is_user_manager(unit) ? "" : std::string(unit);
    }
    start = end + 1;
  }
  return found;
}

std::string service_of(const ProcessInfo& process, ServiceBy by) {
  std::string container = process.container_id.substr(0, kShortContainerId);
  switch (by) {
    case ServiceBy::kAuto:
      if (!container.empty()) return container;
      if (std::string unit = systemd_service(process.cgroup); !unit.empty()) return unit;
      break;
    case ServiceBy::kContainer:
      return container.empty() ? "host" : container;
    case ServiceBy::kCgroup:
      return process.cgroup.empty() ? "unknown" : process.cgroup;
    case ServiceBy::kExe:
      if (!process.exe.empty()) return file_name(process.exe);
      break;
    case ServiceBy::kComm:
      break;
  }
  return process.comm.empty() ? "unknown" : process.comm;
}

}  // namespace stprof
