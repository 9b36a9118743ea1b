// Writing an output file whole or not at all.
#pragma once

#include <string>

#include "util/result.h"

namespace stprof {

// Writes `content` to a temporary file beside `path`, flushes it, and renames it over `path`;
// on any error the temporary file is removed and `path` is left as it was. "-" writes stdout.
Result<void> write_file_atomically(const std::string& path, const std::string& content);

// Whether `path` can be written that way (creates and removes a temporary file beside it), so a
// bad output path is reported before recording rather than after.
Result<void> check_writable(const std::string& path);

}  // namespace stprof
