// Scenario schema tables: every key a scenario may contain, the report paths `expect:` may bound, and
// the keys this slice of the rig parses but cannot run yet. The loader and its messages read them here.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace irqrig::host::scenario_internal {

/// Every key path of the scenario schema, parents before children; `*` stands for a list index.
std::span<const std::string_view> known_keys();

/// The direct children of `pattern` (a key path with `*` for list indices) in known_keys().
std::vector<std::string_view> child_keys(std::string_view pattern);

/// `path` with each all-digit segment replaced by `*`, the form known_keys() uses.
std::string key_pattern(std::string_view path);

/// The report figures an `expect:` bound may name (DESIGN.md "Report", numbers only, wall_s aside).
std::span<const std::string_view> report_paths();

/// The full report path of an `expect:` alias (`lost` -> `events.lost`), or empty when not an alias.
std::string_view expect_alias(std::string_view key);
std::span<const std::string_view> expect_aliases();

/// True while `key` (a schema key path) names a feature this slice of the rig cannot run yet.
bool not_supported_yet(std::string_view key);

}  // namespace irqrig::host::scenario_internal
