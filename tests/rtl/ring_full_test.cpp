// Ring-full back-pressure: with the consumer index not advancing, the engine stalls with
// STATUS.RING_FULL, loses nothing, and resumes as RING_CONS hands slots back.
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

}  // namespace
}  // namespace irqrig::rtl_test
