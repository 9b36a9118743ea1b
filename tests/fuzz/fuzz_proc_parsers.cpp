// The parsers of text and tables that other processes control, each on the whole input:
// /proc/PID/maps, stat, cgroup and status (discover/proc_maps.h, proc_stat.h, process_facts.h),
// CPU lists (util/cpu_list.h), interpreter file names (cpython/version.h) and a target's
// _Py_DebugOffsets table (cpython/debug_offsets.h) for every minor that has one, and one that has
// none.

#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "cpython/version.h"
#include "discover/proc_maps.h"
#include "discover/proc_stat.h"
#include "discover/process_facts.h"
#include "fuzz_input.h"
#include "util/cpu_list.h"

using namespace stprof;

namespace {

bool same_layout(const CPythonLayout& a, const CPythonLayout& b) {
  return std::memcmp(&a.walker, &b.walker, sizeof(a.walker)) == 0 &&
         a.runtime_interpreters_head == b.runtime_interpreters_head &&
         a.runtime_gil == b.runtime_gil &&
         a.code_filename == b.code_filename && a.code_name == b.code_name &&
         a.code_qualname == b.code_qualname && a.code_linetable == b.code_linetable &&
         a.code_firstlineno == b.code_firstlineno &&
         a.code_first_traceable == b.code_first_traceable && a.line_table == b.line_table &&
         a.bytes_size == b.bytes_size && a.bytes_data == b.bytes_data &&
         a.unicode_length == b.unicode_length && a.unicode_state == b.unicode_state &&
         a.unicode_ascii_data == b.unicode_ascii_data &&
         a.unicode_compact_data == b.unicode_compact_data;
}

void check_debug_offsets(int minor, std::span<const uint8_t> table) {
  const PythonVersion version{3, minor, 0};
  Result<CPythonLayout> made = layout_for(version);
  CPythonLayout layout = made ? *made : CPythonLayout{};
  const CPythonLayout before = layout;
  Result<void> applied = apply_debug_offsets(version, table, layout);
  if (!applied) {
    FUZZ_CHECK(same_layout(layout, before));  // "on error `layout` is left unchanged"
    FUZZ_CHECK(!applied.error().message.empty());
    return;
  }
  FUZZ_CHECK(debug_offsets_size(version) > 0 && table.size() >= debug_offsets_size(version));
  FUZZ_CHECK(layout.walker.frame_window <= STPROF_FRAME_WINDOW);
  FUZZ_CHECK(layout.code_firstlineno == before.code_firstlineno);
  FUZZ_CHECK(layout.walker.code_fingerprint == before.walker.code_fingerprint);
  FUZZ_CHECK(layout.walker.code_fingerprint_size == before.walker.code_fingerprint_size);
  // A GIL the sampler reads lies where its static size says: `locked` (an int) and
  // `last_holder` (a pointer) inside it.
  FUZZ_CHECK(layout.walker.gil_size == before.walker.gil_size);
  if (layout.runtime_gil != 0) {
    FUZZ_CHECK(layout.walker.gil_locked + 4u <= layout.walker.gil_size);
    FUZZ_CHECK(layout.walker.gil_last_holder + 8u <= layout.walker.gil_size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const std::string_view text = fuzz::as_text(bytes);

  for (const Mapping& m : parse_maps(text)) {
    FUZZ_CHECK(m.path.find('\n') == std::string::npos);
  }

  if (std::optional<ProcStat> stat = parse_proc_stat(text)) {
    FUZZ_CHECK(stat->comm.size() + 2 <= text.size());
  }

  FUZZ_CHECK(cgroup_v2_path(text).find('\n') == std::string::npos);
  const std::string id = container_id_from_cgroup(text);
  FUZZ_CHECK(id.empty() || id.size() == 64);
  for (char c : id) FUZZ_CHECK(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'));
  (void)ns_pid_from_status(text);

  if (std::optional<std::vector<int>> cpus = parse_cpu_list(text)) {
    FUZZ_CHECK(!cpus->empty());
    for (int cpu : *cpus) FUZZ_CHECK(cpu >= 0 && cpu <= 65535);
  }

  if (std::optional<PythonVersion> version = version_from_file_name(text)) {
    FUZZ_CHECK(version->major >= 0 && version->minor >= 0 && version->micro == -1);
  }

  for (int minor : {12, 13, 14, 15}) check_debug_offsets(minor, bytes);
  return 0;
}
