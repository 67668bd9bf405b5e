// A device's MSI or MSI-X vectors wired to eventfds, one per vector (VFIO_DEVICE_SET_IRQS):
// the kernel's interrupt handler signals the eventfd, the rig reads it. Disabled on destruction.
#pragma once

#include <vector>

#include "host/vfio/owners.h"

namespace irqrig::host::vfio {

class PciDevice;

enum class IrqKind { kMsi, kMsix };

class InterruptVectors {
 public:
  /// Enables `count` vectors of `kind` on `device` (which must outlive this).
  InterruptVectors(PciDevice& device, IrqKind kind, unsigned count);
  ~InterruptVectors();
  InterruptVectors(const InterruptVectors&) = delete;
  InterruptVectors& operator=(const InterruptVectors&) = delete;

  unsigned count() const { return static_cast<unsigned>(eventfds_.size()); }
  /// The eventfd of `vector`: readable once it fired, reading returns how often since the last read.
  int eventfd(unsigned vector) const { return eventfds_.at(vector).get(); }

 private:
  PciDevice& device_;
  unsigned index_;
  std::vector<UniqueFd> eventfds_;
};

/// VFIO_PCI_MSI_IRQ_INDEX or VFIO_PCI_MSIX_IRQ_INDEX.
unsigned irq_index(IrqKind kind);

}  // namespace irqrig::host::vfio
