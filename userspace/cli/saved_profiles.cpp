#include "cli/saved_profiles.h"

#include "load/merge.h"
#include "load/saved_file.h"
#include "render/diff_view.h"
#include "render/format.h"
#include "render/profile_view.h"
#include "util/atomic_file.h"
#include "version.h"

namespace stprof {
namespace {

RenderOptions render_options(const Config& config) {
  RenderOptions options;
  options.min_percent = config.min_percent;
  options.exporter = std::string("stprof-bpf ") + kStprofVersion;
  return options;
}

template <class Render>
Result<void> write_outputs(const Config& config, Render render) {
  for (const Output& output : config.outputs) {
    Result<std::string> content = render(output.format);
    if (!content) return make_error("cannot write " + output.path + ": " + content.error().message);
    if (Result<void> written = write_file_atomically(output.path, *content); !written) {
      return written.error();
    }
  }
  return {};
}

}  // namespace

Result<void> run_convert(const Config& config) {
  std::vector<NamedProfile> profiles;
  for (const std::string& path : config.inputs) {
    Result<Profile> profile = load_saved_profile(path);
    if (!profile) return profile.error();
    profiles.push_back({path, std::move(*profile)});
  }
  Result<Profile> merged = merge_profiles(profiles);
  if (!merged) return merged.error();
  Profile view = make_view(*merged, config.view);
  RenderOptions options = render_options(config);
  return write_outputs(config, [&](Format format) { return render(view, format, options); });
}

Result<void> run_diff(const Config& config) {
  Result<Profile> before = load_saved_profile(config.inputs[0]);
  if (!before) return before.error();
  Result<Profile> after = load_saved_profile(config.inputs[1]);
  if (!after) return after.error();
  Result<ProfileDiff> diff = make_diff(make_view(*before, config.view),
                                       make_view(*after, config.view), {config.absolute});
  if (!diff) {
    return make_error(config.inputs[0] + " and " + config.inputs[1] + ": " +
                      diff.error().message);
  }
  RenderOptions options = render_options(config);
  return write_outputs(config, [&](Format format) { return render_diff(*diff, format, options); });
}

}  // namespace stprof
