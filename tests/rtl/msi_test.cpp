// The MSI capability of the core (PCI 3.0 6.8.1): its 64-bit, per-vector-maskable layout, Multiple
// Message Enable clamped to Capable, the vector in the low data bits, mask and pending bits, and
// which capability carries a message when the host enables one, the other, both or neither.
#include <cstdint>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

constexpr std::uint64_t kMsiAddr = 0xFEE01000u;
constexpr std::uint32_t kMsiCap = regs::kCfgMsiCap;

class MsiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tb_.Enumerate();
    ConfigureRing(tb_, ring_);
  }

  // Runs a burst on `vectors` (round robin) to the end; returns the messages it produced.
  std::vector<Tlp> Burst(std::vector<std::uint16_t> vectors, std::uint32_t events) {
    const std::size_t before = Messages().size();
    ConfigureBurst(tb_, {events, 0, Pattern::kRoundRobin, 0, std::move(vectors)});
    Ctrl(tb_, regs::CTRL_START_MASK);
    tb_.RunUntil([&] { return (tb_.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
    std::vector<Tlp> all = Messages();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }
  std::vector<Tlp> Messages() const {
    std::vector<Tlp> m;
    for (std::size_t i : Classify(tb_.writes(), ring_).msis) m.push_back(tb_.writes()[i]);
    return m;
  }
  std::uint32_t Pending() { return tb_.CfgRead(kMsiCap + kPciMsiPending); }

  CoreTb tb_;
  RingConfig ring_{0x40000000ull, 8, 0};
};

TEST_F(MsiTest, CapabilityLayoutIs64BitWithPerVectorMasking) {
  const std::uint32_t dw0 = tb_.CfgRead(kMsiCap + kPciMsiFlags);
  EXPECT_EQ(dw0 & 0xFF, 0x05u);
  EXPECT_EQ((dw0 >> 8) & 0xFF, 0u);
  EXPECT_EQ((dw0 >> kMsiQmaskShift) & 0x7, 5u);  // 32 vectors capable
  EXPECT_EQ((dw0 >> kMsiQsizeShift) & 0x7, 0u);
  EXPECT_NE(dw0 & kMsiFlags64Bit, 0u);
  EXPECT_NE(dw0 & kMsiFlagsMaskBit, 0u);
  EXPECT_EQ(dw0 & kMsiFlagsEnable, 0u);
  // Address bits 1:0 are reserved zero; data has no upper half; pending bits are read-only.
  tb_.CfgWrite(kMsiCap + kPciMsiAddressLo, 0xFEE0F00Fu);
  EXPECT_EQ(tb_.CfgRead(kMsiCap + kPciMsiAddressLo), 0xFEE0F00Cu);
  tb_.CfgWrite(kMsiCap + kPciMsiAddressHi, 0x12345678u);
  EXPECT_EQ(tb_.CfgRead(kMsiCap + kPciMsiAddressHi), 0x12345678u);
  tb_.CfgWrite(kMsiCap + kPciMsiData, 0xABCD4920u);
  EXPECT_EQ(tb_.CfgRead(kMsiCap + kPciMsiData), 0x4920u);
  tb_.CfgWrite(kMsiCap + kPciMsiMask, 0xFFFFFFFFu);
  EXPECT_EQ(tb_.CfgRead(kMsiCap + kPciMsiMask), 0xFFFFFFFFu);
  tb_.CfgWrite(kMsiCap + kPciMsiPending, 0xFFFFFFFFu);
  EXPECT_EQ(Pending(), 0u);
  // Capable and the capability bits do not change with writes; byte enables are honoured.
  tb_.CfgWrite(kMsiCap + kPciMsiFlags, 0xFFFFFFFFu, 0x3);
  EXPECT_EQ(tb_.CfgRead(kMsiCap + kPciMsiFlags), dw0);
  tb_.CfgWrite(kMsiCap + kPciMsiMask, 0x0u, 0x2);
  EXPECT_EQ(tb_.CfgRead(kMsiCap + kPciMsiMask), 0xFFFF00FFu);
}

TEST_F(MsiTest, MultipleMessageEnableIsClampedToCapable) {
  SetMsiControl(tb_, false, 7);
  EXPECT_EQ((tb_.CfgRead(kMsiCap) >> kMsiQsizeShift) & 0x7, 5u);
  SetMsiControl(tb_, true, 3);
  EXPECT_EQ((tb_.CfgRead(kMsiCap) >> kMsiQsizeShift) & 0x7, 3u);
  EXPECT_NE(tb_.CfgRead(kMsiCap) & kMsiFlagsEnable, 0u);
}

TEST_F(MsiTest, VectorReplacesTheLowDataBits) {
  // SEMANTICS A2: Data 0x4920, MME 3, vector 5 -> 0x4925; Data 0x4927 -> 0x4925 as well.
  ProgramMsi(tb_, kMsiAddr, 0x4920);
  SetMsiControl(tb_, true, 3);
  std::vector<Tlp> m = Burst({5, 0, 13}, 3);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].payload().at(0), 0x4925u);
  EXPECT_EQ(m[1].payload().at(0), 0x4920u);
  EXPECT_EQ(m[2].payload().at(0), 0x4925u);  // vector 13 is message 13 mod 8
  ProgramMsi(tb_, kMsiAddr, 0x4927);
  m = Burst({5}, 1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].payload().at(0), 0x4925u);
  EXPECT_EQ(m[0].address(), kMsiAddr);
  EXPECT_EQ(m[0].header_dws(), 3u);  // below 4 GiB
  EXPECT_EQ(m[0].first_be(), 0xFu);
  EXPECT_EQ(m[0].requester_id(), tb_.DeviceId());
  // One message enabled: every vector sends Message Data unchanged.
  SetMsiControl(tb_, true, 0);
  m = Burst({7}, 1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].payload().at(0), 0x4927u);
}

TEST_F(MsiTest, UpperAddressMakesA4DwWrite) {
  // Not an x86 interrupt address, so the harness's classifier does not know it: look for it.
  constexpr std::uint64_t kHigh = 0x1'FEE0'2000ull;
  ProgramMsi(tb_, kHigh, 0x60);
  SetMsiControl(tb_, true, 0);
  ConfigureBurst(tb_, {1, 0, Pattern::kFixed, 0, {0}});
  Ctrl(tb_, regs::CTRL_START_MASK);
  tb_.RunUntil([&] { return (tb_.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  ASSERT_EQ(tb_.writes().size(), 2u);
  const Tlp& m = tb_.writes()[1];
  EXPECT_EQ(m.header_dws(), 4u);
  EXPECT_EQ(m.address(), kHigh);
  EXPECT_EQ(m.payload(), std::vector<std::uint32_t>{0x60});
}

TEST_F(MsiTest, MaskedVectorPendsAndUnmaskSendsOnce) {
  ProgramMsi(tb_, kMsiAddr, 0x4920);
  SetMsiControl(tb_, true, 3);
  tb_.CfgWrite(kMsiCap + kPciMsiMask, 1u << 2);
  EXPECT_EQ(Burst({2}, 3).size(), 0u);
  EXPECT_EQ(Pending(), 1u << 2);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_PENDED), 3u);
  // Other vectors still send.
  EXPECT_EQ(Burst({1}, 1).size(), 1u);
  tb_.CfgWrite(kMsiCap + kPciMsiMask, 0);
  tb_.Run(200);
  const std::vector<Tlp> m = Messages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.back().payload().at(0), 0x4922u);
  EXPECT_EQ(Pending(), 0u);
  tb_.Run(400);
  EXPECT_EQ(Messages().size(), 2u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MSI_SENT), 2u);
}

TEST_F(MsiTest, PendingMessageWaitsWhileMsiIsDisabled) {
  ProgramMsi(tb_, kMsiAddr, 0x4920);
  SetMsiControl(tb_, true, 3);
  tb_.CfgWrite(kMsiCap + kPciMsiMask, 1u << 4);
  EXPECT_EQ(Burst({4}, 1).size(), 0u);
  SetMsiControl(tb_, false, 3);
  tb_.CfgWrite(kMsiCap + kPciMsiMask, 0);
  tb_.Run(400);
  EXPECT_EQ(Messages().size(), 0u);  // SEMANTICS A3
  EXPECT_EQ(Pending(), 1u << 4);
  SetMsiControl(tb_, true, 3);
  tb_.Run(400);
  EXPECT_EQ(Messages().size(), 1u);
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(MsiTest, WhichCapabilityCarriesTheMessage) {
  ProgramMsi(tb_, kMsiAddr, 0x4920);
  WriteMsixEntry(tb_, 3, 0xFEE0A000u, 0x77, false);
  // Neither enabled (SEMANTICS A3, A7 [choice]): nothing is sent, the MSI-X PBA holds the event.
  EXPECT_EQ(Burst({3}, 1).size(), 0u);
  EXPECT_EQ(tb_.Read32(regs::kMsixPbaOffset), 1u << 3);
  EXPECT_EQ(Pending(), 0u);
  // MSI only.
  SetMsiControl(tb_, true, 2);
  std::vector<Tlp> m = Burst({3}, 1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].payload().at(0), 0x4923u);
  // Both (software must not; MSI-X wins): the table entry is used. Enabling MSI-X also releases
  // the PBA bit left from before.
  SetMsixControl(tb_, true, false);
  tb_.Run(200);
  m = Messages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].address(), 0xFEE0A000u);
  EXPECT_EQ(tb_.Read32(regs::kMsixPbaOffset), 0u);
  m = Burst({3}, 1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].payload().at(0), 0x77u);
}

}  // namespace
}  // namespace irqrig::rtl_test
