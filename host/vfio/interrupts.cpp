#include "host/vfio/interrupts.h"

#include <linux/vfio.h>
#include <sys/eventfd.h>

#include <cerrno>

#include "host/vfio/error.h"
#include "host/vfio/pci_device.h"

namespace irqrig::host::vfio {

unsigned irq_index(IrqKind kind) {
  return kind == IrqKind::kMsi ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_MSIX_IRQ_INDEX;
}

InterruptVectors::InterruptVectors(PciDevice& device, IrqKind kind, unsigned count)
    : device_(device), index_(irq_index(kind)) {
  const char* name = kind == IrqKind::kMsi ? "MSI" : "MSI-X";
  const IrqInfo info = device_.irq_info(index_);
  if (count == 0 || count > info.count)
    throw VfioError(device_.bdf() + " offers " + std::to_string(info.count) + " " + name + " vectors, " +
                    std::to_string(count) + " were asked for" +
                    (info.count == 0 ? std::string(": the device has no ") + name + " capability" : ""));
  if (!info.eventfd()) throw VfioError(std::string(name) + " of " + device_.bdf() + " cannot signal an eventfd");
  std::vector<int> raw;
  for (unsigned i = 0; i < count; ++i) {
    UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd) throw_errno("eventfd() failed", errno);
    raw.push_back(fd.get());
    eventfds_.push_back(std::move(fd));
  }
  device_.set_irq_eventfds(index_, 0, raw);
}

InterruptVectors::~InterruptVectors() {
  // The kernel disables the vectors when the device fd closes; an error here changes nothing.
  try {
    device_.disable_irqs(index_);
  } catch (const VfioError&) {
  }
}

}  // namespace irqrig::host::vfio
