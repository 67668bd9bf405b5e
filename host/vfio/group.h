// A VFIO group (/dev/vfio/N): the unit of isolation the IOMMU gives; it joins a container and
// hands out the file descriptors of its devices.
#pragma once

#include <filesystem>
#include <string>

#include "host/vfio/owners.h"

namespace irqrig::host::vfio {

class Container;

class Group {
 public:
  /// Opens /dev/vfio/<number> (under `dev_vfio`). Closing it later detaches it from its container.
  explicit Group(unsigned number, const std::filesystem::path& dev_vfio = "/dev/vfio");

  unsigned number() const { return number_; }
  /// Every device of the group is bound to vfio-pci (or to no driver).
  bool viable() const;
  /// Joins `container`; the group must be viable.
  void attach(Container& container);
  /// VFIO_GROUP_GET_DEVICE_FD for a device of this group, named by its full BDF (0000:01:00.0).
  UniqueFd open_device(const std::string& bdf);

 private:
  UniqueFd fd_;
  unsigned number_;
};

}  // namespace irqrig::host::vfio
