#include "discover/python_process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "discover/proc_maps.h"
#include "discover/proc_stat.h"
#include "discover/runtime_address.h"
#include "util/files.h"
#include "util/open_in_root.h"

namespace stprof {
namespace {

std::string describe(int pid, const std::string& comm) {
  return "PID " + std::to_string(pid) + " (" + comm + ")";
}

std::string read_link(const std::string& path) {
  char buffer[4096];
  ssize_t n = ::readlink(path.c_str(), buffer, sizeof(buffer));
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

bool named_like_python(const std::string& path) {
  return path.find("python", path.rfind('/') + 1) != std::string::npos;
}

// The mapped file itself (/proc/PID/map_files needs no path walk, so chroots and other mount
// namespaces work); else the path inside the process's root.
Result<UniqueFd> open_mapped_file(const std::string& process_dir, const Mapping& mapping) {
  char range[64];
  std::snprintf(range, sizeof(range), "%lx-%lx", static_cast<unsigned long>(mapping.start),
                static_cast<unsigned long>(mapping.end));
  UniqueFd fd(::open((process_dir + "/map_files/" + range).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.valid()) return fd;
  return open_in_root(process_dir + "/root", mapping.path);
}

}  // namespace

stprof_process PythonProcess::walker() const {
  stprof_process walker = layout.walker;
  walker.interpreters_head_addr = runtime_address + layout.runtime_interpreters_head;
  return walker;
}

Result<std::optional<PythonProcess>> inspect_process(int pid, PythonBinaryCache& binaries,
                                                     const std::string& proc_root) {
  std::string dir = proc_root + "/" + std::to_string(pid);
  std::optional<std::string> stat_text = read_text_file(dir + "/stat");
  std::optional<ProcStat> stat = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;
  if (!stat) return make_error("no process with PID " + std::to_string(pid));
  std::string who = describe(pid, stat->comm);

  std::optional<std::string> maps_text = read_text_file(dir + "/maps");
  if (!maps_text) {
    return make_error("cannot read the memory map of " + who + ": " + errno_text(errno));
  }
  std::vector<Mapping> mappings = parse_maps(*maps_text);
  std::string exe = read_link(dir + "/exe");

  std::vector<std::string> tried;
  std::optional<Error> failure;
  for (const Mapping& mapping : mappings) {
    const std::string& path = mapping.path;
    if (mapping.inode == 0 || path.empty() || (path != exe && !named_like_python(path))) continue;
    bool seen = false;
    for (const std::string& t : tried) seen = seen || t == path;
    if (seen) continue;
    tried.push_back(path);

    Result<UniqueFd> fd = open_mapped_file(dir, mapping);
    if (!fd) {
      failure = make_error("cannot open " + path + " of " + who + ": " + fd.error().message);
      continue;
    }
    Result<std::optional<PythonBinary>> binary = binaries.analyse(std::move(*fd), path);
    if (!binary) {
      failure = make_error(who + ": " + binary.error().message);
      continue;
    }
    if (!binary->has_value()) continue;

    std::vector<Mapping> file_mappings;
    for (const Mapping& m : mappings) {
      if (m.path == path && m.inode == mapping.inode) file_mappings.push_back(m);
    }
    const PythonBinary& python = **binary;
    std::optional<uint64_t> address =
        runtime_address(python.segments, file_mappings, python.runtime_vaddr);
    if (!address) return make_error(who + ": _PyRuntime of " + path + " is not mapped");
    if (!python.version) {
      return make_error(who + ": cannot tell the CPython version of " + path);
    }
    Result<CPythonLayout> layout = layout_for(*python.version);
    if (!layout) return make_error(who + " runs " + layout.error().message);

    PythonProcess process;
    process.pid = pid;
    process.start_time = stat->start_time;
    process.comm = stat->comm;
    process.binary = path;
    process.version = *python.version;
    process.runtime_address = *address;
    process.layout = *layout;
    return std::optional<PythonProcess>(std::move(process));
  }
  if (failure) return *failure;
  return std::optional<PythonProcess>();
}

}  // namespace stprof
