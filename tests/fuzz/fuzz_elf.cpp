// ElfFile (discover/elf_file.h) and PythonBinaryCache::analyse (discover/python_binary.h) on
// arbitrary bytes: the whole input is the file, written to a memfd (a hostile container controls
// the interpreter binaries the profiler opens, and may truncate one while the profiler reads it).
// libelf itself is not instrumented, but a crash in it still ends the run.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cpython/debug_offsets.h"
#include "discover/elf_file.h"
#include "discover/python_binary.h"
#include "fuzz_input.h"

using namespace stprof;

namespace {

UniqueFd file_with(std::span<const uint8_t> bytes) {
  UniqueFd fd(::memfd_create("fuzz-elf", MFD_CLOEXEC));
  FUZZ_CHECK(fd.valid());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    FUZZ_CHECK(n > 0);
    done += static_cast<size_t>(n);
  }
  return fd;
}

UniqueFd dup_of(const UniqueFd& fd) {
  UniqueFd copy(::dup(fd.get()));
  FUZZ_CHECK(copy.valid());
  return copy;
}

// read_at_vaddr's contract: true only if [vaddr, vaddr + size) is file-backed in one PT_LOAD
// segment, and then the bytes are the file's at that segment's offset.
void check_read(const ElfFile& elf, std::span<const uint8_t> file, uint64_t vaddr, size_t size) {
  uint8_t out[1024];
  FUZZ_CHECK(size <= sizeof(out));
  if (!elf.read_at_vaddr(vaddr, out, size)) return;
  bool backed = false;
  for (const LoadSegment& s : elf.load_segments()) {
    if (vaddr < s.vaddr || size > s.file_size || vaddr - s.vaddr > s.file_size - size) continue;
    const uint64_t offset = s.file_offset + (vaddr - s.vaddr);
    if (offset < s.file_offset || offset > file.size() || size > file.size() - offset) continue;
    if (std::memcmp(out, file.data() + offset, size) == 0) backed = true;
  }
  FUZZ_CHECK(backed);
}

const char* const kNames[] = {
    "/usr/bin/python3.8",  "/usr/bin/python3.9",  "/usr/bin/python3.10",
    "/usr/bin/python3.11", "/usr/bin/python3.12", "/usr/lib/libpython3.13.so.1.0",
    "/usr/bin/python3.14", "/usr/bin/python3.15d", "/usr/bin/python2.7",
    "/opt/app/bin/not-a-python",
};

bool same(const std::optional<PythonBinary>& a, const std::optional<PythonBinary>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  auto segments_equal = [](const std::vector<LoadSegment>& x, const std::vector<LoadSegment>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); i++) {
      if (x[i].vaddr != y[i].vaddr || x[i].file_offset != y[i].file_offset ||
          x[i].file_size != y[i].file_size || x[i].mem_size != y[i].mem_size) {
        return false;
      }
    }
    return true;
  };
  auto versions_equal = [](const std::optional<PythonVersion>& x,
                           const std::optional<PythonVersion>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->major == y->major && x->minor == y->minor && x->micro == y->micro);
  };
  return a->runtime_vaddr == b->runtime_vaddr && versions_equal(a->version, b->version) &&
         segments_equal(a->segments, b->segments) && a->debug_offsets == b->debug_offsets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> file(data, size);
  UniqueFd fd = file_with(file);

  if (Result<ElfFile> elf = ElfFile::open(dup_of(fd), "fuzz.elf")) {
    std::vector<uint64_t> addresses;
    for (const char* name : {"_PyRuntime", "Py_Version", "Py_Initialize", "", "main"}) {
      std::optional<ElfSymbol> symbol = elf->find_symbol(name);
      if (symbol) addresses.push_back(symbol->value);
    }
    for (const LoadSegment& s : elf->load_segments()) {
      addresses.push_back(s.vaddr);
      for (uint64_t back : {1, 4, 8}) addresses.push_back(s.vaddr + s.file_size - back);
    }
    addresses.push_back(UINT64_MAX - 3);
    for (uint64_t vaddr : addresses) {
      for (size_t bytes : {size_t{1}, size_t{4}, size_t{8}, size_t{752}}) {
        check_read(*elf, file, vaddr, bytes);
      }
    }
  }

  PythonBinaryCache cache;
  const std::string name = kNames[size % std::size(kNames)];
  Result<BinaryAnalysis> binary = cache.analyse(dup_of(fd), name);
  if (binary && binary->python) {
    const PythonBinary& b = *binary->python;
    FUZZ_CHECK(b.debug_offsets.empty() ||
               (b.version && b.debug_offsets.size() == debug_offsets_size(*b.version)));
  }
  // The same file again: answered from the cache, identically.
  Result<BinaryAnalysis> again = cache.analyse(dup_of(fd), name);
  FUZZ_CHECK(binary.ok() == again.ok());
  if (binary && again) {
    FUZZ_CHECK(same(binary->python, again->python));
    FUZZ_CHECK(binary->links_libpython == again->links_libpython);
  }

  // The file shrinks while it is open: the process that maps it truncates it (a library can be,
  // unlike a running executable). Reading must fail, not fault (SIGBUS on a mapping past EOF).
  if (Result<ElfFile> elf = ElfFile::open(dup_of(fd), "fuzz.elf")) {
    const size_t shrunk = size > 0 && (data[size - 1] & 1) ? size / 2 : 0;
    FUZZ_CHECK(::ftruncate(fd.get(), static_cast<off_t>(shrunk)) == 0);
    for (const char* symbol : {"_PyRuntime", "Py_Version", "Py_Initialize"}) {
      if (std::optional<ElfSymbol> found = elf->find_symbol(symbol)) {
        check_read(*elf, file.first(shrunk), found->value, 4);
      }
    }
    for (const LoadSegment& s : elf->load_segments()) check_read(*elf, file.first(shrunk), s.vaddr, 8);
  }
  return 0;
}
