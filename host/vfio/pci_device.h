// A device opened through VFIO: its region and interrupt descriptions, interrupt wiring
// (VFIO_DEVICE_SET_IRQS) and reset. Accesses to the regions go through Region and ConfigSpace.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "host/vfio/owners.h"

namespace irqrig::host::vfio {

/// VFIO_DEVICE_GET_REGION_INFO: where a BAR or the config space sits in the device file.
struct RegionInfo {
  unsigned index = 0;
  std::uint32_t flags = 0;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;  ///< file offset of the region in the device fd
  bool readable() const;
  bool writable() const;
  bool mmappable() const;
};

/// VFIO_DEVICE_GET_IRQ_INFO: how many vectors an interrupt index (INTx, MSI, MSI-X) offers.
struct IrqInfo {
  unsigned index = 0;
  std::uint32_t flags = 0;
  std::uint32_t count = 0;
  bool eventfd() const;
};

class PciDevice {
 public:
  PciDevice(UniqueFd fd, std::string bdf);

  int fd() const { return fd_.get(); }
  const std::string& bdf() const { return bdf_; }
  unsigned num_regions() const { return num_regions_; }
  unsigned num_irqs() const { return num_irqs_; }
  bool can_reset() const;

  RegionInfo region_info(unsigned index) const;
  IrqInfo irq_info(unsigned index) const;

  /// Wires vectors start.. of interrupt `index` to `eventfds` (VFIO_IRQ_SET_DATA_EVENTFD); the
  /// kernel enables MSI/MSI-X on the device as a side effect.
  void set_irq_eventfds(unsigned index, unsigned start, std::span<const int> eventfds);
  /// Disables interrupt `index` (MSI/MSI-X off on the device).
  void disable_irqs(unsigned index);
  /// VFIO_DEVICE_RESET (function-level or bus reset, whichever the kernel has).
  void reset();

 private:
  UniqueFd fd_;
  std::string bdf_;
  std::uint32_t flags_ = 0;
  unsigned num_regions_ = 0;
  unsigned num_irqs_ = 0;
};

}  // namespace irqrig::host::vfio
