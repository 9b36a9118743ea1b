#include "symbolize/kernel_symbols.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "util/files.h"

namespace stprof {
namespace {

bool is_text_type(std::string_view type) {
  return type == "t" || type == "T" || type == "w" || type == "W";
}

// The next field of `line` from `at`, separated by spaces or tabs.
std::string_view next_field(std::string_view line, size_t& at) {
  while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) at++;
  size_t start = at;
  while (at < line.size() && line[at] != ' ' && line[at] != '\t') at++;
  return line.substr(start, at - start);
}

std::string hex(uint64_t address) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(address));
  return text;
}

// Functions that every switch-out's stack ends in: the scheduler's, and the tracepoint's
// dispatch to the BPF program (bpf_trace_run4 on sched_switch; the rest on other kernels).
bool is_recording_function(std::string_view name) {
  return name == "__schedule" || name == "schedule" || name.starts_with("bpf_trace_run") ||
         name.starts_with("__bpf_trace_") || name.starts_with("__traceiter_");
}

}  // namespace

Result<KernelSymbols> KernelSymbols::parse(std::string_view kallsyms) {
  KernelSymbols table;
  bool any_address = false;
  while (!kallsyms.empty()) {
    size_t end = kallsyms.find('\n');
    std::string_view line = kallsyms.substr(0, end);
    kallsyms = end == std::string_view::npos ? std::string_view() : kallsyms.substr(end + 1);
    size_t at = 0;
    std::string_view address_text = next_field(line, at);
    std::string_view type = next_field(line, at);
    std::string_view name = next_field(line, at);
    std::string_view module = next_field(line, at);  // "[module]", or empty
    uint64_t address = 0;
    auto [ptr, error] = std::from_chars(address_text.data(), address_text.data() + address_text.size(),
                                        address, 16);
    if (error != std::errc() || name.empty() || !is_text_type(type)) continue;
    any_address = any_address || address != 0;
    if (name == "_stext") table.text_start_ = address;
    if (name == "_etext") table.text_end_ = address;
    uint32_t offset = static_cast<uint32_t>(table.names_.size());
    table.names_ += name;
    if (!module.empty()) {
      table.names_ += ' ';
      table.names_ += module;
    }
    table.symbols_.push_back({address, offset, static_cast<uint32_t>(table.names_.size() - offset),
                              static_cast<uint16_t>(module.empty() ? 0 : module.size() + 1)});
  }
  if (table.symbols_.empty()) return make_error("no kernel text symbols in /proc/kallsyms");
  if (!any_address) {
    return make_error(
        "/proc/kallsyms shows every kernel address as 0 to this user (sysctl kernel.kptr_restrict): "
        "--kernel needs root, or kernel.kptr_restrict=0 with CAP_SYSLOG");
  }
  if (table.text_end_ <= table.text_start_) {
    return make_error("/proc/kallsyms has no _stext and _etext: cannot tell the kernel's text apart");
  }
  std::stable_sort(table.symbols_.begin(), table.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  table.symbols_.erase(std::unique(table.symbols_.begin(), table.symbols_.end(),
                                   [](const Symbol& a, const Symbol& b) { return a.address == b.address; }),
                       table.symbols_.end());
  return table;
}

Result<KernelSymbols> KernelSymbols::load() {
  std::optional<std::string> text = read_text_file("/proc/kallsyms");
  if (!text) return make_error("cannot read /proc/kallsyms: --kernel names kernel frames from it");
  return parse(*text);
}

std::string_view KernelSymbols::name(const Symbol& symbol) const {
  return std::string_view(names_).substr(symbol.name_offset, symbol.name_length - symbol.module_length);
}

std::string_view KernelSymbols::module(const Symbol& symbol) const {
  if (symbol.module_length == 0) return {};
  // " [module]" -> "module"
  return std::string_view(names_).substr(symbol.name_offset + symbol.name_length - symbol.module_length + 2,
                                         symbol.module_length - 3);
}

KernelFunction KernelSymbols::function_at(uint64_t address) const {
  auto after = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                                [](uint64_t a, const Symbol& symbol) { return a < symbol.address; });
  if (after == symbols_.begin()) return {hex(address), true};
  const Symbol& symbol = *(after - 1);
  bool in_kernel = address >= text_start_ && address < text_end_;
  bool in_module = symbol.module_length != 0 && module(symbol) != "bpf";
  if (!in_kernel && !in_module) return {hex(address), true};  // a BPF program, freed init code
  std::string_view function = name(symbol);
  return {names_.substr(symbol.name_offset, symbol.name_length), is_recording_function(function)};
}

}  // namespace stprof
