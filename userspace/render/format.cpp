#include "render/format.h"

#include <cctype>
#include <sstream>

#include "render/folded.h"
#include "render/pprof.h"
#include "render/speedscope.h"
#include "render/svg.h"
#include "render/top.h"
#include "render/tree.h"

namespace stprof {
namespace {

constexpr std::pair<Format, const char*> kNames[] = {
    {Format::kFolded, "folded"}, {Format::kSvg, "svg"},   {Format::kSpeedscope, "speedscope"},
    {Format::kPprof, "pprof"},   {Format::kTree, "tree"}, {Format::kTop, "top"},
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (const auto& [format, name] : kNames) names.push_back(name);
  return names;
}

std::string format_name(Format format) {
  for (const auto& [f, name] : kNames) {
    if (f == format) return name;
  }
  return "folded";
}

std::optional<Format> parse_format(const std::string& name) {
  for (const auto& [format, known] : kNames) {
    if (name == known) return format;
  }
  return std::nullopt;
}

Format format_for_path(const std::string& path) {
  std::string lower = path;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ends_with(lower, ".svg")) return Format::kSvg;
  if (ends_with(lower, ".json")) return Format::kSpeedscope;
  if (ends_with(lower, ".pb.gz") || ends_with(lower, ".pb") || ends_with(lower, ".pprof")) {
    return Format::kPprof;
  }
  if (ends_with(lower, ".tree")) return Format::kTree;
  if (ends_with(lower, ".top")) return Format::kTop;
  return Format::kFolded;
}

bool is_binary(Format format) { return format == Format::kPprof; }

Result<std::string> render(const Profile& profile, Format format, const RenderOptions& options) {
  std::ostringstream out;
  switch (format) {
    case Format::kFolded:
      render_folded(profile, {}, out);
      break;
    case Format::kSvg:
      render_svg(profile, {options.title + " flame graph", 1200}, out);
      break;
    case Format::kSpeedscope:
      render_speedscope(profile, {options.title, options.exporter}, out);
      break;
    case Format::kPprof:
      return render_pprof(profile);
    case Format::kTree:
      render_tree(profile, {options.min_percent}, out);
      break;
    case Format::kTop:
      render_top(profile, {options.min_percent}, out);
      break;
  }
  return out.str();
}

bool has_diff_mode(Format format) {
  return format == Format::kSvg || format == Format::kFolded || format == Format::kTop;
}

Result<std::string> render_diff(const ProfileDiff& diff, Format format,
                                const RenderOptions& options) {
  std::ostringstream out;
  switch (format) {
    case Format::kFolded:
      render_folded_diff(diff, out);
      break;
    case Format::kSvg:
      render_diff_svg(diff, {options.title + " differential flame graph", 1200}, out);
      break;
    case Format::kTop:
      render_top_diff(diff, {options.min_percent}, out);
      break;
    default:
      return make_error(format_name(format) + " cannot show a difference: write svg, folded or top");
  }
  return out.str();
}

}  // namespace stprof
