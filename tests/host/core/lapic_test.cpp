#include "host/core/lapic.h"

#include <gtest/gtest.h>

#include "host/core/irql.h"

namespace irqrig::host {
namespace {

// SEMANTICS B4: while 0x61 is in service, 0x65 waits for EOI and 0x71 preempts at once.
TEST(LapicConformance, B4_PriorityClassesGateDispatch) {
  Lapic l;
  l.accept(0x61);
  ASSERT_EQ(l.deliverable(), 0x61);
  l.take(0x61);
  l.accept(0x65);
  EXPECT_FALSE(l.deliverable());
  l.accept(0x71);
  EXPECT_EQ(l.deliverable(), 0x71);
  l.take(0x71);
  EXPECT_EQ(l.eoi(), 0x71);
  EXPECT_FALSE(l.deliverable());  // 0x61 still in service
  EXPECT_EQ(l.eoi(), 0x61);
  EXPECT_EQ(l.deliverable(), 0x65);
}

// SEMANTICS B5: arrivals before dispatch merge into one IRR bit.
TEST(LapicConformance, B5_SameVectorMerges) {
  Lapic l;
  l.set_tpr(0xF0);  // interrupts held
  for (int i = 0; i < 4; ++i) l.accept(0x51);
  EXPECT_EQ(l.accepted(), 1u);
  EXPECT_EQ(l.merged(), 3u);
  l.set_tpr(0);
  ASSERT_EQ(l.deliverable(), 0x51);
  l.take(0x51);
  EXPECT_FALSE(l.deliverable());
  // Three more while its handler runs: exactly one more dispatch after EOI.
  for (int i = 0; i < 3; ++i) l.accept(0x51);
  EXPECT_FALSE(l.deliverable());
  l.eoi();
  ASSERT_EQ(l.deliverable(), 0x51);
  l.take(0x51);
  l.eoi();
  EXPECT_FALSE(l.deliverable());
  EXPECT_TRUE(l.idle());
}

// SEMANTICS B6: EOI clears the highest in-service bit and lets the next eligible one through.
TEST(LapicConformance, B6_EoiClearsHighestInService) {
  Lapic l;
  l.accept(0x40);
  l.take(0x40);
  l.accept(0x90);
  l.take(0x90);
  EXPECT_TRUE(l.isr(0x40));
  EXPECT_EQ(l.eoi(), 0x90);
  EXPECT_TRUE(l.isr(0x40));
  EXPECT_FALSE(l.isr(0x90));
}

// SEMANTICS C2: at IRQL 9, 0x95 stays pending and 0xA1 preempts; an ISR on 0x92 runs at IRQL 9.
TEST(IrqlConformance, C2_TprFollowsIrql) {
  EXPECT_EQ(irql_of_vector(0x92), 9);
  Lapic l;
  l.set_tpr(tpr_of_irql(9));
  l.accept(0x95);
  EXPECT_FALSE(l.deliverable());
  l.accept(0xA1);
  EXPECT_EQ(l.deliverable(), 0xA1);
  EXPECT_EQ(l.ppr(), 0x90);
}

// SEMANTICS B4: PPR is TPR when no higher class is in service, compared by class only.
TEST(LapicConformance, B4_PprIsTheHigherOfTprAndInServiceClass) {
  Lapic l;
  l.set_tpr(0x35);
  EXPECT_EQ(l.ppr(), 0x35);
  l.accept(0x71);
  l.take(0x71);
  EXPECT_EQ(l.ppr(), 0x70);
  l.accept(0x7F);  // same class as the one in service: waits
  EXPECT_FALSE(l.deliverable());
  l.eoi();
  EXPECT_EQ(l.ppr(), 0x35);
  EXPECT_EQ(l.deliverable(), 0x7F);
}

// SEMANTICS B6: EOI with nothing in service changes nothing.
TEST(LapicConformance, B6_EoiWithNothingInServiceIsHarmless) {
  Lapic l;
  EXPECT_FALSE(l.eoi());
  EXPECT_TRUE(l.idle());
}

// SEMANTICS B4, B6 at the edges of the 64-bit words IRR and ISR are kept in: the highest bit is
// found across words, and EOI clears the right one.
TEST(LapicConformance, B4_B6_VectorsAtWordBoundaries) {
  for (const std::uint8_t low : {0x3F, 0x7F, 0xBF}) {
    const auto high = static_cast<std::uint8_t>(low + 1);  // 0x40, 0x80, 0xC0: the next word
    Lapic l;
    l.accept(low);
    ASSERT_EQ(l.deliverable(), low) << std::hex << int{low};
    l.accept(high);
    ASSERT_EQ(l.deliverable(), high) << std::hex << int{high};
    l.take(high);
    EXPECT_TRUE(l.isr(high));
    EXPECT_FALSE(l.irr(high));
    EXPECT_TRUE(l.irr(low));
    EXPECT_FALSE(l.deliverable()) << "class of " << std::hex << int{low} << " is below the one in service";
    EXPECT_EQ(l.eoi(), high);
    ASSERT_EQ(l.deliverable(), low);
    l.take(low);
    EXPECT_EQ(l.eoi(), low);
    EXPECT_TRUE(l.idle());
  }
  // 0xFF, the very top bit, and 0x10, the lowest legal vector.
  Lapic l;
  l.accept(0x10);
  l.accept(0xFF);
  EXPECT_EQ(l.deliverable(), 0xFF);
  l.take(0xFF);
  EXPECT_EQ(l.ppr(), 0xF0);
  EXPECT_FALSE(l.deliverable());
  EXPECT_EQ(l.eoi(), 0xFF);
  EXPECT_EQ(l.deliverable(), 0x10);
}

}  // namespace
}  // namespace irqrig::host
