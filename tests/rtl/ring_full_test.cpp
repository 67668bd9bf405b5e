// The event ring when it is full: by default the engine stalls with STATUS.RING_FULL, loses
// nothing, and resumes as RING_CONS hands slots back; in drop mode an event finding it full is
// dropped and counted (STATUS.RING_OVERFLOW, CNT_RING_OVERFLOW), never written over a record.
#include <cstdint>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

TEST(RingFullTest, StallsUntilTheConsumerAdvances) {
  CoreTb tb;
  tb.Enumerate();
  WriteMsixEntry(tb, 0, kMsiBase, 0x4050, false);
  SetMsixControl(tb, true, false);
  const RingConfig ring{0x30000000ull, 1, 0x30001000ull};  // two entries
  ConfigureRing(tb, ring);
  ConfigureBurst(tb, {5, 0, Pattern::kFixed, 0, {0}});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.Run(600);

  auto records = [&] { return Classify(tb.writes(), ring).records.size(); };
  EXPECT_EQ(records(), 2u);
  std::uint32_t status = tb.Read32(regs::STATUS);
  EXPECT_NE(status & regs::STATUS_RING_FULL_MASK, 0u);
  EXPECT_NE(status & regs::STATUS_BUSY_MASK, 0u);
  EXPECT_EQ(tb.Read32(regs::RING_PROD), 2u);
  EXPECT_EQ(tb.Read32(regs::CNT_RING_FULL), 1u);
  EXPECT_EQ(tb.Read32(regs::CNT_EVENTS), 3u);  // the third event waits, generated
  tb.Run(600);
  EXPECT_EQ(records(), 2u);

  // One slot back: one more record (into slot 0), then full again.
  tb.Write32(regs::RING_CONS, 1);
  tb.Run(600);
  EXPECT_EQ(records(), 3u);
  EXPECT_EQ(tb.Read32(regs::CNT_RING_FULL), 2u);
  EXPECT_NE(tb.Read32(regs::STATUS) & regs::STATUS_RING_FULL_MASK, 0u);

  tb.Write32(regs::RING_CONS, 3);
  tb.RunUntil([&] { return Classify(tb.writes(), ring).records.size() == 5; });
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  const EngineOutput out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 5u);
  ASSERT_EQ(out.msis.size(), 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out.records[i].seq, i);
    EXPECT_EQ(out.records[i].address, ring.base + (i % 2) * regs::kRecordBytes);
    EXPECT_EQ(out.prod_writes.at(i).first, i + 1);
  }
  EXPECT_EQ(tb.Read32(regs::STATUS) & regs::STATUS_RING_FULL_MASK, 0u);
  EXPECT_EQ(tb.Read32(regs::CNT_EVENTS), 5u);
  EXPECT_EQ(tb.Read32(regs::CNT_MSI_SENT), 5u);
  EXPECT_EQ(tb.Read32(regs::CNT_DMA_WRITES), 10u);
}

class RingPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tb_.Enumerate();
    WriteMsixEntry(tb_, 0, kMsiBase, 0x4050, false);
    SetMsixControl(tb_, true, false);
    ConfigureRing(tb_, ring_);
  }
  void Burst(std::uint32_t events) {
    ConfigureBurst(tb_, {events, 0, Pattern::kFixed, 0, {0}});
    Ctrl(tb_, regs::CTRL_START_MASK);
  }
  void WaitIdle() {
    tb_.RunUntil([&] { return (tb_.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  }
  EngineOutput Out() const { return Classify(tb_.writes(), ring_); }

  CoreTb tb_;
  RingConfig ring_{0x30000000ull, 1, 0x30001000ull};  // two entries
};

TEST_F(RingPolicyTest, DropModeDropsCountsAndFlagsButNeverOverwrites) {
  tb_.Write32(regs::RING_CTRL, regs::RING_CTRL_DROP_ON_FULL_MASK);
  EXPECT_EQ(tb_.Read32(regs::RING_CTRL), regs::RING_CTRL_DROP_ON_FULL_MASK);
  Burst(5);
  WaitIdle();
  EngineOutput out = Out();
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.msis.size(), 2u);  // a dropped event has no record and no message
  EXPECT_EQ(tb_.Read32(regs::CNT_EVENTS), 5u);
  EXPECT_EQ(tb_.Read32(regs::CNT_RING_OVERFLOW), 3u);
  EXPECT_EQ(tb_.Read32(regs::CNT_RING_FULL), 0u);
  EXPECT_EQ(tb_.Read32(regs::RING_PROD), 2u);
  std::uint32_t status = tb_.Read32(regs::STATUS);
  EXPECT_NE(status & regs::STATUS_RING_OVERFLOW_MASK, 0u);
  EXPECT_EQ(status & regs::STATUS_RING_FULL_MASK, 0u);
  // The host sees the drop as a gap in the sequence numbers too.
  tb_.Write32(regs::RING_CONS, 2);
  Burst(1);
  WaitIdle();
  out = Out();
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[2].seq, 5u);
  EXPECT_EQ(out.records[2].address, ring_.base);
  // The overflow flag is sticky until CLEAR.
  EXPECT_NE(tb_.Read32(regs::STATUS) & regs::STATUS_RING_OVERFLOW_MASK, 0u);
  Ctrl(tb_, regs::CTRL_CLEAR_MASK);
  EXPECT_EQ(tb_.Read32(regs::STATUS) & regs::STATUS_RING_OVERFLOW_MASK, 0u);
  EXPECT_EQ(tb_.Read32(regs::CNT_RING_OVERFLOW), 0u);
}

TEST_F(RingPolicyTest, AbortDropsAnEventWaitingForSpaceAndCountsIt) {
  Burst(3);
  tb_.Run(400);
  EXPECT_NE(tb_.Read32(regs::STATUS) & regs::STATUS_RING_FULL_MASK, 0u);
  Ctrl(tb_, regs::CTRL_ABORT_MASK);
  WaitIdle();
  EXPECT_EQ(tb_.Read32(regs::STATUS) & regs::STATUS_RING_FULL_MASK, 0u);
  EXPECT_EQ(tb_.Read32(regs::CNT_ABORTED), 1u);
  EXPECT_EQ(tb_.Read32(regs::CNT_EVENTS), 3u);
  const EngineOutput out = Out();
  // Every record on the wire has its producer write and its message.
  EXPECT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.prod_writes.size(), 2u);
  EXPECT_EQ(out.msis.size(), 2u);
  tb_.Write32(regs::RING_CONS, 2);
  tb_.Run(400);
  EXPECT_EQ(Out().records.size(), 2u);
}

TEST_F(RingPolicyTest, ConsumerAheadOfProducerCountsAsFull) {
  // A host bug: RING_CONS past RING_PROD. The writer treats the ring as full rather than
  // overwrite what the host might not have read.
  tb_.Write32(regs::RING_CONS, 7);
  Burst(1);
  tb_.Run(400);
  EXPECT_EQ(Out().records.size(), 0u);
  EXPECT_NE(tb_.Read32(regs::STATUS) & regs::STATUS_RING_FULL_MASK, 0u);
  tb_.Write32(regs::RING_CONS, 0);
  WaitIdle();
  EXPECT_EQ(Out().records.size(), 1u);
}

}  // namespace
}  // namespace irqrig::rtl_test
