#include "host/core/lapic.h"

#include <bit>

namespace irqrig::host {

bool Lapic::accept(std::uint8_t vector) {
  if (test(irr_, vector)) {
    ++merged_;
    return false;
  }
  set(irr_, vector);
  if (vector > irr_top_) irr_top_ = vector;
  ++accepted_;
  return true;
}

int Lapic::top(const Bits& bits) {
  for (int w = 3; w >= 0; --w) {
    if (bits[static_cast<std::size_t>(w)]) return w * 64 + 63 - std::countl_zero(bits[static_cast<std::size_t>(w)]);
  }
  return -1;
}

std::optional<std::uint8_t> Lapic::highest(const Bits& bits) {
  const int t = top(bits);
  if (t < 0) return std::nullopt;
  return static_cast<std::uint8_t>(t);
}

std::uint8_t Lapic::ppr() const {
  const std::uint8_t isrv_class = isr_top_ < 0 ? 0 : static_cast<std::uint8_t>(isr_top_ & 0xF0);
  return (tpr_ & 0xF0) >= isrv_class ? tpr_ : isrv_class;
}

std::optional<std::uint8_t> Lapic::deliverable() const {
  if (irr_top_ < 0) return std::nullopt;
  if ((irr_top_ >> 4) > (ppr() >> 4)) return static_cast<std::uint8_t>(irr_top_);
  return std::nullopt;
}

void Lapic::take(std::uint8_t vector) {
  clear(irr_, vector);
  set(isr_, vector);
  if (vector == irr_top_) irr_top_ = top(irr_);
  if (vector > isr_top_) isr_top_ = vector;
}

std::optional<std::uint8_t> Lapic::eoi() {
  if (isr_top_ < 0) return std::nullopt;
  const auto v = static_cast<std::uint8_t>(isr_top_);
  clear(isr_, v);
  isr_top_ = top(isr_);
  return v;
}

}  // namespace irqrig::host
