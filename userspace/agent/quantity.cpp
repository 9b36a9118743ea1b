#include "agent/quantity.h"

#include <cctype>
#include <limits>

namespace stprof {
namespace {

// The leading decimal digits of `text` as a number, and the rest; nullopt without digits or on
// overflow.
bool split_number(const std::string& text, uint64_t& number, std::string& unit) {
  size_t digits = 0;
  number = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    uint64_t digit = static_cast<uint64_t>(text[digits] - '0');
    if (number > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    number = number * 10 + digit;
    digits++;
  }
  unit = text.substr(digits);
  return digits > 0;
}

}  // namespace

Result<int64_t> parse_duration_seconds(const std::string& text) {
  auto bad = [&] {
    return make_error("'" + text + "' is not a duration: write whole seconds, minutes, hours or "
                      "days, e.g. 15s, 2m, 1h, 7d (at least 1 s)");
  };
  uint64_t number = 0;
  std::string unit;
  if (!split_number(text, number, unit)) return bad();
  uint64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  constexpr uint64_t kMax = 100ull * 365 * 86400;  // a century: anything longer is a typo
  if (scale == 0 || number == 0 || number > kMax / scale) return bad();
  return static_cast<int64_t>(number * scale);
}

Result<uint64_t> parse_size_bytes(const std::string& text) {
  auto bad = [&] {
    return make_error("'" + text + "' is not a size: write bytes, or a number with K, M, G or T "
                      "(powers of 1024), e.g. 4096, 64M, 1G");
  };
  uint64_t number = 0;
  std::string unit;
  if (!split_number(text, number, unit)) return bad();
  std::string prefix = unit.substr(0, 1);
  std::string rest = unit.empty() ? "" : unit.substr(1);
  if (!(rest.empty() || rest == "B" || rest == "iB")) return bad();
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  if (prefix == "K" || prefix == "k") shift = 10;
  if (prefix == "M") shift = 20;
  if (prefix == "G") shift = 30;
  if (prefix == "T") shift = 40;
  if (shift < 0 || number > (std::numeric_limits<uint64_t>::max() >> shift)) return bad();
  return number << shift;
}

}  // namespace stprof
