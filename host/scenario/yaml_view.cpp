#include "host/scenario/yaml_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

#include "host/scenario/scenario.h"
#include "host/scenario/schema.h"

namespace irqrig::host::scenario_internal {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Optimal string alignment distance: a swapped pair of letters (`hihg`) counts as one slip.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// A quoted scalar ("8") is a string to YAML even when it looks like a number; numbers must be plain.
bool is_quoted(const YAML::Node& node) { return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str"; }

// Plain YAML 1.2 core-schema integers: decimal, 0x hex, 0o octal, optional '+'.
std::optional<std::uint64_t> parse_uint(std::string_view text, bool& overflow) {
  overflow = false;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
    base = 8;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    overflow = true;
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Checks that `node` is a non-null, unquoted scalar; `what` names the expected type in the message.
const std::string& plain_scalar(const Origin& origin, const YAML::Node& node, std::string_view path,
                                std::string_view what) {
  if (is_null(node)) origin.fail(node, path, fmt::format("has no value; expected {}", what));
  if (!node.IsScalar()) origin.fail(node, path, fmt::format("expected {}, got {}", what, describe(node)));
  if (is_quoted(node)) {
    origin.fail(node, path, fmt::format("expected {}, got {}; write it without quotes", what, describe(node)));
  }
  return node.Scalar();
}

std::string show_key(std::string_view pattern) {
  std::string out(pattern);
  for (std::size_t at = out.find('*'); at != std::string::npos; at = out.find('*', at)) out.replace(at, 1, "N");
  return out;
}

std::string unknown_key_problem(std::string_view parent, std::string_view name,
                                const std::vector<std::string_view>& siblings) {
  if (auto near = closest(name, siblings)) {
    return fmt::format("unknown key; did you mean '{}'?", join_path(parent, *near));
  }
  // A right key in the wrong section: suggest where it lives, preferring the nearest section.
  std::string_view best;
  std::size_t best_shared = 0;
  std::string parent_pattern = key_pattern(parent);
  for (std::string_view key : known_keys()) {
    std::size_t dot = key.rfind('.');
    std::string_view leaf = dot == std::string_view::npos ? key : key.substr(dot + 1);
    if (lower(leaf) != lower(name)) continue;
    std::size_t shared = 0;
    while (shared < key.size() && shared < parent_pattern.size() && key[shared] == parent_pattern[shared]) ++shared;
    if (best.empty() || shared > best_shared) {
      best = key;
      best_shared = shared;
    }
  }
  if (!best.empty()) return fmt::format("unknown key; did you mean '{}'?", show_key(best));
  if (siblings.empty()) return "unknown key";
  return fmt::format("unknown key (allowed here: {})", fmt::join(siblings, ", "));
}

}  // namespace

void Origin::add_override(std::string path, std::string text) {
  overrides_.emplace_back(std::move(path), std::move(text));
}

const std::string* Origin::override_for(std::string_view path) const {
  for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it) {
    const std::string& root = it->first;
    if (path == root || (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '.')) {
      return &it->second;
    }
  }
  return nullptr;
}

void Origin::note_key(const YAML::Node& value, const YAML::Mark& key_mark) { key_marks_.emplace_back(value, key_mark); }

void Origin::fail(const YAML::Node& at, std::string_view path, std::string_view problem) const {
  // An empty value (`seed:`) is marked wherever the next token is; its key is where the user looks.
  raise(at, path, problem, is_null(at));
}

void Origin::fail_at_key(const YAML::Node& at, std::string_view path, std::string_view problem) const {
  raise(at, path, problem, true);
}

void Origin::raise(const YAML::Node& at, std::string_view path, std::string_view problem, bool at_key) const {
  if (const std::string* text = override_for(path)) {
    throw ScenarioError("--set", 0, std::string(path), fmt::format("{} (from --set {})", problem, *text));
  }
  YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  if (at_key) {
    for (const auto& [value, key_mark] : key_marks_) {
      if (value.is(at)) mark = key_mark;
    }
  }
  int line = mark.is_null() ? 0 : mark.line + 1;
  int column = mark.is_null() ? 0 : mark.column + 1;
  throw ScenarioError(file_, line, std::string(path), std::string(problem), column);
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::optional<std::string> closest(std::string_view word, std::span<const std::string_view> candidates) {
  std::string needle = lower(word);
  std::optional<std::string> best;
  std::size_t best_distance = SIZE_MAX;
  for (std::string_view candidate : candidates) {
    std::string hay = lower(candidate);
    std::size_t distance = edit_distance(needle, hay);
    std::size_t allowed = needle.size() <= 4 ? 1 : 2;
    // A truncated or extended key (`gap` for `gap_ns`, `time` for `time_us`) is a likely slip too.
    bool prefix = needle.size() >= 3 && (hay.starts_with(needle) || needle.starts_with(hay));
    if ((distance <= allowed && distance < hay.size()) || prefix) {
      std::size_t rank = prefix ? std::min(distance, allowed) : distance;
      if (rank < best_distance) {
        best_distance = rank;
        best = std::string(candidate);
      }
    }
  }
  return best;
}

MapView::MapView(Origin& origin, const YAML::Node& node, std::string path)
    : origin_(origin), node_(node), path_(std::move(path)) {
  if (is_null(node_) || !node_.IsMap()) {
    origin_.fail(node_, path_, fmt::format("expected a map (key: value), got {}", describe(node_)));
  }
  std::vector<std::string_view> known = child_keys(key_pattern(path_));
  std::vector<std::pair<std::string, YAML::Node>> keys;  // for repeats: name -> key node
  for (const auto& entry : node_) {
    // Copies: the iterator hands out a proxy whose members die with it.
    YAML::Node key = entry.first;
    YAML::Node value = entry.second;
    if (!key.IsScalar()) origin_.fail(key, path_, fmt::format("keys must be names, got {}", describe(key)));
    const std::string& name = key.Scalar();
    std::string child_path = join_path(path_, name);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      origin_.fail(key, child_path, unknown_key_problem(path_, name, known));
    }
    for (const auto& [seen, seen_key] : keys) {
      if (seen == name) {
        origin_.fail(key, child_path, fmt::format("repeated key (first given at line {})", seen_key.Mark().line + 1));
      }
    }
    keys.emplace_back(name, key);
    origin_.note_key(value, key.Mark());
    entries_.emplace_back(name, value);
  }
}

std::optional<YAML::Node> MapView::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  return std::nullopt;
}

YAML::Node MapView::require(std::string_view key) const {
  std::optional<YAML::Node> value = get(key);
  if (!value) origin_.fail(node_, child(key), "required key is missing");
  return *value;
}

bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

std::vector<std::pair<YAML::Node, YAML::Node>> map_entries(Origin& origin, const YAML::Node& node,
                                                           std::string_view path) {
  if (!node.IsMap()) origin.fail(node, path, fmt::format("expected a map (key: value), got {}", describe(node)));
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  for (const auto& entry : node) {
    YAML::Node key = entry.first;
    YAML::Node value = entry.second;
    if (!key.IsScalar()) origin.fail(key, path, fmt::format("keys must be names, got {}", describe(key)));
    for (const auto& [seen, seen_value] : entries) {
      if (seen.Scalar() == key.Scalar()) {
        origin.fail(key, join_path(path, key.Scalar()),
                    fmt::format("repeated key (first given at line {})", seen.Mark().line + 1));
      }
    }
    origin.note_key(value, key.Mark());
    entries.emplace_back(key, value);
  }
  return entries;
}

std::vector<YAML::Node> list_items(const Origin& origin, const YAML::Node& node, std::string_view path) {
  if (is_null(node) || !node.IsSequence()) {
    origin.fail(node, path, fmt::format("expected a list, got {}", describe(node)));
  }
  std::vector<YAML::Node> items;
  for (const YAML::Node& item : node) items.push_back(item);
  return items;
}

std::uint64_t read_uint(const Origin& origin, const YAML::Node& node, std::string_view path, std::uint64_t min,
                        std::uint64_t max) {
  const std::string& text = plain_scalar(origin, node, path, "an unsigned integer");
  bool overflow = false;
  std::optional<std::uint64_t> value = parse_uint(text, overflow);
  if (!value) {
    std::optional<double> number = parse_double(text);
    if (!text.empty() && text.front() == '-' && number) {
      origin.fail(node, path, fmt::format("must not be negative, got {}", text));
    }
    if (overflow) origin.fail(node, path, fmt::format("{} is too large (at most {})", text, max));
    if (number) origin.fail(node, path, fmt::format("expected a whole number, got {}", text));
    origin.fail(node, path, fmt::format("expected an unsigned integer, got {}", describe(node)));
  }
  if (*value < min || *value > max) {
    if (max == UINT64_MAX) origin.fail(node, path, fmt::format("out of range: {} (must be at least {})", *value, min));
    origin.fail(node, path, fmt::format("out of range: {} (allowed {}..{})", *value, min, max));
  }
  return *value;
}

double read_number(const Origin& origin, const YAML::Node& node, std::string_view path) {
  const std::string& text = plain_scalar(origin, node, path, "a number");
  if (std::optional<double> number = parse_double(text)) return *number;
  bool overflow = false;
  if (std::optional<std::uint64_t> value = parse_uint(text, overflow)) return static_cast<double>(*value);
  origin.fail(node, path, fmt::format("expected a number, got {}", describe(node)));
}

bool read_bool(const Origin& origin, const YAML::Node& node, std::string_view path) {
  plain_scalar(origin, node, path, "true or false");
  bool value = false;
  if (!YAML::convert<bool>::decode(node, value)) {
    origin.fail(node, path, fmt::format("expected true or false, got {}", describe(node)));
  }
  return value;
}

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 either.
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

std::string read_string(const Origin& origin, const YAML::Node& node, std::string_view path) {
  if (is_null(node)) origin.fail(node, path, "has no value; expected a string");
  if (!node.IsScalar()) origin.fail(node, path, fmt::format("expected a string, got {}", describe(node)));
  // The string ends up in the JSON report, which must be UTF-8.
  if (!valid_utf8(node.Scalar())) origin.fail(node, path, "is not valid UTF-8");
  return node.Scalar();
}

std::size_t read_choice(const Origin& origin, const YAML::Node& node, std::string_view path,
                        std::span<const std::string_view> choices) {
  std::string expected = fmt::format("one of {}", fmt::join(choices, " | "));
  if (is_null(node)) origin.fail(node, path, fmt::format("has no value; expected {}", expected));
  if (!node.IsScalar()) origin.fail(node, path, fmt::format("expected {}, got {}", expected, describe(node)));
  const std::string& text = node.Scalar();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return i;
  }
  std::string problem = fmt::format("expected {}, got {}", expected, describe(node));
  if (auto near = closest(text, choices)) problem += fmt::format("; did you mean '{}'?", *near);
  origin.fail(node, path, problem);
}

std::string describe(const YAML::Node& node) {
  if (is_null(node)) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (is_quoted(node)) return fmt::format("the string \"{}\"", node.Scalar());
  return fmt::format("'{}'", node.Scalar());
}

}  // namespace irqrig::host::scenario_internal
