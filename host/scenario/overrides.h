// `--set KEY=VALUE` overrides: parsing the text and grafting the YAML value into a scenario's tree
// before validation, so an override is checked exactly like the file it changes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "host/scenario/yaml_view.h"

namespace irqrig::host::scenario_internal {

/// Applies `text` ("a.b.c=VALUE"; VALUE is YAML; numeric parts index lists, one past the end
/// appends) to the map `root`, creating missing maps, and records the path in `origin` so later
/// errors under it name `--set`. Throws ScenarioError with file `--set` and line 0.
void apply_override(YAML::Node& root, const std::string& text, Origin& origin);

}  // namespace irqrig::host::scenario_internal
