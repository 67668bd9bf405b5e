#include "tests/host/report/xml_check.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace irqrig::report::testing {

std::string markup_problem(std::string_view m) {
  static const std::vector<std::string_view> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  std::size_t i = 0;
  auto where = [&](std::size_t at) { return " at offset " + std::to_string(at); };
  while (i < m.size()) {
    const char c = m[i];
    if (c == '&') {
      const std::size_t semi = m.find(';', i);
      if (semi == std::string_view::npos || semi - i > 10) return "a raw '&'" + where(i);
      ++i;
      continue;
    }
    if (c != '<') {
      if (c == '>') return "a raw '>' in text" + where(i);
      ++i;
      continue;
    }
    if (m.substr(i, 2) == "<!") {  // doctype
      i = m.find('>', i);
      if (i == std::string_view::npos) return "unterminated <!";
      ++i;
      continue;
    }
    const bool closing = m.substr(i, 2) == "</";
    std::size_t j = i + (closing ? 2 : 1);
    std::string name;
    while (j < m.size() && (std::isalnum(static_cast<unsigned char>(m[j])) || m[j] == '-' || m[j] == ':')) name += m[j++];
    if (name.empty()) return "a raw '<' in text" + where(i);
    // Attributes: name="value" pairs; a '<' inside a value is an error too.
    char quote = 0;
    for (; j < m.size(); ++j) {
      if (quote) {
        if (m[j] == quote) quote = 0;
        else if (m[j] == '<') return "a raw '<' in an attribute of <" + name + ">" + where(j);
        continue;
      }
      if (m[j] == '"' || m[j] == '\'') quote = m[j];
      else if (m[j] == '=' && j + 1 < m.size() && m[j + 1] != '"' && m[j + 1] != '\'')
        return "an unquoted attribute in <" + name + ">" + where(j);
      else if (m[j] == '>' || m[j] == '<') break;
    }
    if (j >= m.size() || m[j] != '>') return "unterminated tag <" + name + ">" + where(i);
    const bool self_closing = m[j - 1] == '/';
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">") + where(i);
      open.pop_back();
    } else if (!self_closing && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      open.push_back(name);
      // Raw text elements: skip to their end tag.
      if (name == "style" || name == "script") {
        const std::size_t end = m.find("</" + name + ">", j);
        if (end == std::string_view::npos) return "unterminated <" + name + ">";
        j = end - 1;
      }
    }
    i = j + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return {};
}

std::size_t occurrences(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

std::string_view element_with_id(std::string_view m, std::string_view id) {
  const std::string attr = "id=\"" + std::string(id) + "\"";
  const std::size_t at = m.find(attr);
  if (at == std::string_view::npos) return {};
  const std::size_t start = m.rfind('<', at);
  std::size_t k = start + 1;
  std::string name;
  while (k < m.size() && (std::isalnum(static_cast<unsigned char>(m[k])) || m[k] == '-')) name += m[k++];
  const std::string close = "</" + name + ">";
  const std::size_t end = m.find(close, at);
  if (end == std::string_view::npos) return {};
  return m.substr(start, end + close.size() - start);
}

}  // namespace irqrig::report::testing
