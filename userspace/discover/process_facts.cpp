#include "discover/process_facts.h"

#include <cctype>
#include <charconv>

#include "util/files.h"

namespace stprof {
namespace {

bool is_container_id(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// "docker-<id>.scope" -> "<id>"; a bare component stays as it is.
std::string_view strip_runtime_decoration(std::string_view component) {
  constexpr std::string_view kScope = ".scope";
  if (component.size() > kScope.size() && component.substr(component.size() - kScope.size()) == kScope) {
    component.remove_suffix(kScope.size());
  }
  size_t dash = component.rfind('-');
  if (dash != std::string_view::npos && component.size() - dash - 1 == 64) component.remove_prefix(dash + 1);
  return component;
}

}  // namespace

std::string cgroup_v2_path(std::string_view cgroup_file) {
  while (!cgroup_file.empty()) {
    size_t newline = cgroup_file.find('\n');
    std::string_view line = cgroup_file.substr(0, newline);
    cgroup_file.remove_prefix(newline == std::string_view::npos ? cgroup_file.size() : newline + 1);
    if (line.substr(0, 3) == "0::") return std::string(line.substr(3));
  }
  return "";
}

std::string container_id_from_cgroup(std::string_view cgroup_file) {
  std::string found;
  size_t begin = 0;
  while (begin < cgroup_file.size()) {
    size_t end = cgroup_file.find_first_of("/\n:", begin);
    if (end == std::string_view::npos) end = cgroup_file.size();
    std::string_view id = strip_runtime_decoration(cgroup_file.substr(begin, end - begin));
    if (is_container_id(id)) found = std::string(id);
    begin = end + 1;
  }
  return found;
}

int ns_pid_from_status(std::string_view status_file) {
  size_t at = status_file.find("\nNSpid:");
  if (at == std::string_view::npos) return 0;
  std::string_view line = status_file.substr(at + 7);
  line = line.substr(0, line.find('\n'));
  size_t last = line.find_last_of(" \t");
  std::string_view field = last == std::string_view::npos ? line : line.substr(last + 1);
  int pid = 0;
  std::from_chars(field.data(), field.data() + field.size(), pid);
  return pid;
}

ProcessFacts read_process_facts(int pid, const std::string& proc_root) {
  std::string dir = proc_root + "/" + std::to_string(pid);
  ProcessFacts facts;
  if (std::optional<std::string> cgroup = read_text_file(dir + "/cgroup")) {
    facts.cgroup = cgroup_v2_path(*cgroup);
    facts.container_id = container_id_from_cgroup(*cgroup);
  }
  if (std::optional<std::string> status = read_text_file(dir + "/status")) {
    facts.ns_pid = ns_pid_from_status(*status);
  }
  return facts;
}

}  // namespace stprof
