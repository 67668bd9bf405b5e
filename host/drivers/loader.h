// Finds the driver under test: the built-in reference driver, a built-in mutant, or a plug-in shared
// library that exports the entry of docs/drivers.md (IrqrigDriverEntry for WDM, DriverEntry for KMDF).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "irqrig/rig.h"

namespace irqrig::host {

/// A driver that cannot be used: a missing file, not a shared library, no entry, a WDK call the
/// rig does not provide. The CLI reports it as bad input (exit code 2).
class DriverLoadError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The driver under test as the runner drives it: started once at PASSIVE_LEVEL on a CPU of the
/// running platform with the device's translated resources, stopped at the end of the run.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual const std::string& name() const = 0;
  virtual NTSTATUS start(const IRQRIG_RESOURCES& resources) = 0;
  virtual void stop() = 0;
  /// Why the last start failed, beyond its status; empty when there is nothing to add.
  virtual std::string failure() const { return {}; }
};

/// `reference`, `mutant:NAME` (host/drivers/mutants/registry.h), or the path of a plug-in (anything
/// else). Throws DriverLoadError, also for an unknown mutant (naming the known ones).
std::unique_ptr<Driver> load_driver(const std::string& spec);

}  // namespace irqrig::host
