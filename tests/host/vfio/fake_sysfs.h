// A throw-away sysfs/dev tree laid out like Linux's, for the VFIO layer's error-path tests:
// PCI devices with IOMMU group and driver links, driver directories, /dev/vfio nodes.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "host/vfio/sysfs.h"

namespace irqrig::host::vfio::testing {

class FakeSysfs {
 public:
  FakeSysfs();
  ~FakeSysfs();
  FakeSysfs(const FakeSysfs&) = delete;
  FakeSysfs& operator=(const FakeSysfs&) = delete;

  const HostPaths& paths() const { return paths_; }

  /// A driver directory with bind/unbind attributes.
  void add_driver(const std::string& name);
  /// A PCI device; `group` makes the iommu_group link and the group's devices entry; `driver`
  /// (added when missing) makes the driver link.
  void add_device(const std::string& bdf, std::optional<unsigned> group,
                  std::optional<std::string> driver = std::nullopt);
  /// /dev/vfio/<group>.
  void add_group_node(unsigned group);
  /// Empties /sys/kernel/iommu_groups, as on a machine with the IOMMU off.
  void remove_iommu_groups();
  /// Replaces a driver's `attribute` file with a directory, so a write to it fails.
  void break_attribute(const std::string& driver, const std::string& attribute);

  std::string read(const std::filesystem::path& file) const;

 private:
  std::filesystem::path root_;
  HostPaths paths_;
};

}  // namespace irqrig::host::vfio::testing
