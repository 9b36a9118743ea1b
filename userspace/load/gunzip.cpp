#include "load/gunzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace stprof {

bool is_gzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

Result<std::string> gunzip(std::string_view data, size_t limit) {
  z_stream stream{};
  if (int status = inflateInit2(&stream, 15 + 16); status != Z_OK) {
    return make_error(std::string("zlib: inflateInit2 failed: ") + zError(status));
  }
  std::string out;
  char buffer[65536];
  size_t consumed = 0;  // bytes of `data` handed to zlib
  int status = Z_OK;
  auto at_byte = [&] { return "gzip: byte " + std::to_string(consumed - stream.avail_in) + ": "; };
  for (;;) {
    if (stream.avail_in == 0 && consumed < data.size()) {
      size_t chunk = std::min<size_t>(data.size() - consumed, std::numeric_limits<uInt>::max());
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
      stream.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    if (out.size() > limit) {
      inflateEnd(&stream);
      return make_error("gzip: decompresses to more than " + std::to_string(limit) + " bytes");
    }
    if (status == Z_STREAM_END) {
      // Concatenated members (as `cat a.gz b.gz` makes) decompress one after the other.
      if (stream.avail_in == 0 && consumed == data.size()) break;
      if (!is_gzip({reinterpret_cast<const char*>(stream.next_in), stream.avail_in})) break;
      inflateReset(&stream);
      continue;
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && consumed == data.size()) {
      std::string message = at_byte() + "the compressed data ends early (a truncated file?)";
      inflateEnd(&stream);
      return make_error(message);
    }
    if (status != Z_OK) {
      std::string message = at_byte() + "damaged compressed data (" +
                            (stream.msg ? stream.msg : zError(status)) + ")";
      inflateEnd(&stream);
      return make_error(message);
    }
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace stprof
