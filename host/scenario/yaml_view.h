// Checked access to a scenario's YAML tree: typed reads of scalars, maps and lists that throw a
// ScenarioError naming file, line, column and dotted key, including keys that came from `--set`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace irqrig::host::scenario_internal {

/// Where a node came from: the scenario file, or a `--set` override that replaced the subtree at a
/// key path. Errors under an overridden path name `--set` and the override, since the file's line
/// would point at a value the user never wrote.
class Origin {
 public:
  explicit Origin(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  /// Records that the subtree at dotted `path` now comes from the override `text`.
  void add_override(std::string path, std::string text);

  /// The override text that owns `path` (the last one covering it), if any.
  const std::string* override_for(std::string_view path) const;

  /// Remembers where the key of `value` is, for errors that are about the key rather than the value.
  void note_key(const YAML::Node& value, const YAML::Mark& key_mark);

  /// Throws for the node `at` (its key when `at` is empty: `seed:` is marked wherever the next token is).
  [[noreturn]] void fail(const YAML::Node& at, std::string_view path, std::string_view problem) const;

  /// Throws at the key of `at` (a whole section's problem; a block value starts on the next line).
  [[noreturn]] void fail_at_key(const YAML::Node& at, std::string_view path, std::string_view problem) const;

 private:
  std::string file_;
  std::vector<std::pair<std::string, std::string>> overrides_;  // (path, text) in application order
  std::vector<std::pair<YAML::Node, YAML::Mark>> key_marks_;    // (value, mark of its key)

  [[noreturn]] void raise(const YAML::Node& at, std::string_view path, std::string_view problem, bool at_key) const;
};

/// `parent.key`, or `key` at the top level.
std::string join_path(std::string_view parent, std::string_view key);

/// The closest of `candidates` to `word` when it is close enough to be a likely typo.
std::optional<std::string> closest(std::string_view word, std::span<const std::string_view> candidates);

/// A map node whose keys have been checked against the schema (no unknown or repeated keys).
class MapView {
 public:
  /// Fails unless `node` is a map whose keys are all schema children of `path`.
  MapView(Origin& origin, const YAML::Node& node, std::string path);

  /// The value at `key`, or nullopt when absent.
  std::optional<YAML::Node> get(std::string_view key) const;

  /// The value at `key`, failing when absent.
  YAML::Node require(std::string_view key) const;

  std::string child(std::string_view key) const { return join_path(path_, key); }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  bool empty() const { return entries_.empty(); }

 private:
  Origin& origin_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

/// True for `key:` with no value, `~` and `null`: treated as absent for optional sections.
bool is_null(const YAML::Node& node);

/// The entries of a map node whose keys are free-form (`expect:`); fails on non-scalar or repeated keys.
std::vector<std::pair<YAML::Node, YAML::Node>> map_entries(Origin& origin, const YAML::Node& node,
                                                           std::string_view path);

/// The items of a list node; fails on anything else.
std::vector<YAML::Node> list_items(const Origin& origin, const YAML::Node& node, std::string_view path);

std::uint64_t read_uint(const Origin& origin, const YAML::Node& node, std::string_view path, std::uint64_t min = 0,
                        std::uint64_t max = UINT64_MAX);
double read_number(const Origin& origin, const YAML::Node& node, std::string_view path);
bool read_bool(const Origin& origin, const YAML::Node& node, std::string_view path);
/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);
/// A scalar as a string; refuses one that is not valid UTF-8.
std::string read_string(const Origin& origin, const YAML::Node& node, std::string_view path);

/// One of `choices` (by index), with a suggestion when the value is a near miss.
std::size_t read_choice(const Origin& origin, const YAML::Node& node, std::string_view path,
                        std::span<const std::string_view> choices);

/// "a map", "a list", "the string \"x\"", "nothing": what the user wrote, for type errors.
std::string describe(const YAML::Node& node);

}  // namespace irqrig::host::scenario_internal
