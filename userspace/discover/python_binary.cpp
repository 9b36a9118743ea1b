#include "discover/python_binary.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "cpython/debug_offsets.h"
#include "util/files.h"

namespace stprof {
namespace {

bool names_libpython(const std::string& library) { return library.rfind("libpython", 0) == 0; }

Result<BinaryAnalysis> read_binary(UniqueFd fd, const std::string& name) {
  Result<ElfFile> elf = ElfFile::open(std::move(fd), name);
  if (!elf) return elf.error();
  BinaryAnalysis analysis;
  std::vector<std::string> needed = elf->needed_libraries();
  analysis.links_libpython = std::any_of(needed.begin(), needed.end(), names_libpython);
  std::optional<ElfSymbol> runtime = elf->find_symbol("_PyRuntime");
  if (!runtime && !elf->find_symbol("Py_Initialize")) return analysis;
  PythonBinary& binary = analysis.python.emplace();
  if (runtime) {
    binary.runtime_vaddr = runtime->value;
    binary.runtime_size = runtime->size;
  }
  if (std::optional<ElfSymbol> code_type = elf->find_symbol("PyCode_Type")) {
    binary.code_type_vaddr = code_type->value;
  }
  if (std::optional<ElfSymbol> none = elf->find_symbol("_Py_NoneStruct")) binary.none_vaddr = none->value;
  binary.segments = elf->load_segments();
  // Py_Version (3.11+) holds PY_VERSION_HEX in read-only data; older versions only have names.
  uint32_t version_hex = 0;
  if (std::optional<ElfSymbol> py_version = elf->find_symbol("Py_Version");
      py_version && elf->read_at_vaddr(py_version->value, &version_hex, sizeof(version_hex))) {
    binary.version = PythonVersion::from_hex(version_hex);
  } else {
    binary.version = version_from_file_name(name);
  }
  if (size_t size = binary.version ? debug_offsets_size(*binary.version) : 0; runtime && size) {
    binary.debug_offsets.resize(size);
    if (!elf->read_at_vaddr(runtime->value, binary.debug_offsets.data(), size)) {
      binary.debug_offsets.clear();
    }
  }
  return analysis;
}

}  // namespace

Result<BinaryAnalysis> PythonBinaryCache::analyse(UniqueFd fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return make_error("cannot stat " + name + ": " + errno_text(errno));
  FileKey key{st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtime)};
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  Result<BinaryAnalysis> analysis = read_binary(std::move(fd), name);
  if (analysis) cache_.emplace(key, *analysis);
  return analysis;
}

}  // namespace stprof
