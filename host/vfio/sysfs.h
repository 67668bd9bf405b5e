// What Linux's sysfs says about a PCI device (its IOMMU group, its driver), read under a root
// directory that tests replace with a fake tree; and the BDF spelling VFIO expects.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace irqrig::host::vfio {

/// Where the kernel's trees are: "/sys" and "/dev" on a live system, a temporary directory in tests.
struct HostPaths {
  std::filesystem::path sysfs{"/sys"};
  std::filesystem::path dev{"/dev"};

  std::filesystem::path pci_device(const std::string& bdf) const { return sysfs / "bus/pci/devices" / bdf; }
  std::filesystem::path pci_driver(const std::string& name) const { return sysfs / "bus/pci/drivers" / name; }
  std::filesystem::path iommu_groups() const { return sysfs / "kernel/iommu_groups"; }
  std::filesystem::path vfio_dir() const { return dev / "vfio"; }
};

/// "0000:01:00.0" from "0000:01:00.0" or "01:00.0" (domain 0 assumed), lower-cased.
/// Throws VfioError naming the expected form for anything else.
std::string canonical_bdf(std::string_view text);

/// The PCI device directory; throws VfioError when there is no such device.
std::filesystem::path require_pci_device(const HostPaths& paths, const std::string& bdf);

/// Throws VfioError telling how to turn the IOMMU on when sysfs shows no IOMMU groups.
void require_iommu(const HostPaths& paths);

/// The IOMMU group number of a device (its iommu_group link). Throws VfioError when it has none.
unsigned iommu_group_of(const HostPaths& paths, const std::string& bdf);

/// Every device in IOMMU group `group`, sorted.
std::vector<std::string> group_members(const HostPaths& paths, unsigned group);

/// The name of the driver bound to the device, or nothing when it is unbound.
std::optional<std::string> bound_driver(const HostPaths& paths, const std::string& bdf);

}  // namespace irqrig::host::vfio
