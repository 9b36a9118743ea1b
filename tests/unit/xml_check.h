// A small XML well-formedness checker for the SVG renderers' tests (the e2e tests also parse
// real documents with Python's XML parser and render them in Chromium).
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

namespace stprof::testing {

inline bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '.' ||
         c == '-';
}

// `<` ... `>` contents: "/name", or "name" then (whitespace name="value")* then optional "/".
// Sets `name`, `closing` and `empty`; false when malformed. (No std::regex: GCC 12 warns inside
// it under the sanitizers.)
inline bool parse_tag(const std::string& tag, std::string& name, bool& closing, bool& empty) {
  size_t i = 0;
  closing = i < tag.size() && tag[i] == '/';
  if (closing) i++;
  size_t start = i;
  while (i < tag.size() && name_char(tag[i])) i++;
  name = tag.substr(start, i - start);
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (;;) {
    size_t space = i;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) i++;
    if (i == tag.size() || tag[i] == '/') break;
    if (i == space || closing) return false;
    size_t attribute = i;
    while (i < tag.size() && name_char(tag[i])) i++;
    if (i == attribute || tag.compare(i, 2, "=\"") != 0) return false;
    size_t close = tag.find('"', i + 2);
    if (close == std::string::npos || tag.find('<', i) < close) return false;
    i = close + 1;
  }
  empty = i < tag.size();  // a trailing '/'
  return !(empty && (closing || i + 1 != tag.size()));
}

// Well-formedness as far as this document needs: one root, tags balanced, attribute values
// quoted, only the five predefined entities, no raw '<' or '&' in text, CDATA closed.
inline ::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0, roots = 0;
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure() << why << " at byte " << i << ": " << xml.substr(i, 60);
  };
  while (i < xml.size()) {
    if (xml[i] == '&') {
      bool known = false;
      for (const char* entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
        known = known || xml.compare(i, std::strlen(entity), entity) == 0;
      }
      if (!known) return fail("bad entity");
      i++;
      continue;
    }
    if (xml[i] != '<') {
      i++;
      continue;
    }
    if (xml.compare(i, 9, "<![CDATA[") == 0) {
      size_t end = xml.find("]]>", i);
      if (end == std::string::npos) return fail("unclosed CDATA");
      i = end + 3;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      i = xml.find("?>", i) + 2;
      continue;
    }
    size_t end = xml.find('>', i);
    if (end == std::string::npos) return fail("unclosed tag");
    std::string tag = xml.substr(i + 1, end - i - 1), name;
    bool closing = false, empty = false;
    if (tag.find('<') != std::string::npos || !parse_tag(tag, name, closing, empty)) {
      return fail("malformed tag <" + tag + ">");
    }
    if (closing) {
      if (open.empty() || open.back() != name) return fail("mismatched </" + name + ">");
      open.pop_back();
    } else {
      if (open.empty()) roots++;
      if (!empty) open.push_back(name);
    }
    i = end + 1;
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "unclosed <" << open.back() << ">";
  if (roots != 1) return ::testing::AssertionFailure() << roots << " root elements";
  return ::testing::AssertionSuccess();
}

}  // namespace stprof::testing
