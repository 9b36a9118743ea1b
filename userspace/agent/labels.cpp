#include "agent/labels.h"

#include <cctype>

namespace stprof {
namespace {

bool key_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool key_char(char c) { return key_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

}  // namespace

bool valid_label_key(std::string_view key) {
  if (key.empty() || !key_start(key[0])) return false;
  for (char c : key) {
    if (!key_char(c)) return false;
  }
  return true;
}

Result<std::pair<std::string, std::string>> parse_label(const std::string& text) {
  size_t equals = text.find('=');
  std::string key = text.substr(0, equals);
  if (equals == std::string::npos || !valid_label_key(key)) {
    return make_error("--label '" + text + "': write key=value, the key a letter or '_' then "
                      "letters, digits or '_' (e.g. --label env=prod)");
  }
  return std::make_pair(key, text.substr(equals + 1));
}

}  // namespace stprof
