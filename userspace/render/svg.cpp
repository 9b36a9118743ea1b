#include "render/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "render/call_tree.h"
#include "render/diff_view.h"
#include "render/frames.h"
#include "render/percent.h"
#include "render/value_text.h"

namespace stprof {
namespace {

constexpr int kFrameHeight = 16;
constexpr int kTop = 56;     // title, subtitle, buttons
constexpr int kBottom = 28;  // details line
constexpr int kPad = 10;
constexpr double kFontSize = 12;
constexpr double kCharWidth = 0.6 * kFontSize;  // estimate, as flamegraph.pl does
constexpr double kMinWidth = 0.1;

// Static part of the document: style and the script (kept in one place, readable).
constexpr const char* kStyle = R"(<style>
  text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: 12px; fill: #000; }
  #title { font-size: 17px; text-anchor: middle; }
  #subtitle { fill: #555; text-anchor: middle; }
  .button { cursor: pointer; fill: #1a5fb4; }
  .button.off { visibility: hidden; }
  g.f { cursor: pointer; }
  g.f:hover rect { stroke: #000; stroke-width: 0.5; }
  g.f text { pointer-events: none; }
  g.faded { opacity: 0.5; }
  #search { width: 220px; font: 12px sans-serif; }
</style>
)";

constexpr const char* kScript = R"JS(<script type="text/ecmascript"><![CDATA[
"use strict";
// Frames carry data-s (first sample), data-n (samples) and data-d (depth); x and width follow.
var svgWidth, pad, avail, total, frames, details, matched, reset, root;
function init() {
  var svg = document.documentElement;
  svgWidth = +svg.getAttribute("width"); pad = +svg.getAttribute("data-pad");
  avail = svgWidth - 2 * pad;
  details = document.getElementById("details");
  matched = document.getElementById("matched");
  reset = document.getElementById("reset");
  frames = Array.prototype.map.call(document.querySelectorAll("g.f"), function (g) {
    var rect = g.querySelector("rect"), title = g.querySelector("title").textContent;
    return { g: g, rect: rect, text: g.querySelector("text"), name: title.split("\n")[0],
             info: title.replace("\n", " \u2014 "), fill: rect.getAttribute("fill"),
             s: +g.getAttribute("data-s"), n: +g.getAttribute("data-n"),
             d: +g.getAttribute("data-d") };
  });
  if (frames.length === 0) return;
  root = frames[0]; total = root.n;
  var byElement = new Map(frames.map(function (f) { return [f.g, f]; }));
  var layer = document.getElementById("frames");
  layer.addEventListener("mouseover", function (e) {
    var g = e.target.closest("g.f"); if (g) details.textContent = byElement.get(g).info;
  });
  layer.addEventListener("mouseout", function () { details.textContent = " "; });
  layer.addEventListener("click", function (e) {
    var g = e.target.closest("g.f"); if (g) zoom(byElement.get(g));
  });
  reset.addEventListener("click", function () { zoom(root); });
  var search = document.getElementById("search");
  search.addEventListener("input", function () { highlight(search.value); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { search.value = ""; highlight(""); zoom(root); }
    if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); search.focus(); }
  });
  zoom(root);
}
function place(f, x, w) {
  f.g.style.display = "";
  f.rect.setAttribute("x", x.toFixed(2)); f.rect.setAttribute("width", w.toFixed(2));
  f.text.setAttribute("x", (x + 3).toFixed(2));
  var fits = Math.floor((w - 6) / (0.6 * 12));
  f.text.textContent = fits < 3 ? "" :
      f.name.length <= fits ? f.name : f.name.slice(0, fits - 2) + "..";
}
function zoom(z) {
  frames.forEach(function (f) {
    var ancestor = f.d < z.d && f.s <= z.s && f.s + f.n >= z.s + z.n;
    var inside = f.d >= z.d && f.s >= z.s && f.s + f.n <= z.s + z.n;
    f.g.classList.toggle("faded", ancestor);
    if (ancestor) place(f, pad, avail);
    else if (inside) place(f, pad + (f.s - z.s) / z.n * avail, f.n / z.n * avail);
    else f.g.style.display = "none";
  });
  reset.classList.toggle("off", z === root);
}
function highlight(term) {
  term = term.toLowerCase();
  var hits = [];
  frames.forEach(function (f) {
    var hit = term !== "" && f.name.toLowerCase().indexOf(term) >= 0;
    f.rect.setAttribute("fill", hit ? "rgb(230,0,230)" : f.fill);
    if (hit) hits.push(f);
  });
  // Share of samples under a match, each sample once: skip matches inside an earlier one.
  hits.sort(function (a, b) { return a.s - b.s || a.d - b.d; });
  var sum = 0, end = -1;
  hits.forEach(function (f) { if (f.s >= end) { sum += f.n; end = f.s + f.n; } });
  matched.textContent = term === "" ? "" : "Matched: " + (100 * sum / total).toFixed(1) + "%";
}
]]></script>
)JS";

// Frames are laid out in a value unit (samples, or nanoseconds in wall mode): the script's data-s
// and data-n are values too, it only ever divides them.
struct Layout {
  std::ostream& out;
  double scale;  // pixels per unit of value
  int bottom;    // y of the graph's lower edge
};

uint32_t fnv1a(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) hash = (hash ^ c) * 16777619u;
  return hash;
}

std::string rgb(int r, int g, int b) {
  return "rgb(" + std::to_string(r) + "," + std::to_string(g) + "," + std::to_string(b) + ")";
}

std::string frame_fill(const CallNode& node) {
  switch (node.kind) {
    case CallNode::Kind::kRoot:
      return "rgb(200,200,200)";
    case CallNode::Kind::kProcess:
      return "rgb(150,180,220)";
    case CallNode::Kind::kThread:
      return "rgb(185,205,235)";
    case CallNode::Kind::kMarker:
      return "rgb(170,170,170)";
    case CallNode::Kind::kFrame:
      break;
  }
  // flamegraph.pl's "hot" palette, chosen by the name so a function keeps its colour.
  uint32_t hash = fnv1a(node.name);
  int r = 205 + static_cast<int>(hash % 51);
  int g = static_cast<int>((hash >> 8) % 231);
  int b = static_cast<int>((hash >> 16) % 56);
  return rgb(r, g, b);
}

std::string label_that_fits(const std::string& name, double width) {
  int fits = static_cast<int>((width - 6) / kCharWidth);
  if (fits < 3) return "";
  if (display_width(name) <= static_cast<size_t>(fits)) return name;
  return truncate_to_width(name, static_cast<size_t>(fits - 2)) + "..";
}

// A frame and those above it. `look` says how a node of this tree is drawn: width(node) in
// value units, fill(node), and tooltip(node), the line under the name in its title.
template <class Node, class Look>
void frame(const Layout& layout, const Node& node, const Look& look, uint64_t start, int depth) {
  uint64_t value = look.width(node);
  double width = static_cast<double>(value) * layout.scale;
  if (width < kMinWidth) return;
  double x = kPad + static_cast<double>(start) * layout.scale;
  int y = layout.bottom - (depth + 1) * kFrameHeight;
  std::string name = node.name;
  std::replace(name.begin(), name.end(), '\n', ' ');
  char geometry[160];
  std::snprintf(geometry, sizeof(geometry), "x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\"", x,
                y, width, kFrameHeight - 1);
  char text_at[64];
  std::snprintf(text_at, sizeof(text_at), "x=\"%.2f\" y=\"%d\"", x + 3, y + kFrameHeight - 4);
  layout.out << "<g class=\"f\" data-s=\"" << start << "\" data-n=\"" << value << "\" data-d=\""
             << depth << "\"><title>" << xml_escape(name) << "\n"
             << xml_escape(look.tooltip(node)) << "</title><rect " << geometry
             << " rx=\"2\" fill=\"" << look.fill(node) << "\"/><text " << text_at << ">"
             << xml_escape(label_that_fits(name, width)) << "</text></g>\n";
  for (const Node& child : node.children) {
    frame(layout, child, look, start, depth + 1);
    start += look.width(child);
  }
}

template <class Node>
int depth_of(const Node& node) {
  int deepest = 0;
  for (const Node& child : node.children) deepest = std::max(deepest, depth_of(child));
  return deepest + 1;
}

// What the page says around the graph.
struct Page {
  std::string title;
  std::string subtitle;
  std::vector<std::string> notes;  // one line each, below the graph
  int width = 1200;
};

constexpr int kNoteHeight = 16;

template <class Node, class Look>
void write_document(const Page& page, const Node& root, const Look& look, std::ostream& out) {
  int width = page.width;
  int bottom = kTop + depth_of(root) * kFrameHeight;
  int height = bottom + kBottom + static_cast<int>(page.notes.size()) * kNoteHeight;
  int details_y = bottom + kBottom - 10;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << width
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
      << "\" data-pad=\"" << kPad << "\" onload=\"init()\">\n"
      << kStyle << kScript << "<rect width=\"100%\" height=\"100%\" fill=\"rgb(248,248,248)\"/>\n"
      << "<text id=\"title\" x=\"" << width / 2 << "\" y=\"22\">" << xml_escape(page.title)
      << "</text>\n"
      << "<text id=\"subtitle\" x=\"" << width / 2 << "\" y=\"40\">" << xml_escape(page.subtitle)
      << "</text>\n"
      << "<text id=\"reset\" class=\"button off\" x=\"" << kPad << "\" y=\"22\">Reset zoom</text>\n"
      << "<foreignObject x=\"" << width - kPad - 240 << "\" y=\"6\" width=\"240\" height=\"26\">"
      << "<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"search\" type=\"search\" "
         "placeholder=\"Search (Ctrl-F)\"/></foreignObject>\n"
      << "<text id=\"matched\" x=\"" << width - kPad << "\" y=\"" << details_y
      << "\" style=\"text-anchor: end\"></text>\n"
      << "<g id=\"frames\">\n";
  if (uint64_t all = look.width(root); all > 0) {
    Layout layout{out, (width - 2.0 * kPad) / static_cast<double>(all), bottom};
    frame(layout, root, look, 0, 0);
  }
  out << "</g>\n<text id=\"details\" x=\"" << kPad << "\" y=\"" << details_y << "\"> </text>\n";
  for (size_t i = 0; i < page.notes.size(); i++) {
    out << "<text class=\"note\" x=\"" << kPad << "\" y=\""
        << details_y + static_cast<int>(i + 1) * kNoteHeight << "\">" << xml_escape(page.notes[i])
        << "</text>\n";
  }
  out << "</svg>\n";
}

// " at 99 Hz over 6.0 s", or what of it the profile knows (a saved file may not say).
std::string rate_text(const Profile& profile) {
  char text[96] = "";
  if (profile.frequency_hz > 0) {
    std::snprintf(text, sizeof(text), " at %d Hz", profile.frequency_hz);
  }
  if (profile.duration_seconds > 0) {
    size_t used = std::strlen(text);
    std::snprintf(text + used, sizeof(text) - used, " over %.1f s", profile.duration_seconds);
  }
  return text;
}

struct ProfileLook {
  ProfileMode mode;
  uint64_t all;
  uint64_t width(const CallNode& node) const { return node.total; }
  std::string fill(const CallNode& node) const { return frame_fill(node); }
  std::string tooltip(const CallNode& node) const {
    char share[32];
    std::snprintf(share, sizeof(share), " (%.2f%%)", percent(node.total, all));
    return amount_text(mode, node.total) + share;
  }
};

// "+1.25%" (shares) or "+1187 samples", "-340 ms" (--absolute).
std::string change_text(const ProfileDiff& diff, double change) {
  char text[64];
  if (!diff.absolute) {
    std::snprintf(text, sizeof(text), "%+.2f%%", change);
    return text;
  }
  uint64_t size = static_cast<uint64_t>(std::llround(std::fabs(change)));
  std::string sign = change < 0 ? "-" : "+";
  if (diff.mode == ProfileMode::kWall) return sign + duration_text(size);
  return sign + std::to_string(size) + (size == 1 ? " sample" : " samples");
}

// flamegraph.pl's differential colours: red when the frame's share grew, blue when it shrank,
// more saturated the larger the change, up to the largest change of the graph; grey when equal.
struct DiffLook {
  const ProfileDiff& diff;
  double largest;  // |change| of the frame that changed most (0: none did)
  uint64_t width(const DiffNode& node) const { return node.after; }
  std::string fill(const DiffNode& node) const {
    double change = diff.change(node.before, node.after);
    if (change == 0 || largest == 0) return "rgb(220,220,220)";
    int pale = static_cast<int>(std::lround(210 * (1 - std::fabs(change) / largest)));
    return change > 0 ? rgb(255, pale, pale) : rgb(pale, pale, 255);
  }
  std::string tooltip(const DiffNode& node) const {
    char shares[64];
    std::snprintf(shares, sizeof(shares), " (%.2f%%)", percent(node.after, diff.after_all));
    std::string text = "after: " + amount_text(diff.mode, node.after) + shares;
    std::snprintf(shares, sizeof(shares), " (%.2f%%)", percent(node.before, diff.before_all));
    double change = diff.change(node.before, node.after);
    return text + ", before: " + amount_text(diff.mode, node.before) + shares + ", change: " +
           (change == 0 ? std::string("none") : change_text(diff, change));
  }
};

double largest_change(const ProfileDiff& diff, const DiffNode& node) {
  double largest = node.after > 0 ? std::fabs(diff.change(node.before, node.after)) : 0;
  for (const DiffNode& child : node.children) largest = std::max(largest, largest_change(diff, child));
  return largest;
}

// The functions the graph cannot show, since they have no width in AFTER.
std::vector<std::string> gone_notes(const ProfileDiff& diff) {
  constexpr size_t kMaxNotes = 20;
  std::vector<std::string> notes;
  if (diff.gone.empty()) return notes;
  notes.push_back("In BEFORE only, so not drawn (the share of BEFORE they were on the stack of):");
  for (size_t i = 0; i < diff.gone.size() && i < kMaxNotes; i++) {
    const GoneFunction& gone = diff.gone[i];
    char share[32];
    std::snprintf(share, sizeof(share), "%.2f%%", percent(gone.before, diff.before_all));
    notes.push_back(std::string("  ") + share + "  " + gone.function +
                    (gone.file.empty() ? "" : " (" + gone.file + ")"));
  }
  if (diff.gone.size() > kMaxNotes) {
    notes.push_back("  and " + std::to_string(diff.gone.size() - kMaxNotes) +
                    " more (a .top diff lists them all)");
  }
  return notes;
}

}  // namespace

void render_svg(const Profile& profile, const SvgOptions& options, std::ostream& out) {
  CallNode root = build_call_tree(profile, ChildOrder::kByName);
  Page page{options.title, amount_text(profile.mode, root.total) + rate_text(profile), {},
            options.width};
  write_document(page, root, ProfileLook{profile.mode, root.total}, out);
}

void render_diff_svg(const ProfileDiff& diff, const SvgOptions& options, std::ostream& out) {
  double largest = largest_change(diff, diff.root);
  std::string subtitle = "widths: AFTER, " + amount_text(diff.mode, diff.after_all) +
                         " (BEFORE: " + amount_text(diff.mode, diff.before_all) + "); " +
                         (diff.absolute ? "red: more than BEFORE, blue: less"
                                        : "red: a larger share than in BEFORE, blue: a smaller one");
  if (largest > 0) subtitle += "; the strongest colour: " + change_text(diff, largest).substr(1);
  Page page{options.title, subtitle, gone_notes(diff), options.width};
  write_document(page, diff.root, DiffLook{diff, largest}, out);
}

}  // namespace stprof
