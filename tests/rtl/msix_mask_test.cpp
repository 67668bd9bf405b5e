// MSI-X masking in the core: per-vector mask, Function Mask and a disabled capability turn an
// event into a pending bit; becoming unmasked sends exactly one message and clears the bit.
#include <cstdint>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

std::uint64_t MsiAddr(unsigned v) { return kMsiBase | (std::uint64_t{v} << 12); }
std::uint32_t MsiData(unsigned v) { return 0x4040u + v; }
std::uint32_t VectorCtrl(unsigned v) { return regs::kMsixTableOffset + v * kMsixEntryBytes + kMsixVectorCtrl; }
std::uint32_t PbaWord(unsigned v) { return regs::kMsixPbaOffset + (v / 32) * 4; }

class MsixMaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tb_.Enumerate();
    for (unsigned v : {0u, 1u, 2u, 37u}) WriteMsixEntry(tb_, v, MsiAddr(v), MsiData(v), v == 2 || v == 37);
    SetMsixControl(tb_, true, false);
    ConfigureRing(tb_, ring_);
  }

  // Runs a burst of `events` on one vector to the end and returns the messages it produced.
  std::size_t Burst(std::uint16_t vector, std::uint32_t events) {
    const std::size_t before = Messages();
    ConfigureBurst(tb_, {events, 0, Pattern::kFixed, 0, {vector}});
    Ctrl(tb_, regs::CTRL_START_MASK);
    tb_.RunUntil([&] { return (tb_.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
    return Messages() - before;
  }
  std::size_t Messages() const { return Classify(tb_.writes(), ring_).msis.size(); }
  std::size_t Records() const { return Classify(tb_.writes(), ring_).records.size(); }
  const Tlp& LastMessage() const { return tb_.writes()[Classify(tb_.writes(), ring_).msis.back()]; }

  CoreTb tb_;
  RingConfig ring_{0x20000000ull, 8, 0};
};

TEST_F(MsixMaskTest, MaskedVectorPendsAndUnmaskSendsOnce) {
  // SEMANTICS A6: masked vector -> records but no message, PBA bit set.
  EXPECT_EQ(Burst(2, 3), 0u);
  EXPECT_EQ(Records(), 3u);
  EXPECT_EQ(tb_.Read32(PbaWord(2)), 1u << 2);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_PENDED), 3u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_SENT), 0u);
  // Unmask: exactly one message, the PBA bit clears.
  tb_.Write32(VectorCtrl(2), 0);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 1u);
  EXPECT_EQ(LastMessage().address(), MsiAddr(2));
  EXPECT_EQ(LastMessage().payload().at(0), MsiData(2));
  EXPECT_EQ(tb_.Read32(PbaWord(2)), 0u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_SENT), 1u);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 1u);
  // Unmasked now: each event sends.
  EXPECT_EQ(Burst(2, 2), 2u);
}

TEST_F(MsixMaskTest, VectorInAnotherPbaWord) {
  EXPECT_EQ(Burst(37, 1), 0u);
  EXPECT_EQ(tb_.Read32(PbaWord(37)), 1u << (37 % 32));
  EXPECT_EQ(tb_.Read32(PbaWord(0)), 0u);
  tb_.Write32(VectorCtrl(37), 0);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 1u);
  EXPECT_EQ(LastMessage().address(), MsiAddr(37));
  EXPECT_EQ(tb_.Read32(PbaWord(37)), 0u);
}

TEST_F(MsixMaskTest, FunctionMaskPendsWithoutTouchingVectorMasks) {
  SetMsixControl(tb_, true, true);
  EXPECT_EQ(Burst(0, 2), 0u);
  EXPECT_EQ(Burst(1, 1), 0u);
  EXPECT_EQ(tb_.Read32(PbaWord(0)), 0b11u);
  // SEMANTICS A6: toggling Function Mask never changes the per-vector bits.
  EXPECT_EQ(tb_.Read32(VectorCtrl(0)), 0u);
  EXPECT_EQ(tb_.Read32(VectorCtrl(2)), 1u);
  SetMsixControl(tb_, true, false);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 2u);  // one for vector 0, one for vector 1
  EXPECT_EQ(tb_.Read32(PbaWord(0)), 0u);
  EXPECT_EQ(tb_.Read32(VectorCtrl(0)), 0u);
  EXPECT_EQ(tb_.Read32(VectorCtrl(2)), 1u);
}

TEST_F(MsixMaskTest, DisabledMsixSendsNothingUntilEnabled) {
  // SEMANTICS A7: with MSI-X Enable clear no message goes out; the vector is treated as masked.
  SetMsixControl(tb_, false, false);
  EXPECT_EQ(Burst(1, 4), 0u);
  EXPECT_EQ(Records(), 4u);
  EXPECT_EQ(tb_.Read32(PbaWord(1)), 1u << 1);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 0u);
  SetMsixControl(tb_, true, false);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 1u);
  EXPECT_EQ(LastMessage().address(), MsiAddr(1));
  EXPECT_EQ(tb_.Read32(PbaWord(1)), 0u);
}

TEST_F(MsixMaskTest, PendingMessageWaitsForBusMaster) {
  EXPECT_EQ(Burst(2, 1), 0u);
  tb_.CfgWrite(regs::kCfgCommand, kPciCommandMemory);
  tb_.Write32(VectorCtrl(2), 0);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 0u);
  tb_.CfgWrite(regs::kCfgCommand, kPciCommandMemory | kPciCommandMaster);
  tb_.Run(400);
  EXPECT_EQ(Messages(), 1u);
}

}  // namespace
}  // namespace irqrig::rtl_test
