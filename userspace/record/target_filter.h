// Which processes to profile. The decision is made in userspace when a process is found (at
// start, at exec, at fork); the kernel then drops every other task's samples at the cost of one
// lookup in the `processes` map.
//
//  - `pids` (-p) are profiled whatever the other filters say; a bad one is an error to report.
//  - without any filter, every Python process is profiled (--all-python);
//  - with selectors (--pid-tree, --comm, --exe, --container, --cgroup), a Python process is
//    profiled when it passes every kind of selector given (values of one kind are alternatives).
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "discover/process_facts.h"

namespace stprof {

struct Candidate {
  int pid = 0;
  std::string comm;
  std::string exe;
  ProcessFacts facts;
  bool in_tree = false;  // a --pid-tree root or one of its descendants
};

struct TargetFilter {
  std::vector<int> pids;
  std::vector<int> tree_roots;
  std::vector<std::regex> comm;
  std::vector<std::regex> exe;
  std::vector<std::string> containers;  // container id prefixes
  std::vector<std::string> cgroups;     // cgroup v2 paths, relative to the cgroup2 mount

  bool has_selectors() const;
  // Whether processes that appear during the run can be targets.
  bool watches_new_processes() const { return pids.empty() || has_selectors(); }
  // Whether every target is a -p process or in a --pid-tree, so sampling their threads (and what
  // they start) is enough, and the rest of the host need not be interrupted at all.
  bool confined_to_named_processes() const {
    return !tree_roots.empty() || (!pids.empty() && !has_selectors());
  }
  bool requested(int pid) const;
  // Whether a Python process not named with -p is selected.
  bool selects(const Candidate& candidate) const;
};

// "/sys/fs/cgroup/unified/a/b" (a path under the cgroup2 mount) or "/a/b" -> "/a/b".
std::string normalize_cgroup_path(const std::string& path, const std::string& cgroup2_mount);
// Where cgroup2 is mounted ("" when it is not), from /proc/self/mounts.
std::string find_cgroup2_mount();

}  // namespace stprof
