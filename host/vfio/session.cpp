#include "host/vfio/session.h"

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

namespace {

unsigned checked_group(const HostPaths& paths, const std::string& bdf) {
  const unsigned group = iommu_group_of(paths, bdf);
  const auto driver = bound_driver(paths, bdf);
  if (driver != "vfio-pci")
    throw VfioError(bdf + " is bound to " + (driver ? "driver " + *driver : std::string("no driver")) +
                    ", not vfio-pci: run 'irqrig-vfio bind " + bdf + "' (as root) first");
  return group;
}

// The kernel's order: the group joins the container, the container gets its IOMMU, then the
// group hands out the device.
UniqueFd attach_and_open(Container& container, Group& group, const std::string& bdf) {
  group.attach(container);
  container.set_iommu();
  return group.open_device(bdf);
}

}  // namespace

Session::Session(const std::string& bdf, const HostPaths& paths)
    : bdf_(canonical_bdf(bdf)),
      group_number_(checked_group(paths, bdf_)),
      container_(paths.vfio_dir() / "vfio"),
      group_(group_number_, paths.vfio_dir()),
      device_(attach_and_open(container_, group_, bdf_), bdf_) {}

}  // namespace irqrig::host::vfio
