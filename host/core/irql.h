// IRQL levels of x64 Windows and how they map onto local-APIC priority classes.
// Plain constants and arithmetic: SEMANTICS C1-C2.
#pragma once

#include <cstdint>

namespace irqrig::host {

using Irql = std::uint8_t;

inline constexpr Irql kPassiveLevel = 0;
inline constexpr Irql kApcLevel = 1;
inline constexpr Irql kDispatchLevel = 2;
inline constexpr Irql kClockLevel = 13;
inline constexpr Irql kIpiLevel = 14;
inline constexpr Irql kPowerLevel = 14;
inline constexpr Irql kHighLevel = 15;

/// A device vector runs its ISR at IRQL vector >> 4 (C2).
constexpr Irql irql_of_vector(std::uint8_t vector) { return static_cast<Irql>(vector >> 4); }
/// x64 Windows keeps TPR (CR8) = IRQL, i.e. TPR byte = IRQL << 4 (C2).
constexpr std::uint8_t tpr_of_irql(Irql irql) { return static_cast<std::uint8_t>(irql << 4); }

}  // namespace irqrig::host
