#include "discover/python_process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "cpython/debug_offsets.h"
#include "discover/proc_list.h"
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

bool named_like_python(const std::string& path) {
  return path.find("python", path.rfind('/') + 1) != std::string::npos;
}

// The mapped file itself (see map_files_path); else the path inside the process's root.
Result<UniqueFd> open_mapped_file(const std::string& process_dir, const Mapping& mapping) {
  UniqueFd fd(::open(map_files_path(process_dir, mapping).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.valid()) return fd;
  return open_in_root(process_dir + "/root", mapping.path);
}

}  // namespace

stprof_process PythonProcess::walker() const {
  stprof_process walker = layout.walker;
  walker.interpreters_head_addr = runtime_address + layout.runtime_interpreters_head;
  walker.gil_addr = layout.runtime_gil ? runtime_address + layout.runtime_gil : 0;
  return walker;
}

ProcessInspection inspect_process(int pid, PythonBinaryCache& binaries,
                                  const std::string& proc_root) {
  using Status = ProcessInspection::Status;
  ProcessInspection result;
  auto fail = [&result](Status status, std::string message) {
    result.status = status;
    result.message = std::move(message);
    return result;
  };
  std::string dir = proc_root + "/" + std::to_string(pid);
  std::optional<std::string> stat_text = read_text_file(dir + "/stat");
  std::optional<ProcStat> stat = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;
  if (!stat) return fail(Status::kGone, "no process with PID " + std::to_string(pid));
  result.comm = stat->comm;
  result.start_time = stat->start_time;
  result.vsize = stat->vsize;
  result.exe = read_exe_link(pid, proc_root);
  std::string who = describe(pid, stat->comm);
  if (stat->state == 'Z' || stat->state == 'X') {
    return fail(Status::kGone, who + " has exited (its parent has not reaped it yet)");
  }

  std::optional<std::string> maps_text = read_text_file(dir + "/maps");
  if (!maps_text) {
    return fail(Status::kUnreadable,
                "cannot read the memory map of " + who + ": " + errno_text(errno));
  }
  std::vector<Mapping> mappings = parse_maps(*maps_text);

  std::vector<std::string> tried;
  for (const Mapping& mapping : mappings) {
    const std::string& path = mapping.path;
    if (mapping.inode == 0 || path.empty() || (path != result.exe && !named_like_python(path))) {
      continue;
    }
    bool seen = false;
    for (const std::string& t : tried) seen = seen || t == path;
    if (seen) continue;
    tried.push_back(path);

    Result<UniqueFd> fd = open_mapped_file(dir, mapping);
    if (!fd) {
      return fail(Status::kUnreadable, "cannot open " + path + " of " + who + ": " + fd.error().message);
    }
    Result<BinaryAnalysis> analysis = binaries.analyse(std::move(*fd), path);
    if (!analysis) return fail(Status::kUnreadable, who + ": " + analysis.error().message);
    if (path == result.exe) result.links_libpython = analysis->links_libpython;
    if (!analysis->python) continue;

    std::vector<Mapping> file_mappings;
    for (const Mapping& m : mappings) {
      if (m.path == path && m.inode == mapping.inode) file_mappings.push_back(m);
    }
    const PythonBinary& python = *analysis->python;
    if (!python.runtime_vaddr) {
      std::string version = python.version ? python.version->to_string() : "before 3.7";
      return fail(Status::kUnsupported,
                  who + ": CPython " + version + " is not supported (supported: 3.8 to 3.15)");
    }
    std::optional<uint64_t> address =
        runtime_address(python.segments, file_mappings, *python.runtime_vaddr);
    if (!address) {
      return fail(Status::kLoading, who + ": _PyRuntime of " + path + " is not mapped yet");
    }
    if (!python.version) {
      return fail(Status::kUnsupported, who + ": cannot tell the CPython version of " + path);
    }
    Result<CPythonLayout> layout =
        layout_for(*python.version, debug_offsets_build(python.debug_offsets));
    if (!layout) return fail(Status::kUnsupported, who + ": " + layout.error().message);
    gil_moved_to_runtime_size(*layout, python.runtime_size);
    if (debug_offsets_size(*python.version) > 0) {
      Result<void> applied = apply_debug_offsets(*python.version, python.debug_offsets, *layout);
      if (!applied) {
        return fail(Status::kUnsupported, who + ": " + path + ": " + applied.error().message);
      }
    }

    PythonProcess& process = result.process.emplace();
    process.pid = pid;
    process.start_time = stat->start_time;
    process.comm = stat->comm;
    process.binary = path;
    process.version = *python.version;
    process.runtime_address = *address;
    auto address_of = [&](std::optional<uint64_t> vaddr) {
      return vaddr ? runtime_address(python.segments, file_mappings, *vaddr).value_or(0) : 0;
    };
    process.code_type_address = address_of(python.code_type_vaddr);
    process.none_address = address_of(python.none_vaddr);
    process.binary_mappings = std::move(file_mappings);
    process.layout = *layout;
    result.status = Status::kPython;
    return result;
  }
  return fail(Status::kNotPython, who + " is not a Python process");
}

}  // namespace stprof
