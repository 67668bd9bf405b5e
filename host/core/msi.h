// Decoding of message-signalled interrupts as the root complex sees them (SEMANTICS B1-B3).
// A device write to 0xFEEx_xxxx is an interrupt message; this turns address and data into its fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace irqrig::host {

enum class DeliveryMode : std::uint8_t { kFixed = 0, kLowestPriority = 1, kSmi = 2, kNmi = 4, kInit = 5, kExtInt = 7 };

struct MsiMessage {
  std::uint8_t destination = 0;  ///< APIC ID, address bits 19:12
  bool redirection_hint = false; ///< address bit 3
  bool logical = false;          ///< destination mode, address bit 2
  std::uint8_t vector = 0;       ///< data bits 7:0
  DeliveryMode delivery = DeliveryMode::kFixed;
  bool level_assert = false;     ///< data bit 14
  bool level_trigger = false;    ///< data bit 15
};

/// True when a device write to this address is an interrupt message, not memory (B1).
constexpr bool is_msi_address(std::uint64_t address) { return (address >> 20) == 0xFEE; }

/// Decodes without judging.
MsiMessage decode_msi(std::uint64_t address, std::uint32_t data);
/// Builds the address/data the OS programs into a device for a fixed, physical, edge message.
std::uint64_t msi_address(std::uint8_t destination);
std::uint32_t msi_data(std::uint8_t vector);

/// Why the model will not deliver this message, or nothing if it will (B2, B3 [choice]:
/// physical destination, RH=0, fixed or lowest-priority delivery, edge, vector >= 16).
std::optional<std::string> unsupported_reason(const MsiMessage& m);
/// The same judgement without the words, for the root complex's fast path.
constexpr bool is_modelled(const MsiMessage& m) {
  return m.vector >= 16 && !m.redirection_hint && !m.logical && !m.level_trigger &&
         (m.delivery == DeliveryMode::kFixed || m.delivery == DeliveryMode::kLowestPriority);
}

}  // namespace irqrig::host
