// CPU lists as the kernel writes them ("0-3,8,10-11").
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace stprof {

std::optional<std::vector<int>> parse_cpu_list(std::string_view text);

}  // namespace stprof
