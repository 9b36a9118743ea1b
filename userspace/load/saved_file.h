// A saved profile file in whichever format it is, into the model: the format is told by the
// content, not the name (a pprof file may be called anything):
//   - gzip data (1f 8b) is unpacked first (pprof files are gzipped; so may any other be);
//   - '{' first (after white space): speedscope JSON (load/speedscope.h);
//   - bytes that text never holds (control characters but tab, CR, LF) near the start: pprof's
//     protobuf message (load/pprof.h);
//   - anything else: folded stacks (load/folded.h), also an empty file.
#pragma once

#include <string>
#include <string_view>

#include "collate/profile.h"
#include "util/result.h"

namespace stprof {

enum class SavedFormat { kFolded, kPprof, kSpeedscope };

// "folded", "pprof", "speedscope".
const char* saved_format_name(SavedFormat format);

// Decompressed content's format (see above).
SavedFormat detect_saved_format(std::string_view content);

// A file's bytes into the model. An error says what it was read as and where it goes wrong
// ("pprof: byte 1234: ...", "folded: line 12: ...", "gzip: byte 80: ...").
Result<Profile> parse_saved_profile(std::string_view bytes);

// `path` ("-": standard input) read and parsed; an error begins with the path.
Result<Profile> load_saved_profile(const std::string& path);

}  // namespace stprof
