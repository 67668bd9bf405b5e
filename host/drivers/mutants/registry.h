// The built-in mutants by name: each a buggy copy of the reference driver, the stock scenario that
// catches it and the check that fails there (`--driver mutant:NAME`, `irqrig list mutants`).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "irqrig/rig.h"

namespace irqrig::host {

struct Mutant {
  std::string_view name;         ///< as in `mutant:NAME`
  std::string_view description;  ///< the bug, in one line
  std::string_view scenario;     ///< the stock scenario that catches it, e.g. scenarios/default.yaml
  std::string_view check;        ///< the report's check that fails there
  const IRQRIG_DRIVER* driver;
};

/// Every mutant, in the order `irqrig list mutants` prints them.
std::span<const Mutant> mutants();

/// The mutant called `name`, or nullptr.
const Mutant* find_mutant(std::string_view name);

/// "a, b, c": the names, for an error that lists what there is.
std::string mutant_names();

}  // namespace irqrig::host
