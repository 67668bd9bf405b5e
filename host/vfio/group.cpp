#include "host/vfio/group.h"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "host/vfio/container.h"
#include "host/vfio/error.h"

namespace irqrig::host::vfio {

Group::Group(unsigned number, const std::filesystem::path& dev_vfio) : number_(number) {
  const auto node = dev_vfio / std::to_string(number);
  fd_.reset(::open(node.c_str(), O_RDWR | O_CLOEXEC));
  if (fd_) return;
  const int err = errno;
  const std::string what = "cannot open VFIO group " + node.string();
  if (err == ENOENT)
    throw_errno(
        what, err,
        "No device of IOMMU group " + std::to_string(number) + " is bound to vfio-pci: run 'irqrig-vfio bind BDF'");
  if (err == EACCES || err == EPERM)
    throw_errno(what, err, "Run as root, or 'chown $USER " + node.string() + "' (a udev rule makes it last)");
  if (err == EBUSY) throw_errno(what, err, "Another process holds this group (a VM or another irqrig): stop it first");
  throw_errno(what, err);
}

bool Group::viable() const {
  vfio_group_status status{};
  status.argsz = sizeof(status);
  if (::ioctl(fd_.get(), VFIO_GROUP_GET_STATUS, &status) != 0)
    throw_errno("VFIO_GROUP_GET_STATUS on group " + std::to_string(number_) + " failed", errno);
  return (status.flags & VFIO_GROUP_FLAGS_VIABLE) != 0;
}

void Group::attach(Container& container) {
  if (!viable())
    throw VfioError(
        "VFIO group " + std::to_string(number_) +
        " is not viable: every device in it must be bound to vfio-pci or to no driver (ls /sys/kernel/iommu_groups/" +
        std::to_string(number_) + "/devices; 'irqrig-vfio bind BDF' checks them)");
  int container_fd = container.fd();
  if (::ioctl(fd_.get(), VFIO_GROUP_SET_CONTAINER, &container_fd) != 0)
    throw_errno("VFIO_GROUP_SET_CONTAINER for group " + std::to_string(number_) + " failed", errno);
}

UniqueFd Group::open_device(const std::string& bdf) {
  const int fd = ::ioctl(fd_.get(), VFIO_GROUP_GET_DEVICE_FD, bdf.c_str());
  if (fd < 0) {
    const int err = errno;
    throw_errno("cannot open device " + bdf + " in VFIO group " + std::to_string(number_), err,
                err == EBUSY
                    ? "The device is open elsewhere (a VM or another irqrig)"
                    : "Check the BDF (lspci -D) and that the group was attached to a container with an IOMMU set");
  }
  return UniqueFd(fd);
}

}  // namespace irqrig::host::vfio
