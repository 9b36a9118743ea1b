// Kernel text addresses -> function names, from /proc/kallsyms (--kernel).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace stprof {

struct KernelFunction {
  std::string name;  // "name", "name [module]", or "0x..." for an address outside the kernel's text
  // The scheduler's own frames (__schedule, schedule) and those of the tracing that recorded
  // the stack (bpf_trace_run4, a BPF program, an address in no function): left out at the leaf
  // of a stack, where every switch-out has them.
  bool recording_machinery = false;
};

class KernelSymbols {
 public:
  // Parses kallsyms text, one "ADDRESS TYPE NAME[\t[MODULE]]" per line, keeping the text
  // symbols (types t, T, w, W). An error when there are none, or when every address reads as 0
  // (kernel.kptr_restrict hides them from this user).
  static Result<KernelSymbols> parse(std::string_view kallsyms);
  // Reads and parses /proc/kallsyms. Read after the sampler is loaded, it lists its programs.
  static Result<KernelSymbols> load();

  // The function that holds `address`: the symbol at or below it, within the kernel's text
  // (_stext to _etext) or a module's (kallsyms gives no sizes: an address past a module's last
  // function is taken as that function's).
  KernelFunction function_at(uint64_t address) const;

 private:
  struct Symbol {
    uint64_t address;
    uint32_t name_offset;  // in names_: the name, then " [module]" for a module's
    uint32_t name_length;
    uint16_t module_length;  // of " [module]" at the end of the name; 0 in the kernel itself
  };
  std::string_view name(const Symbol& symbol) const;
  std::string_view module(const Symbol& symbol) const;

  std::vector<Symbol> symbols_;  // by address; of symbols at one address, the first listed
  std::string names_;
  uint64_t text_start_ = 0, text_end_ = 0;  // _stext, _etext
};

}  // namespace stprof
