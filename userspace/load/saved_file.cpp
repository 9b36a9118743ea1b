#include "load/saved_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <iostream>
#include <iterator>

#include "load/folded.h"
#include "load/gunzip.h"
#include "load/pprof.h"
#include "load/speedscope.h"
#include "util/files.h"

namespace stprof {
namespace {

// What a gzipped file may expand to: far more than any profile, far less than the memory of a
// machine that reads one.
constexpr size_t kMaxDecompressed = size_t{1} << 30;
// How much of the start is looked at to tell text from a protobuf message.
constexpr size_t kSniffBytes = 65536;

}  // namespace

const char* saved_format_name(SavedFormat format) {
  switch (format) {
    case SavedFormat::kPprof:
      return "pprof";
    case SavedFormat::kSpeedscope:
      return "speedscope";
    case SavedFormat::kFolded:
      break;
  }
  return "folded";
}

SavedFormat detect_saved_format(std::string_view content) {
  size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && content[first] == '{') return SavedFormat::kSpeedscope;
  for (unsigned char c : content.substr(0, kSniffBytes)) {
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return SavedFormat::kPprof;
  }
  return SavedFormat::kFolded;
}

Result<Profile> parse_saved_profile(std::string_view bytes) {
  std::string unpacked;
  if (is_gzip(bytes)) {
    Result<std::string> content = gunzip(bytes, kMaxDecompressed);
    if (!content) return content.error();
    unpacked = std::move(*content);
    bytes = unpacked;
  }
  SavedFormat format = detect_saved_format(bytes);
  Result<Profile> profile = format == SavedFormat::kPprof        ? read_pprof(bytes)
                            : format == SavedFormat::kSpeedscope ? read_speedscope(bytes)
                                                                 : read_folded(bytes);
  if (!profile) {
    return make_error(std::string(saved_format_name(format)) + ": " + profile.error().message);
  }
  return profile;
}

Result<Profile> load_saved_profile(const std::string& path) {
  std::string bytes;
  if (path == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return make_error("cannot read standard input");
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return make_error("cannot read " + path + ": it is a directory; name a profile file");
    }
    errno = 0;
    std::optional<std::string> content = read_text_file(path);
    if (!content) {
      return make_error("cannot read " + path + ": " +
                        (errno ? errno_text(errno) : std::string("read error")));
    }
    bytes = std::move(*content);
  }
  Result<Profile> profile = parse_saved_profile(bytes);
  if (!profile) return make_error(path + ": " + profile.error().message);
  return profile;
}

}  // namespace stprof
