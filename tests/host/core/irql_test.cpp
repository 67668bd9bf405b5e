#include "host/core/irql.h"

#include <gtest/gtest.h>

#include "host/core/lapic.h"

namespace irqrig::host {
namespace {

// SEMANTICS C1
TEST(IrqlConformance, C1_LevelsOfX64Windows) {
  EXPECT_EQ(kPassiveLevel, 0);
  EXPECT_EQ(kApcLevel, 1);
  EXPECT_EQ(kDispatchLevel, 2);
  EXPECT_EQ(kLowestDeviceIrql, 3);
  EXPECT_EQ(kHighestDeviceIrql, 12);
  EXPECT_EQ(kClockLevel, 13);
  EXPECT_EQ(kIpiLevel, 14);
  EXPECT_EQ(kPowerLevel, 14);
  EXPECT_EQ(kHighLevel, 15);
  EXPECT_TRUE(is_valid_irql(15));
  EXPECT_FALSE(is_valid_irql(16));
  // The kernel's own vectors sit in their levels' classes, above every device vector.
  EXPECT_EQ(irql_of_vector(kClockVector), kClockLevel);
  EXPECT_EQ(irql_of_vector(kIpiVector), kIpiLevel);
  EXPECT_TRUE(is_device_vector(0x30));
  EXPECT_TRUE(is_device_vector(0xCF));
  EXPECT_FALSE(is_device_vector(0x2F));
  EXPECT_FALSE(is_device_vector(0xD0));
  EXPECT_EQ(irql_name(kDispatchLevel), "DISPATCH_LEVEL");
  EXPECT_EQ(irql_name(9), "DIRQL 9");
}

// SEMANTICS C3: at IRQL n every interrupt at <= n is held, higher ones get through.
TEST(IrqlConformance, C3_InterruptsAtOrBelowTheCurrentLevelAreHeld) {
  for (Irql level = 0; level <= kHighLevel; ++level) {
    Lapic l;
    l.set_tpr(tpr_of_irql(level));
    for (unsigned v = 0x30; v <= 0xEF; v += 0x10) {
      const auto vector = static_cast<std::uint8_t>(v);
      EXPECT_EQ(holds(level, vector), irql_of_vector(vector) <= level);
      Lapic probe;
      probe.set_tpr(tpr_of_irql(level));
      probe.accept(vector);
      EXPECT_EQ(probe.deliverable().has_value(), !holds(level, vector)) << "IRQL " << int(level) << " vector " << v;
    }
  }
  // DPCs run at DISPATCH: every device vector (class >= 3) still preempts them.
  EXPECT_FALSE(holds(kDispatchLevel, 0x30));
  // The clock and the IPI are held at IPI_LEVEL and HIGH_LEVEL respectively.
  EXPECT_TRUE(holds(kIpiLevel, kClockVector));
  EXPECT_TRUE(holds(kIpiLevel, kIpiVector));
  EXPECT_FALSE(holds(kClockLevel, kIpiVector));
}

}  // namespace
}  // namespace irqrig::host
