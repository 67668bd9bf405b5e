// PCI configuration space of a VFIO device, read and written through its config region, with the
// few header and capability walks the rig needs (command register, capability lookup).
#pragma once

#include <cstdint>
#include <optional>

#include "host/vfio/region.h"

namespace irqrig::host::vfio {

class PciDevice;

class ConfigSpace {
 public:
  static constexpr std::uint16_t kCommand = 0x04;
  static constexpr std::uint16_t kCommandMemory = 1u << 1;
  static constexpr std::uint16_t kCommandBusMaster = 1u << 2;
  static constexpr std::uint8_t kCapMsi = 0x05;
  static constexpr std::uint8_t kCapMsix = 0x11;

  /// The config region of `device` (VFIO_PCI_CONFIG_REGION_INDEX); `device` must outlive this.
  explicit ConfigSpace(const PciDevice& device);
  /// Any region laid out as a config space (tests pass a file).
  explicit ConfigSpace(Region region) : region_(std::move(region)) {}

  std::uint32_t read(std::uint16_t offset, unsigned size) const {
    return static_cast<std::uint32_t>(region_.read(offset, size));
  }
  void write(std::uint16_t offset, std::uint32_t value, unsigned size) { region_.write(offset, value, size); }
  std::uint16_t vendor_id() const { return static_cast<std::uint16_t>(read(0x00, 2)); }
  std::uint16_t device_id() const { return static_cast<std::uint16_t>(read(0x02, 2)); }

  /// Sets Memory Space and Bus Master Enable: a device behind VFIO starts with bus mastering off,
  /// and without it every DMA (and every MSI, which is a DMA write) is dropped.
  void enable_memory_and_bus_master();
  /// Offset of the first capability with this ID in the standard list, if present.
  std::optional<std::uint8_t> find_capability(std::uint8_t id) const;

 private:
  Region region_;
};

}  // namespace irqrig::host::vfio
