// Gzip decompression for saved profiles (pprof files are gzipped; any other one may be).
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace stprof {

// Whether `data` starts with the gzip magic bytes (1f 8b).
bool is_gzip(std::string_view data);

// The decompressed data of one or more gzip members (RFC 1952); an error naming the byte of
// `data` where the stream is damaged or ends too early, or when it decompresses to more than
// `limit` bytes (a small file can expand a thousandfold).
Result<std::string> gunzip(std::string_view data, size_t limit);

}  // namespace stprof
