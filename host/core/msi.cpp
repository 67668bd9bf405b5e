#include "host/core/msi.h"

#include <fmt/format.h>

namespace irqrig::host {

MsiMessage decode_msi(std::uint64_t address, std::uint32_t data) {
  MsiMessage m;
  m.destination = static_cast<std::uint8_t>((address >> 12) & 0xFF);
  m.redirection_hint = (address >> 3) & 1;
  m.logical = (address >> 2) & 1;
  m.vector = static_cast<std::uint8_t>(data & 0xFF);
  m.delivery = static_cast<DeliveryMode>((data >> 8) & 7);
  m.level_assert = (data >> 14) & 1;
  m.level_trigger = (data >> 15) & 1;
  return m;
}

std::uint64_t msi_address(std::uint8_t destination) { return 0xFEE00000u | std::uint64_t{destination} << 12; }
std::uint32_t msi_data(std::uint8_t vector) { return vector; }

std::optional<std::string> unsupported_reason(const MsiMessage& m) {
  if (m.vector < 16) return fmt::format("vector {:#04x} is reserved (0-15 are illegal)", m.vector);
  if (m.redirection_hint) return std::string("redirection hint set (only RH=0 is modelled)");
  if (m.logical) return std::string("logical destination mode (only physical is modelled)");
  if (m.delivery != DeliveryMode::kFixed && m.delivery != DeliveryMode::kLowestPriority)
    return fmt::format("delivery mode {} (only fixed and lowest priority are modelled)", static_cast<int>(m.delivery));
  if (m.level_trigger) return std::string("level-triggered message (MSI is edge)");
  return std::nullopt;
}

}  // namespace irqrig::host
