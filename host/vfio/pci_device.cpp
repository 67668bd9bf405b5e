#include "host/vfio/pci_device.h"

#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {

bool RegionInfo::readable() const {
  return (flags & VFIO_REGION_INFO_FLAG_READ) != 0;
}
bool RegionInfo::writable() const {
  return (flags & VFIO_REGION_INFO_FLAG_WRITE) != 0;
}
bool RegionInfo::mmappable() const {
  return (flags & VFIO_REGION_INFO_FLAG_MMAP) != 0;
}
bool IrqInfo::eventfd() const {
  return (flags & VFIO_IRQ_INFO_EVENTFD) != 0;
}

PciDevice::PciDevice(UniqueFd fd, std::string bdf) : fd_(std::move(fd)), bdf_(std::move(bdf)) {
  vfio_device_info info{};
  info.argsz = sizeof(info);
  if (::ioctl(fd_.get(), VFIO_DEVICE_GET_INFO, &info) != 0)
    throw_errno("VFIO_DEVICE_GET_INFO on " + bdf_ + " failed", errno);
  if ((info.flags & VFIO_DEVICE_FLAGS_PCI) == 0)
    throw VfioError(bdf_ + " is not a PCI device as VFIO sees it (bound to a non-PCI VFIO driver?)");
  flags_ = info.flags;
  num_regions_ = info.num_regions;
  num_irqs_ = info.num_irqs;
}

bool PciDevice::can_reset() const {
  return (flags_ & VFIO_DEVICE_FLAGS_RESET) != 0;
}

RegionInfo PciDevice::region_info(unsigned index) const {
  if (index >= num_regions_)
    throw VfioError("region " + std::to_string(index) + " of " + bdf_ + " does not exist (the device has " +
                    std::to_string(num_regions_) + ")");
  vfio_region_info info{};
  info.argsz = sizeof(info);
  info.index = index;
  if (::ioctl(fd_.get(), VFIO_DEVICE_GET_REGION_INFO, &info) != 0)
    throw_errno("VFIO_DEVICE_GET_REGION_INFO " + std::to_string(index) + " on " + bdf_ + " failed", errno);
  return RegionInfo{index, info.flags, info.size, info.offset};
}

IrqInfo PciDevice::irq_info(unsigned index) const {
  if (index >= num_irqs_)
    throw VfioError("interrupt index " + std::to_string(index) + " of " + bdf_ + " does not exist");
  vfio_irq_info info{};
  info.argsz = sizeof(info);
  info.index = index;
  if (::ioctl(fd_.get(), VFIO_DEVICE_GET_IRQ_INFO, &info) != 0)
    throw_errno("VFIO_DEVICE_GET_IRQ_INFO " + std::to_string(index) + " on " + bdf_ + " failed", errno);
  return IrqInfo{index, info.flags, info.count};
}

void PciDevice::set_irq_eventfds(unsigned index, unsigned start, std::span<const int> eventfds) {
  // vfio_irq_set ends in a flexible array: one int32 eventfd per vector follows the header.
  std::vector<std::byte> buffer(sizeof(vfio_irq_set) + eventfds.size_bytes());
  auto* set = reinterpret_cast<vfio_irq_set*>(buffer.data());
  set->argsz = static_cast<std::uint32_t>(buffer.size());
  set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
  set->index = index;
  set->start = start;
  set->count = static_cast<std::uint32_t>(eventfds.size());
  std::memcpy(buffer.data() + sizeof(vfio_irq_set), eventfds.data(), eventfds.size_bytes());
  if (::ioctl(fd_.get(), VFIO_DEVICE_SET_IRQS, set) != 0)
    throw_errno("VFIO_DEVICE_SET_IRQS (" + std::to_string(eventfds.size()) + " eventfds on index " +
                    std::to_string(index) + ") on " + bdf_ + " failed",
                errno, "The host may be short of interrupt vectors, or the device lacks that capability");
}

void PciDevice::disable_irqs(unsigned index) {
  vfio_irq_set set{};
  set.argsz = sizeof(set);
  set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
  set.index = index;
  if (::ioctl(fd_.get(), VFIO_DEVICE_SET_IRQS, &set) != 0)
    throw_errno("disabling interrupt index " + std::to_string(index) + " on " + bdf_ + " failed", errno);
}

void PciDevice::reset() {
  if (::ioctl(fd_.get(), VFIO_DEVICE_RESET) != 0)
    throw_errno("VFIO_DEVICE_RESET on " + bdf_ + " failed", errno,
                can_reset() ? "" : "The device offers no reset method (no FLR, no bus reset)");
}

}  // namespace irqrig::host::vfio
