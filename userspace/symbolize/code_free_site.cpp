#include "symbolize/code_free_site.h"

namespace stprof {

Result<UprobeSite> code_free_site(const PythonProcess& process, const ProcessMemory& memory,
                                  const std::string& proc_root) {
  if (!process.code_type_address) return make_error(process.binary + " has no PyCode_Type");
  uint64_t dealloc = 0;
  if (!memory.read_value(process.code_type_address + process.layout.type_dealloc, dealloc)) {
    return make_error("cannot read PyCode_Type.tp_dealloc in PID " + std::to_string(process.pid));
  }
  for (const Mapping& mapping : process.binary_mappings) {
    if (mapping.executable && mapping.start <= dealloc && dealloc < mapping.end) {
      std::string dir = proc_root + "/" + std::to_string(process.pid);
      return UprobeSite{map_files_path(dir, mapping), dealloc - mapping.start + mapping.file_offset};
    }
  }
  return make_error("PyCode_Type.tp_dealloc is not in the code of " + process.binary);
}

}  // namespace stprof
