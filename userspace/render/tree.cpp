#include "render/tree.h"

#include <cstdio>
#include <string>

#include "render/call_tree.h"
#include "render/percent.h"
#include "render/value_text.h"

namespace stprof {
namespace {

void print(const CallNode& node, uint64_t all, double min_percent, size_t depth,
           std::ostream& out) {
  if (percent(node.total, all) < min_percent) return;
  char columns[64];
  std::snprintf(columns, sizeof(columns), "%5.1f%%  %5.1f%%  ", percent(node.total, all),
                percent(node.self, all));
  out << columns << std::string(2 * depth, ' ') << node.name << '\n';
  for (const CallNode& child : node.children) print(child, all, min_percent, depth + 1, out);
}

}  // namespace

void render_tree(const Profile& profile, const TreeOptions& options, std::ostream& out) {
  CallNode root = build_call_tree(profile, ChildOrder::kByTotal);
  char header[160];
  std::snprintf(header, sizeof(header), "%6s  %6s  call tree of %s (nodes under %g%% left out)\n",
                "total%", "self%", amount_text(profile.mode, root.total).c_str(),
                options.min_percent);
  out << header;
  for (const CallNode& child : root.children) print(child, root.total, options.min_percent, 0, out);
}

}  // namespace stprof
