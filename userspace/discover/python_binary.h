// Recognising a CPython interpreter in an ELF file (executable or libpython), cached per file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cpython/version.h"
#include "discover/elf_file.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace stprof {

struct PythonBinary {
  // _PyRuntime in the file's address space; nullopt for CPython before 3.7 (2.7, 3.6), which
  // is recognised by its Py_Initialize only so that it can be named in a warning.
  std::optional<uint64_t> runtime_vaddr;
  uint64_t runtime_size = 0;  // _PyRuntime's symbol size: sizeof(_PyRuntimeState)
  // PyCode_Type in the file's address space (exported by every CPython): its tp_dealloc is
  // where code objects are freed.
  std::optional<uint64_t> code_type_vaddr;
  // _Py_NoneStruct: CPython's own entry and shim frames have None as their executable.
  std::optional<uint64_t> none_vaddr;
  std::optional<PythonVersion> version;  // from Py_Version (3.11+) or the file name
  std::vector<LoadSegment> segments;
  // 3.13+: the first debug_offsets_size(version) bytes of _PyRuntime as the file stores them
  // (_Py_DebugOffsets, a static initializer never written at run time); empty if unreadable.
  std::vector<uint8_t> debug_offsets;
};

// What an executable or library file says of Python.
struct BinaryAnalysis {
  std::optional<PythonBinary> python;  // nullopt: the file holds no CPython interpreter
  // It needs a libpython (DT_NEEDED): a process running it becomes Python once its dynamic
  // loader is done, without a dlopen.
  bool links_libpython = false;
};

// Analyses each distinct file once: processes that map the same file share the answer.
class PythonBinaryCache {
 public:
  // `name` is the path the process maps it under.
  Result<BinaryAnalysis> analyse(UniqueFd fd, const std::string& name);

 private:
  // st_dev, st_ino, st_size, st_mtime: an upgraded file at the same path is a new file.
  using FileKey = std::tuple<dev_t, ino_t, off_t, int64_t>;
  std::map<FileKey, BinaryAnalysis> cache_;
};

}  // namespace stprof
