#include "discover/proc_list.h"

#include <dirent.h>

#include <charconv>
#include <memory>
#include <string_view>
#include <filesystem>

#include "util/files.h"

namespace stprof {

std::vector<int> list_pids(const std::string& proc_root) {
  // readdir rather than std::filesystem::directory_iterator, which stops at the first error
  // (processes come and go while /proc is listed) and would lose the rest of the list.
  std::vector<int> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(proc_root.c_str()), ::closedir);
  if (!dir) return pids;
  while (const dirent* entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    int pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec == std::errc() && end == name.data() + name.size() && pid > 0) pids.push_back(pid);
  }
  return pids;
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
