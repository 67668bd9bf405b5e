#include "host/vfio/binder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

namespace fs = std::filesystem;

namespace {

constexpr const char* kVfioPci = "vfio-pci";

// The drivers the kernel lets share a group with a device in user space: vfio-pci itself,
// pci-stub (claims without touching the device) and pcieport (bridges, which do no DMA of their own).
bool group_friendly(const std::optional<std::string>& driver) {
  return !driver || *driver == kVfioPci || *driver == "pci-stub" || *driver == "pcieport";
}

}  // namespace

void Binder::write_attribute(const fs::path& file, const std::string& value, const std::string& why) const {
  // sysfs attributes take one write() of the whole value; an error comes back from that write.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  int err = 0;
  if (fd < 0) {
    err = errno;
  } else {
    if (::write(fd, value.data(), value.size()) != static_cast<ssize_t>(value.size())) err = errno != 0 ? errno : EIO;
    ::close(fd);
  }
  if (err == 0) return;
  if (err == EACCES || err == EPERM)
    throw_errno(why + " (writing " + file.string() + ")", err,
                "Binding a device needs root: run 'sudo irqrig-vfio bind ...'");
  throw_errno(why + " (writing " + file.string() + ")", err);
}

void Binder::check_group(const std::string& bdf, unsigned group) const {
  for (const std::string& member : group_members(paths_, group)) {
    if (member == bdf) continue;
    const auto driver = bound_driver(paths_, member);
    if (!group_friendly(driver))
      throw VfioError("device " + member + " shares IOMMU group " + std::to_string(group) + " with " + bdf +
                      " and is in use by driver " + *driver + ": VFIO hands out whole groups, so unbind it too (echo " +
                      member + " > " + (paths_.pci_device(member) / "driver/unbind").string() +
                      ") or move the card to a slot with a group of its own");
  }
}

BindOutcome Binder::bind(const std::string& bdf_text) const {
  BindOutcome out;
  out.bdf = canonical_bdf(bdf_text);
  const fs::path dev = require_pci_device(paths_, out.bdf);
  require_iommu(paths_);
  out.group = iommu_group_of(paths_, out.bdf);
  out.previous_driver = bound_driver(paths_, out.bdf);
  out.already_bound = out.previous_driver == kVfioPci;

  std::error_code ec;
  if (!fs::is_directory(paths_.pci_driver(kVfioPci), ec))
    throw VfioError("the vfio-pci driver is not loaded (" + paths_.pci_driver(kVfioPci).string() +
                    " is missing): run 'modprobe vfio-pci'");
  check_group(out.bdf, out.group);

  if (!out.already_bound) {
    // driver_override first: once unbound, nothing but vfio-pci may claim the device, not even
    // its own driver coming back through a hotplug event.
    write_attribute(dev / "driver_override", kVfioPci, "cannot set the driver override of " + out.bdf);
    if (out.previous_driver) {
      const std::string why =
          "cannot unbind " + out.bdf + " from driver " + *out.previous_driver +
          " (the device is in use: stop what uses it, e.g. take its network interface down or unmount its disks)";
      write_attribute(dev / "driver/unbind", out.bdf, why);
    }
    write_attribute(paths_.pci_driver(kVfioPci) / "bind", out.bdf, "vfio-pci refused " + out.bdf);
    const auto now = bound_driver(paths_, out.bdf);
    if (now != kVfioPci)
      throw VfioError(out.bdf + " is bound to " + (now ? *now : std::string("no driver")) +
                      " after binding it to vfio-pci: check 'dmesg' for vfio-pci's reason (a device with an "
                      "unsupported header type or no IOMMU group)");
  }

  const fs::path node = paths_.vfio_dir() / std::to_string(out.group);
  out.group_node = node.string();
  if (!fs::exists(node, ec))
    throw VfioError(node.string() + " did not appear after binding " + out.bdf +
                    " to vfio-pci: check 'dmesg', and that devtmpfs/udev runs");
  if (::access(node.c_str(), R_OK | W_OK) != 0)
    throw_errno("no read-write access to " + node.string(), errno,
                "Run the rig as root, or 'chown $USER " + node.string() +
                    "' (a udev rule makes it last) and raise 'ulimit -l' for DMA");
  return out;
}

}  // namespace irqrig::host::vfio
