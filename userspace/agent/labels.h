// Labels given on the command line (--label key=value).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "util/result.h"

namespace stprof {

// A label key: a letter or '_', then letters, digits and '_' (what Prometheus and Pyroscope
// accept).
bool valid_label_key(std::string_view key);

// "key=value" from --label; an error names the text and what a key may hold. The keys the
// agent sets itself (service_name, host, pid, container_id, python_version) may be given: the
// command line's value wins.
Result<std::pair<std::string, std::string>> parse_label(const std::string& text);

}  // namespace stprof
