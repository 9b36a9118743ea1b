// What procfs says about where a process lives: its cgroup, container and PID namespace.
#pragma once

#include <string>
#include <string_view>

namespace stprof {

struct ProcessFacts {
  std::string cgroup;        // cgroup v2 path ("/system.slice/x.scope"); "" when unknown
  std::string container_id;  // 64 hex digits (Docker, containerd, CRI-O, podman, Kubernetes); "" if none
  int ns_pid = 0;            // PID inside the process's own PID namespace (the innermost NSpid)
};

ProcessFacts read_process_facts(int pid, const std::string& proc_root = "/proc");

// The "0::<path>" line of /proc/PID/cgroup; "" without one.
std::string cgroup_v2_path(std::string_view cgroup_file);
// The last 64-hex path component of any /proc/PID/cgroup line, bare or as docker-<id>.scope,
// crio-<id>.scope, libpod-<id>.scope, cri-containerd-<id>.scope.
std::string container_id_from_cgroup(std::string_view cgroup_file);
// The last field of the "NSpid:" line of /proc/PID/status; 0 without one.
int ns_pid_from_status(std::string_view status_file);

}  // namespace stprof
