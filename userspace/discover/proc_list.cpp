#include "discover/proc_list.h"

#include <dirent.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <memory>
#include <string_view>

#include "util/files.h"

namespace stprof {

namespace {

// The numeric entries of a procfs directory. readdir rather than
// std::filesystem::directory_iterator, which stops at the first error (processes come and go
// while /proc is listed) and would lose the rest of the list.
std::vector<int> numeric_entries(const std::string& directory) {
  std::vector<int> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), ::closedir);
  if (!dir) return pids;
  while (const dirent* entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    int pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec == std::errc() && end == name.data() + name.size() && pid > 0) pids.push_back(pid);
  }
  return pids;
}

}  // namespace

std::vector<int> list_pids(const std::string& proc_root) { return numeric_entries(proc_root); }

std::vector<int> list_tids(int pid, const std::string& proc_root) {
  return numeric_entries(proc_root + "/" + std::to_string(pid) + "/task");
}

std::vector<int> processes_in_trees(const std::vector<int>& roots, const std::string& proc_root) {
  if (roots.empty()) return {};
  std::map<int, int> parents;
  for (int pid : list_pids(proc_root)) {
    if (std::optional<ProcStat> stat = read_proc_stat(pid, proc_root)) parents[pid] = stat->ppid;
  }
  std::vector<int> members;
  for (const auto& [pid, ppid] : parents) {
    for (int ancestor = pid, hops = 0; ancestor > 0 && hops < 4096; hops++) {
      if (std::find(roots.begin(), roots.end(), ancestor) != roots.end()) {
        members.push_back(pid);
        break;
      }
      auto parent = parents.find(ancestor);
      ancestor = parent == parents.end() ? 0 : parent->second;
    }
  }
  return members;
}

std::optional<ProcStat> read_proc_stat(int pid, const std::string& proc_root) {
  std::optional<std::string> text = read_text_file(proc_root + "/" + std::to_string(pid) + "/stat");
  return text ? parse_proc_stat(*text) : std::nullopt;
}

std::string read_exe_link(int pid, const std::string& proc_root) {
  std::error_code error;
  std::filesystem::path target =
      std::filesystem::read_symlink(proc_root + "/" + std::to_string(pid) + "/exe", error);
  return error ? std::string() : target.string();
}

std::string thread_name(int pid, int tid, const std::string& proc_root) {
  std::optional<std::string> comm = read_text_file(proc_root + "/" + std::to_string(pid) + "/task/" +
                                                   std::to_string(tid) + "/comm");
  if (!comm) return "";
  while (!comm->empty() && comm->back() == '\n') comm->pop_back();
  return *comm;
}

}  // namespace stprof
