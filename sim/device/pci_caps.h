// PCI MSI / MSI-X capability bits and the byte-enable helpers of a DW config write, shared by the
// backends that shadow or watch a card's capabilities (host/vfio, host/replay's recorder).
#pragma once

#include <cstdint>

namespace irqrig::sim::pci {

// PCI 3.0 6.8 (Linux pci_regs.h names): capability IDs and Message Control bits, here as bits of
// the capability's first DW (Message Control is its upper half).
inline constexpr std::uint8_t kCapIdMsi = 0x05, kCapIdMsix = 0x11;
inline constexpr std::uint32_t kMsixEnable = 1u << 31, kMsixFunctionMask = 1u << 30;
inline constexpr std::uint32_t kMsiEnable = 1u << 16, kMsi64Bit = 1u << 23, kMsiPerVectorMask = 1u << 24;
inline constexpr unsigned kMsiMmcShift = 17, kMsiMmeShift = 20;
/// The 64-bit MSI capability with per-vector masking: its DWs after the first, as offsets from it.
inline constexpr std::uint16_t kMsiAddressLo = 0x4, kMsiAddressHi = 0x8, kMsiData = 0xC, kMsiMask = 0x10;

/// The 32-bit lane mask of a DW write's byte enables (bit b enables byte b).
constexpr std::uint32_t lanes_of(std::uint8_t byte_enable) {
  std::uint32_t m = 0;
  for (unsigned b = 0; b < 4; ++b)
    if (byte_enable >> b & 1) m |= 0xFFu << (8 * b);
  return m;
}

/// `old` with the lanes written replaced by `value`'s.
constexpr std::uint32_t merge(std::uint32_t old, std::uint32_t value, std::uint32_t lanes) {
  return (old & ~lanes) | (value & lanes);
}

}  // namespace irqrig::sim::pci
