#include "host/scenario/overrides.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "host/scenario/scenario.h"

namespace irqrig::host::scenario_internal {
namespace {

constexpr std::string_view kUsage = "expected KEY=VALUE, e.g. device.interrupts.vectors=8";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_key(std::string_view key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string join_parts(const std::vector<std::string>& parts, std::size_t first, std::size_t last) {
  std::string out = parts[first];
  for (std::size_t i = first + 1; i <= last; ++i) out += "." + parts[i];
  return out;
}

bool has_key(const YAML::Node& map, const std::string& name) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == name) return true;
  }
  return false;
}

std::optional<std::size_t> parse_index(const std::string& part) {
  if (part.empty() || part.size() > 9 ||
      !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoul(part);
}

[[noreturn]] void fail_override(const std::string& text, const std::string& path, std::string_view problem) {
  throw ScenarioError("--set", 0, path, fmt::format("{} (from --set {})", problem, text));
}

}  // namespace

void apply_override(YAML::Node& root, const std::string& text, Origin& origin) {
  std::size_t equals = text.find('=');
  if (equals == std::string::npos) throw ScenarioError("--set", 0, text, std::string(kUsage));
  std::string key(trim(std::string_view(text).substr(0, equals)));
  if (key.empty()) throw ScenarioError("--set", 0, text, fmt::format("empty key; {}", kUsage));
  std::vector<std::string> parts = split_key(key);
  if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
    fail_override(text, key, "empty part in the key");
  }

  YAML::Node value;
  try {
    value = YAML::Load(text.substr(equals + 1));
  } catch (const YAML::Exception& e) {
    fail_override(text, key, fmt::format("the value is not valid YAML: {}", e.msg));
  }

  // Walk down, creating maps as needed. `reset` rebinds the handle; assigning one Node to another
  // would overwrite the node it refers to.
  YAML::Node current = root;
  std::string path;
  std::size_t i = 0;
  while (true) {
    const bool is_map_like = current.IsMap() || current.IsNull();
    if (is_map_like) {
      // `expect:` keys are themselves dotted report paths; the longest existing key wins so that
      // `expect.latency_ns.msi_to_isr.p99=...` replaces the entry the file wrote in that form.
      std::size_t last = i;
      std::string name = parts[i];
      if (current.IsMap()) {
        for (std::size_t j = parts.size() - 1; j > i; --j) {
          std::string candidate = join_parts(parts, i, j);
          if (has_key(current, candidate)) {
            last = j;
            name = candidate;
            break;
          }
        }
      }
      path = join_path(path, name);
      if (last == parts.size() - 1) {
        current[name] = value;
        break;
      }
      if (!current.IsMap() || !has_key(current, name)) current[name] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = current[name];
      current.reset(next);
      i = last + 1;
      continue;
    }
    if (current.IsSequence()) {
      std::optional<std::size_t> index = parse_index(parts[i]);
      if (!index) {
        fail_override(text, path,
                      fmt::format("is a list; expected an index 0..{} after it, got '{}'", current.size(), parts[i]));
      }
      path = join_path(path, parts[i]);
      if (*index > current.size()) {
        fail_override(
            text, path,
            fmt::format("index out of range: the list has {} item(s); {} appends", current.size(), current.size()));
      }
      const bool append = *index == current.size();
      if (i == parts.size() - 1) {
        if (append) {
          current.push_back(value);
        } else {
          current[*index] = value;
        }
        break;
      }
      if (append) current.push_back(YAML::Node(YAML::NodeType::Map));
      YAML::Node next = current[*index];
      current.reset(next);
      ++i;
      continue;
    }
    fail_override(text, path,
                  fmt::format("is {}, not a map or a list; cannot set {} inside it", describe(current), key));
  }
  origin.add_override(path, text);
}

}  // namespace irqrig::host::scenario_internal
