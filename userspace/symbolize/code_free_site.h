// Where a uprobe sees a 3.8-3.12 process free a code object: the entry of PyCode_Type.tp_dealloc
// (code_dealloc, a static function: found through the exported type object, so stripped
// binaries do too). Counting those frees gives the sampler a code epoch that these versions'
// interpreters do not keep (see STPROF_PROCESS_CODE_FREES in bpf/stprof_abi.h).
#pragma once

#include <cstdint>
#include <string>

#include "discover/python_process.h"
#include "symbolize/process_memory.h"
#include "util/result.h"

namespace stprof {

struct UprobeSite {
  std::string path;          // the file, as the profiler can open it (/proc/PID/map_files/...)
  uint64_t file_offset = 0;  // of the instruction in that file
};

// The site in `process`, whose memory is `memory`; an error when PyCode_Type was not found or
// its tp_dealloc is not in an executable mapping of the interpreter's file.
Result<UprobeSite> code_free_site(const PythonProcess& process, const ProcessMemory& memory,
                                  const std::string& proc_root = "/proc");

}  // namespace stprof
