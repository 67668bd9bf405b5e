#include "host/vfio/config_space.h"

#include <linux/vfio.h>

#include "host/vfio/pci_device.h"

namespace irqrig::host::vfio {

ConfigSpace::ConfigSpace(const PciDevice& device)
    : region_(device.fd(), device.region_info(VFIO_PCI_CONFIG_REGION_INDEX), "config space of " + device.bdf()) {}

void ConfigSpace::enable_memory_and_bus_master() {
  const auto command = static_cast<std::uint16_t>(read(kCommand, 2));
  write(kCommand, command | kCommandMemory | kCommandBusMaster, 2);
}

std::optional<std::uint8_t> ConfigSpace::find_capability(std::uint8_t id) const {
  constexpr std::uint16_t kStatus = 0x06;
  constexpr std::uint16_t kStatusCapList = 1u << 4;
  constexpr std::uint16_t kCapPointer = 0x34;
  if ((read(kStatus, 2) & kStatusCapList) == 0) return std::nullopt;
  auto at = static_cast<std::uint8_t>(read(kCapPointer, 1) & 0xFC);
  // 48 entries fit in the 192 bytes after the header: a longer walk is a loop in a broken list.
  for (int guard = 0; at >= 0x40 && guard < 48; ++guard) {
    if (read(at, 1) == id) return at;
    at = static_cast<std::uint8_t>(read(at + 1u, 1) & 0xFC);
  }
  return std::nullopt;
}

}  // namespace irqrig::host::vfio
