// Hands a PCI card to vfio-pci the way the kernel documents it (driver_override, unbind, bind),
// after checking the IOMMU and the card's IOMMU group, with an error that says what to do.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/vfio/sysfs.h"

namespace irqrig::host::vfio {

/// What bind() found and did, for the tool to print.
struct BindOutcome {
  std::string bdf;
  unsigned group = 0;
  std::optional<std::string> previous_driver;  ///< the driver it was taken from, if any
  bool already_bound = false;                  ///< it was on vfio-pci before: nothing was written
  std::string group_node;                      ///< /dev/vfio/N, ready for this user
};

class Binder {
 public:
  explicit Binder(HostPaths paths = {}) : paths_(std::move(paths)) {}

  /// Binds `bdf` to vfio-pci. Checks, in order, each failure a VfioError: the device exists; the
  /// IOMMU is on and the device has a group; vfio-pci is loaded; every other device of the group
  /// is on vfio-pci, pci-stub, pcieport (bridges) or no driver; the unbind, override and bind
  /// writes succeed and the device ends up on vfio-pci; /dev/vfio/N exists and is read-writable.
  BindOutcome bind(const std::string& bdf) const;

 private:
  void check_group(const std::string& bdf, unsigned group) const;
  void write_attribute(const std::filesystem::path& file, const std::string& value, const std::string& why) const;

  HostPaths paths_;
};

}  // namespace irqrig::host::vfio
