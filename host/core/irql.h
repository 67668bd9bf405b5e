// IRQL levels of x64 Windows and how they map onto local-APIC priority classes.
// Plain constants and arithmetic: SEMANTICS C1-C3.
#pragma once

#include <cstdint>
#include <string>

namespace irqrig::host {

using Irql = std::uint8_t;

inline constexpr Irql kPassiveLevel = 0;
inline constexpr Irql kApcLevel = 1;
inline constexpr Irql kDispatchLevel = 2;
inline constexpr Irql kClockLevel = 13;
inline constexpr Irql kIpiLevel = 14;
inline constexpr Irql kPowerLevel = 14;
inline constexpr Irql kHighLevel = 15;

/// The lowest and highest IRQL a device interrupt can have (C1: device IRQLs are 3-12).
inline constexpr Irql kLowestDeviceIrql = 3;
inline constexpr Irql kHighestDeviceIrql = 12;

/// The IDT vectors the kernel's own interrupts use, in the classes of their IRQLs (C1): the clock
/// at CLOCK_LEVEL and the inter-processor interrupt at IPI_LEVEL, both above every device.
inline constexpr std::uint8_t kClockVector = 0xD1;
inline constexpr std::uint8_t kIpiVector = 0xE1;

constexpr bool is_valid_irql(unsigned irql) { return irql <= kHighLevel; }
/// A device vector runs its ISR at IRQL vector >> 4 (C2).
constexpr Irql irql_of_vector(std::uint8_t vector) { return static_cast<Irql>(vector >> 4); }
/// x64 Windows keeps TPR (CR8) = IRQL, i.e. TPR byte = IRQL << 4 (C2).
constexpr std::uint8_t tpr_of_irql(Irql irql) { return static_cast<std::uint8_t>(irql << 4); }
/// At `irql`, an interrupt on `vector` is held when its IRQL is not above it (C3).
constexpr bool holds(Irql irql, std::uint8_t vector) { return irql_of_vector(vector) <= irql; }
/// Device vectors: classes 3-12, 0x30-0xCF, so every device IRQL stays below CLOCK_LEVEL (C1).
constexpr bool is_device_vector(std::uint8_t vector) {
  return irql_of_vector(vector) >= kLowestDeviceIrql && irql_of_vector(vector) <= kHighestDeviceIrql;
}

/// "DISPATCH_LEVEL", "DIRQL 9", ... for messages.
std::string irql_name(Irql irql);

}  // namespace irqrig::host
