// Durations and sizes as people write them on a command line: "15s", "2m", "7d"; "64M", "1G".
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace stprof {

// Whole seconds: a number with an optional unit s, m, h or d ("90", "15s", "2m", "7d"); at least
// 1 s. An error names the text and the accepted forms.
Result<int64_t> parse_duration_seconds(const std::string& text);

// Bytes: a number with an optional unit K, M, G or T (powers of 1024; "KiB", "MB" and the like
// are read as the same), e.g. "4096", "64M", "1G". An error names the text and the forms.
Result<uint64_t> parse_size_bytes(const std::string& text);

}  // namespace stprof
