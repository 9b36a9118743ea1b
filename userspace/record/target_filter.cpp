#include "record/target_filter.h"

#include <algorithm>
#include <sstream>

#include "util/files.h"

namespace stprof {
namespace {

bool any_search(const std::vector<std::regex>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&text](const std::regex& pattern) { return std::regex_search(text, pattern); });
}

bool under(const std::string& path, const std::string& directory) {
  if (directory == "/") return true;
  return path == directory ||
         (path.size() > directory.size() && path.compare(0, directory.size(), directory) == 0 &&
          path[directory.size()] == '/');
}

}  // namespace

bool TargetFilter::has_selectors() const {
  return !tree_roots.empty() || !comm.empty() || !exe.empty() || !containers.empty() ||
         !cgroups.empty();
}

bool TargetFilter::requested(int pid) const {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

bool TargetFilter::selects(const Candidate& c) const {
  if (!has_selectors()) return pids.empty();
  if (!tree_roots.empty() && !c.in_tree) return false;
  if (!comm.empty() && !any_search(comm, c.comm)) return false;
  if (!exe.empty() && !any_search(exe, c.exe)) return false;
  if (!containers.empty() &&
      std::none_of(containers.begin(), containers.end(), [&c](const std::string& prefix) {
        return !c.facts.container_id.empty() && c.facts.container_id.rfind(prefix, 0) == 0;
      })) {
    return false;
  }
  if (!cgroups.empty() &&
      std::none_of(cgroups.begin(), cgroups.end(),
                   [&c](const std::string& dir) { return !c.facts.cgroup.empty() && under(c.facts.cgroup, dir); })) {
    return false;
  }
  return true;
}

std::string normalize_cgroup_path(const std::string& path, const std::string& cgroup2_mount) {
  std::string result = path;
  if (!cgroup2_mount.empty() && under(path, cgroup2_mount)) result = path.substr(cgroup2_mount.size());
  while (result.size() > 1 && result.back() == '/') result.pop_back();
  if (result.empty() || result[0] != '/') result = "/" + result;
  return result;
}

std::string find_cgroup2_mount() {
  std::optional<std::string> mounts = read_text_file("/proc/self/mounts");
  if (!mounts) return "";
  std::istringstream lines(*mounts);
  std::string device, mount_point, type;
  std::string rest;
  while (lines >> device >> mount_point >> type) {
    std::getline(lines, rest);
    if (type == "cgroup2") return mount_point;
  }
  return "";
}

}  // namespace stprof
