#include "render/top.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <tuple>

#include "render/frames.h"
#include "render/percent.h"
#include "render/value_text.h"

namespace stprof {
namespace {

// `text` right-aligned in `columns` terminal columns ("µs" takes one column per character).
std::string right_aligned(const std::string& text, size_t columns) {
  size_t used = display_width(text);
  return std::string(columns > used ? columns - used : 0, ' ') + text;
}

}  // namespace

std::vector<TopRow> top_rows(const Profile& profile) {
  std::vector<TopRow> rows(profile.locations.size());
  std::vector<size_t> last_seen(profile.locations.size(), std::numeric_limits<size_t>::max());
  for (size_t s = 0; s < profile.samples.size(); s++) {
    const Sample& sample = profile.samples[s];
    for (uint32_t location : sample.locations) {
      if (last_seen[location] == s) continue;  // recursion: once per sample
      last_seen[location] = s;
      rows[location].total += profile.value(sample);
    }
    if (!sample.locations.empty()) rows[sample.locations.back()].self += profile.value(sample);
  }
  for (size_t i = 0; i < rows.size(); i++) {
    const Function& function = profile.functions[profile.locations[i].function];
    rows[i].function = profile.strings[function.name];
    rows[i].file_line = file_line(profile, static_cast<uint32_t>(i));
  }
  std::erase_if(rows, [](const TopRow& row) { return row.total == 0; });
  std::sort(rows.begin(), rows.end(), [](const TopRow& a, const TopRow& b) {
    return std::tie(b.self, b.total, a.function, a.file_line) <
           std::tie(a.self, a.total, b.function, b.file_line);
  });
  return rows;
}

std::vector<std::string> top_table(const std::vector<TopRow>& rows, uint64_t all,
                                   ProfileMode mode, size_t max_rows, size_t width) {
  size_t shown = std::min(rows.size(), max_rows);
  size_t function_width = 8;  // "function"
  for (size_t i = 0; i < shown; i++) {
    function_width = std::max(function_width, display_width(rows[i].function));
  }
  // The third column: self samples, or self wall time.
  std::string unit = mode == ProfileMode::kWall ? "wall time" : "samples";
  size_t value_width = std::max<size_t>(8, unit.size());
  size_t numbers = 19 + value_width;  // the three number columns and their gaps
  if (width != std::numeric_limits<size_t>::max() && width > numbers) {
    function_width = std::min(function_width, std::max<size_t>(16, (width - numbers) * 3 / 5));
  }
  auto pad = [function_width](const std::string& function) {
    std::string cell = truncate_to_width(function, function_width);
    return cell + std::string(function_width - display_width(cell), ' ');
  };
  std::vector<std::string> lines;
  char shares[64];
  std::snprintf(shares, sizeof(shares), "%6s  %7s  ", "self%", "total%");
  lines.push_back(shares + right_aligned(unit, value_width) + "  " + pad("function") +
                  "  file:line");
  for (size_t i = 0; i < shown; i++) {
    const TopRow& row = rows[i];
    std::snprintf(shares, sizeof(shares), "%5.1f%%  %6.1f%%  ", percent(row.self, all),
                  percent(row.total, all));
    lines.push_back(shares + right_aligned(value_text(mode, row.self), value_width) + "  " +
                    pad(row.function) + "  " + row.file_line);
  }
  for (std::string& line : lines) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (display_width(line) > width) line = truncate_to_width(line, width);
  }
  return lines;
}

void render_top(const Profile& profile, const TopOptions& options, std::ostream& out) {
  std::vector<TopRow> rows = top_rows(profile);
  uint64_t all = profile.total_value();
  size_t kept = 0;
  uint64_t left_out_self = 0;
  for (const TopRow& row : rows) {
    if (percent(row.total, all) >= options.min_percent) {
      rows[kept++] = row;
    } else {
      left_out_self += row.self;
    }
  }
  size_t left_out = rows.size() - kept;
  rows.resize(kept);
  for (const std::string& line :
       top_table(rows, all, profile.mode, rows.size(), std::numeric_limits<size_t>::max())) {
    out << line << '\n';
  }
  if (left_out) {
    char note[128];
    std::snprintf(note, sizeof(note),
                  "(%zu more with under %g%% total left out: %.1f%% self together)\n", left_out,
                  options.min_percent, percent(left_out_self, all));
    out << note;
  }
}

namespace {

// A diff row's three numbers: shares and the change in points, or with --absolute the values.
std::vector<std::string> diff_cells(const ProfileDiff& diff, uint64_t before, uint64_t after) {
  char cell[64];
  if (!diff.absolute) {
    std::vector<std::string> cells;
    std::snprintf(cell, sizeof(cell), "%.1f%%", percent(before, diff.before_all));
    cells.push_back(cell);
    std::snprintf(cell, sizeof(cell), "%.1f%%", percent(after, diff.after_all));
    cells.push_back(cell);
    std::snprintf(cell, sizeof(cell), "%+.1f%%", diff.change(before, after));
    cells.push_back(cell);
    return cells;
  }
  // Appended, not `"-" + value_text(...)`: GCC 12 at -O3 reports a false -Wrestrict there.
  std::string change = after < before ? "-" : "+";
  change += value_text(diff.mode, after < before ? before - after : after - before);
  return {value_text(diff.mode, before), value_text(diff.mode, after), change};
}

}  // namespace

void render_top_diff(const ProfileDiff& diff, const TopOptions& options, std::ostream& out) {
  std::vector<const DiffRow*> kept;
  size_t left_out = 0;
  for (const DiffRow& row : diff.rows) {
    if (diff.change(row.before, row.after) != 0 &&
        diff.change_percent(row.before, row.after) >= options.min_percent) {
      kept.push_back(&row);
    } else {
      left_out++;
    }
  }
  std::vector<std::vector<std::string>> cells;
  for (const DiffRow* row : kept) cells.push_back(diff_cells(diff, row->before, row->after));
  const char* unit = diff.absolute ? "" : "%";
  std::vector<std::string> header = {std::string("before") + unit, std::string("after") + unit,
                                     "change"};
  size_t widths[3];
  for (size_t c = 0; c < 3; c++) {
    widths[c] = std::max<size_t>(7, display_width(header[c]));
    for (const auto& row : cells) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  size_t function_width = 8;  // "function"
  for (const DiffRow* row : kept) function_width = std::max(function_width, display_width(row->function));
  auto line = [&](const std::vector<std::string>& numbers, const std::string& function,
                  const std::string& file_line) {
    std::string text;
    for (size_t c = 0; c < 3; c++) text += right_aligned(numbers[c], widths[c]) + "  ";
    text += function + std::string(function_width - display_width(function), ' ') + "  " + file_line;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line(header, "function", "file:line");
  for (size_t i = 0; i < kept.size(); i++) line(cells[i], kept[i]->function, kept[i]->file_line);
  if (left_out) {
    char note[128];
    std::snprintf(note, sizeof(note), "(%zu more whose self share changed by under %g%% left out)\n",
                  left_out, options.min_percent);
    out << note;
  }
  if (!diff.gone.empty()) {
    out << "\nIn BEFORE only (the share of BEFORE they were on the stack of):\n";
    for (const GoneFunction& gone : diff.gone) {
      char share[32];
      std::snprintf(share, sizeof(share), "%6.1f%%  ", percent(gone.before, diff.before_all));
      out << share << gone.function << (gone.file.empty() ? "" : "  " + gone.file) << '\n';
    }
  }
}

}  // namespace stprof
