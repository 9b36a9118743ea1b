#include "discover/elf_file.h"

#include <gelf.h>
#include <libelf.h>

#include <unistd.h>

#include <cstdint>

namespace stprof {

Result<ElfFile> ElfFile::open(UniqueFd fd, const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) return make_error("libelf is too old");
  // ELF_C_READ, not ELF_C_READ_MMAP: a file another process truncates while we read it (a
  // library in a container's writable directory) must not SIGBUS the profiler.
  Elf* elf = elf_begin(fd.get(), ELF_C_READ, nullptr);
  if (!elf) return make_error("cannot read ELF " + path + ": " + elf_errmsg(-1));
  ElfFile file(std::move(fd), elf);
  GElf_Ehdr header;
  if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &header)) {
    return make_error(path + " is not an ELF file");
  }
  file.position_independent_ = header.e_type == ET_DYN;
  size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return make_error(path + ": no program headers");
  for (size_t i = 0; i < count; i++) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD) {
      file.segments_.push_back({phdr.p_vaddr, phdr.p_offset, phdr.p_filesz, phdr.p_memsz});
    }
  }
  return file;
}

ElfFile::ElfFile(UniqueFd fd, Elf* elf) : fd_(std::move(fd)), elf_(elf) {}

ElfFile::ElfFile(ElfFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      elf_(std::exchange(other.elf_, nullptr)),
      position_independent_(other.position_independent_),
      segments_(std::move(other.segments_)) {}

ElfFile& ElfFile::operator=(ElfFile&& other) noexcept {
  if (this != &other) {
    if (elf_) elf_end(elf_);
    fd_ = std::move(other.fd_);
    elf_ = std::exchange(other.elf_, nullptr);
    position_independent_ = other.position_independent_;
    segments_ = std::move(other.segments_);
  }
  return *this;
}

ElfFile::~ElfFile() {
  if (elf_) elf_end(elf_);
}

std::optional<ElfSymbol> ElfFile::find_symbol(const std::string& name) const {
  for (Elf64_Word wanted : {SHT_DYNSYM, SHT_SYMTAB}) {
    for (Elf_Scn* section = elf_nextscn(elf_, nullptr); section;
         section = elf_nextscn(elf_, section)) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(section, &shdr) || shdr.sh_type != wanted || shdr.sh_entsize == 0) continue;
      Elf_Data* data = elf_getdata(section, nullptr);
      if (!data) continue;
      size_t count = shdr.sh_size / shdr.sh_entsize;
      for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
        const char* sym_name = elf_strptr(elf_, shdr.sh_link, sym.st_name);
        if (sym_name && name == sym_name) return ElfSymbol{sym.st_value, sym.st_size};
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string> ElfFile::needed_libraries() const {
  std::vector<std::string> needed;
  for (Elf_Scn* section = elf_nextscn(elf_, nullptr); section; section = elf_nextscn(elf_, section)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(section, &shdr) || shdr.sh_type != SHT_DYNAMIC || shdr.sh_entsize == 0) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (!data) continue;
    size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; i++) {
      GElf_Dyn dyn;
      if (!gelf_getdyn(data, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL) break;
      if (dyn.d_tag != DT_NEEDED) continue;
      if (const char* library = elf_strptr(elf_, shdr.sh_link, dyn.d_un.d_val)) needed.emplace_back(library);
    }
  }
  return needed;
}

bool ElfFile::read_at_vaddr(uint64_t vaddr, void* out, size_t size) const {
  for (const LoadSegment& segment : segments_) {
    // Hostile headers: every sum is checked so that nothing wraps around.
    if (vaddr < segment.vaddr || size > segment.file_size ||
        vaddr - segment.vaddr > segment.file_size - size) {
      continue;
    }
    uint64_t offset = segment.file_offset + (vaddr - segment.vaddr);
    if (offset < segment.file_offset || offset > static_cast<uint64_t>(INT64_MAX) - size) {
      return false;
    }
    return ::pread(fd_.get(), out, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
  }
  return false;
}

}  // namespace stprof
