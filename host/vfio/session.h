// Opens one PCI device through VFIO the type1 way: container, its group, the device, in the
// order the kernel requires, and closes them in reverse.
#pragma once

#include <string>

#include "host/vfio/container.h"
#include "host/vfio/group.h"
#include "host/vfio/pci_device.h"
#include "host/vfio/sysfs.h"

namespace irqrig::host::vfio {

/// The container, group and device of one opened card. Objects made from it (Region, ConfigSpace,
/// DmaBuffer, InterruptVectors) borrow from it and must be destroyed first.
class Session {
 public:
  /// `bdf` in any form canonical_bdf accepts; the device must be bound to vfio-pci.
  explicit Session(const std::string& bdf, const HostPaths& paths = {});

  Container& container() { return container_; }
  Group& group() { return group_; }
  PciDevice& device() { return device_; }

 private:
  // Declaration order is the opening order: sysfs is checked before any VFIO node is opened (its
  // errors say more), and the VFIO objects are destroyed in reverse, as the kernel requires.
  std::string bdf_;
  unsigned group_number_;
  Container container_;
  Group group_;
  PciDevice device_;
};

}  // namespace irqrig::host::vfio
