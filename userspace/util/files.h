// Small helpers for reading procfs-style text files.
#pragma once

#include <optional>
#include <string>

namespace stprof {

// Whole file as text; nullopt when it cannot be opened or read.
std::optional<std::string> read_text_file(const std::string& path);

// errno text for messages ("No such file or directory").
std::string errno_text(int error);

}  // namespace stprof
