// Choosing an output format (by name or by the output file's extension) and rendering a
// profile in it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collate/profile.h"
#include "render/diff_view.h"
#include "util/result.h"

namespace stprof {

enum class Format { kFolded, kSvg, kSpeedscope, kPprof, kTree, kTop };

// "folded", "svg", "speedscope", "pprof", "tree", "top".
std::vector<std::string> format_names();
std::string format_name(Format format);
std::optional<Format> parse_format(const std::string& name);

// By extension: .svg -> svg; .json (so .speedscope.json) -> speedscope; .pb.gz, .pb, .pprof ->
// pprof; .tree -> tree; .top -> top; anything else (.folded, .txt, "-") -> folded.
Format format_for_path(const std::string& path);

// Whether the format is binary (not for a terminal).
bool is_binary(Format format);

struct RenderOptions {
  double min_percent = 0.5;             // tree, top
  std::string title = "stprof-bpf";     // svg title, speedscope name
  std::string exporter = "stprof-bpf";  // speedscope
};

// The whole output file, or why it could not be made (only pprof's compression can fail).
// `profile` is usually a view (render/profile_view.h).
Result<std::string> render(const Profile& profile, Format format, const RenderOptions& options);

// Whether the format can show a difference of two profiles (svg, folded, top).
bool has_diff_mode(Format format);

// The difference in a format that has_diff_mode; an error for any other.
Result<std::string> render_diff(const ProfileDiff& diff, Format format,
                                const RenderOptions& options);

}  // namespace stprof
