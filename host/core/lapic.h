// One CPU's local APIC: IRR, ISR, TPR, PPR and EOI as the Intel SDM describes them (SEMANTICS B4-B6).
// Plain state machine; the platform decides when the CPU looks at it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace irqrig::host {

class Lapic {
 public:
  /// Sets IRR[v]. Returns false when IRR[v] was already set: the arrival merged (B5).
  bool accept(std::uint8_t vector);
  /// The vector the CPU would take now (highest IRR whose class beats PPR's class), if any (B4).
  std::optional<std::uint8_t> deliverable() const;
  /// Moves the vector IRR -> ISR, as the CPU does when it takes the interrupt.
  void take(std::uint8_t vector);
  /// Clears the highest ISR bit (B6). Returns the vector that was in service, if any.
  std::optional<std::uint8_t> eoi();

  void set_tpr(std::uint8_t tpr) { tpr_ = tpr; }
  std::uint8_t tpr() const { return tpr_; }
  /// PPR = max(TPR, class of the highest in-service vector << 4), compared by class.
  std::uint8_t ppr() const;
  bool irr(std::uint8_t v) const { return test(irr_, v); }
  bool isr(std::uint8_t v) const { return test(isr_, v); }
  bool idle() const { return irr_top_ < 0 && isr_top_ < 0; }

  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t merged() const { return merged_; }

 private:
  // 256 bits as four words: the highest set bit is a count-leading-zeros, not a 256-step scan.
  using Bits = std::array<std::uint64_t, 4>;
  static std::optional<std::uint8_t> highest(const Bits& bits);
  static bool test(const Bits& b, std::uint8_t v) { return (b[v >> 6] >> (v & 63)) & 1; }
  static void set(Bits& b, std::uint8_t v) { b[v >> 6] |= std::uint64_t{1} << (v & 63); }
  static void clear(Bits& b, std::uint8_t v) { b[v >> 6] &= ~(std::uint64_t{1} << (v & 63)); }

  static int top(const Bits& bits);  // highest set bit, -1 when none

  Bits irr_{};
  Bits isr_{};
  // The highest IRR and ISR bits, kept current: the CPU asks for them at every preemption point.
  int irr_top_ = -1, isr_top_ = -1;
  std::uint8_t tpr_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t merged_ = 0;
};

}  // namespace irqrig::host
