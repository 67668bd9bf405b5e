#include "host/core/lapic.h"

#include <bit>

namespace irqrig::host {

bool Lapic::accept(std::uint8_t vector) {
  if (test(irr_, vector)) {
    ++merged_;
    return false;
  }
  set(irr_, vector);
  ++accepted_;
  return true;
}

std::optional<std::uint8_t> Lapic::highest(const Bits& bits) {
  for (int w = 3; w >= 0; --w) {
    if (bits[static_cast<std::size_t>(w)])
      return static_cast<std::uint8_t>(w * 64 + 63 - std::countl_zero(bits[static_cast<std::size_t>(w)]));
  }
  return std::nullopt;
}

std::uint8_t Lapic::ppr() const {
  const auto in_service = highest(isr_);
  const std::uint8_t isrv_class = in_service ? static_cast<std::uint8_t>(*in_service & 0xF0) : 0;
  return (tpr_ & 0xF0) >= isrv_class ? tpr_ : isrv_class;
}

std::optional<std::uint8_t> Lapic::deliverable() const {
  const auto v = highest(irr_);
  if (!v) return std::nullopt;
  if ((*v >> 4) > (ppr() >> 4)) return v;
  return std::nullopt;
}

void Lapic::take(std::uint8_t vector) {
  clear(irr_, vector);
  set(isr_, vector);
}

std::optional<std::uint8_t> Lapic::eoi() {
  const auto v = highest(isr_);
  if (v) clear(isr_, *v);
  return v;
}

}  // namespace irqrig::host
