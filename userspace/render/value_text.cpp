#include "render/value_text.h"

#include <cstdio>
#include <utility>

namespace stprof {

std::string duration_text(uint64_t ns) {
  static constexpr std::pair<double, const char*> kUnits[] = {
      {1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}};
  for (const auto& [scale, unit] : kUnits) {
    double value = static_cast<double>(ns) / scale;
    if (value < 0.9995) continue;  // would print as 1.00 of this unit from here up
    int decimals = value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2;
    char text[32];
    std::snprintf(text, sizeof(text), "%.*f %s", decimals, value, unit);
    return text;
  }
  return std::to_string(ns) + " ns";
}

std::string value_text(ProfileMode mode, uint64_t value) {
  return mode == ProfileMode::kWall ? duration_text(value) : std::to_string(value);
}

std::string amount_text(ProfileMode mode, uint64_t value) {
  if (mode == ProfileMode::kWall) return duration_text(value) + " of wall time";
  return std::to_string(value) + (value == 1 ? " sample" : " samples");
}

}  // namespace stprof
