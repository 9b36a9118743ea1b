// A flat table of functions, hottest first: self %, total %, self samples (self wall time in
// wall mode), function, file:line. One row per location (function and line; with --no-lineno,
// per function). Self: samples whose leaf is it; total: samples with it anywhere on the stack
// (once per sample, recursion or not); shares of all samples, or of all wall time.
//    self%   total%   samples  function  file:line
//    47.8%    69.6%        11  work      app.py:4
//    self%   total%  wall time  function         file:line
//    74.4%    74.4%     1.20 s  [off-CPU: read]
// Shared by `--format top` and the live view (`stprof-bpf top`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "collate/profile.h"
#include "render/diff_view.h"

namespace stprof {

struct TopRow {
  std::string function;
  std::string file_line;  // "" for an off-CPU leaf
  uint64_t self = 0;      // Profile::value summed: samples, or nanoseconds in wall mode
  uint64_t total = 0;
};

// Every location that was sampled, by self samples, then total, then name.
std::vector<TopRow> top_rows(const Profile& profile);

// The header line and one line per row (the first `max_rows`), each cut to `width` columns;
// shares of `all` (the profile's total_value), self values printed as `mode` counts them.
std::vector<std::string> top_table(const std::vector<TopRow>& rows, uint64_t all,
                                   ProfileMode mode, size_t max_rows, size_t width);

struct TopOptions {
  double min_percent = 0.5;  // rows whose total is under this share are left out
};

void render_top(const Profile& profile, const TopOptions& options, std::ostream& out);

// The locations whose self share changed most between two profiles (`stprof-bpf diff -o x.top`),
// by size of change: BEFORE's and AFTER's self share and the change in points; with --absolute,
// self values and their difference. Rows that changed by less than `min_percent` (points, or
// with --absolute a share of the larger total) are left out and counted in a last line. Then the
// functions sampled in BEFORE only, with the share of BEFORE they were on the stack of.
//   before%   after%   change  function  file:line
//     20.0%    60.0%   +40.0%  compute   app.py:12
void render_top_diff(const ProfileDiff& diff, const TopOptions& options, std::ostream& out);

}  // namespace stprof
