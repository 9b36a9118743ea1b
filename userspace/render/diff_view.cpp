#include "render/diff_view.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "render/percent.h"
#include "render/top.h"

namespace stprof {
namespace {

void set_values(DiffNode& node, const CallNode& call, bool after) {
  (after ? node.after : node.before) = call.total;
  (after ? node.after_self : node.before_self) = call.self;
}

DiffNode only_in(const CallNode& call, bool after) {
  DiffNode node;
  node.kind = call.kind;
  node.name = call.name;
  set_values(node, call, after);
  for (const CallNode& child : call.children) node.children.push_back(only_in(child, after));
  return node;
}

// Both trees' children are in name order (ChildOrder::kByName), names unique among siblings.
DiffNode overlay(const CallNode& before, const CallNode& after) {
  DiffNode node;
  node.kind = after.kind;
  node.name = after.name;
  set_values(node, before, false);
  set_values(node, after, true);
  auto b = before.children.begin(), a = after.children.begin();
  while (b != before.children.end() || a != after.children.end()) {
    if (a == after.children.end() || (b != before.children.end() && b->name < a->name)) {
      node.children.push_back(only_in(*b++, false));
    } else if (b == before.children.end() || a->name < b->name) {
      node.children.push_back(only_in(*a++, true));
    } else {
      node.children.push_back(overlay(*b++, *a++));
    }
  }
  return node;
}

// Value per function (name, file) with it anywhere on the stack, once per sample.
std::map<std::pair<std::string, std::string>, uint64_t> function_totals(const Profile& profile) {
  std::vector<uint64_t> totals(profile.functions.size());
  std::vector<size_t> last_seen(profile.functions.size(), std::numeric_limits<size_t>::max());
  for (size_t s = 0; s < profile.samples.size(); s++) {
    const Sample& sample = profile.samples[s];
    for (uint32_t location : sample.locations) {
      uint32_t function = profile.locations[location].function;
      if (last_seen[function] == s) continue;
      last_seen[function] = s;
      totals[function] += profile.value(sample);
    }
  }
  std::map<std::pair<std::string, std::string>, uint64_t> by_name;
  for (size_t f = 0; f < totals.size(); f++) {
    if (totals[f] == 0) continue;
    const Function& function = profile.functions[f];
    by_name[{profile.strings[function.name], profile.strings[function.file]}] += totals[f];
  }
  return by_name;
}

}  // namespace

double ProfileDiff::change(uint64_t before, uint64_t after) const {
  if (absolute) return static_cast<double>(after) - static_cast<double>(before);
  if (before_all == 0 || after_all == 0) {
    return percent(after, after_all) - percent(before, before_all);
  }
  // after / after_all - before / before_all, exactly 0 when the fractions are equal.
  __int128 numerator = static_cast<__int128>(after) * before_all -
                       static_cast<__int128>(before) * after_all;
  if (numerator == 0) return 0;
  return 100.0 * static_cast<double>(numerator) /
         (static_cast<double>(before_all) * static_cast<double>(after_all));
}

double ProfileDiff::change_percent(uint64_t before, uint64_t after) const {
  if (!absolute) return std::fabs(change(before, after));
  return percent(before > after ? before - after : after - before,
                 std::max(before_all, after_all));
}

Result<ProfileDiff> make_diff(const Profile& before, const Profile& after,
                              const DiffOptions& options) {
  if (before.mode != after.mode) {
    return make_error("cannot compare a CPU-mode profile with a wall-mode one: their values "
                      "measure different things");
  }
  ProfileDiff diff;
  diff.mode = after.mode;
  diff.absolute = options.absolute;
  diff.before_all = before.total_value();
  diff.after_all = after.total_value();
  diff.root = overlay(build_call_tree(before, ChildOrder::kByName),
                      build_call_tree(after, ChildOrder::kByName));

  std::map<std::pair<std::string, std::string>, DiffRow> rows;
  for (const TopRow& row : top_rows(before)) {
    rows[{row.function, row.file_line}] = {row.function, row.file_line, row.self, 0};
  }
  for (const TopRow& row : top_rows(after)) {
    DiffRow& diff_row = rows[{row.function, row.file_line}];
    diff_row.function = row.function;
    diff_row.file_line = row.file_line;
    diff_row.after = row.self;
  }
  for (auto& [key, row] : rows) {
    if (row.before || row.after) diff.rows.push_back(row);
  }
  std::stable_sort(diff.rows.begin(), diff.rows.end(), [&](const DiffRow& a, const DiffRow& b) {
    return diff.change_percent(a.before, a.after) > diff.change_percent(b.before, b.after);
  });

  std::map<std::pair<std::string, std::string>, uint64_t> present = function_totals(after);
  for (const auto& [key, total] : function_totals(before)) {
    if (!present.count(key)) diff.gone.push_back({key.first, key.second, total});
  }
  std::stable_sort(diff.gone.begin(), diff.gone.end(),
                   [](const GoneFunction& a, const GoneFunction& b) { return a.before > b.before; });
  return diff;
}

}  // namespace stprof
