// The core at every table size built (1, 4, 32, 2048 vectors): what the capabilities and CAPS
// report, the last vector's table entry, PBA bit and moderation, the first vector past the table,
// MSI at the capable count, and a burst under random backpressure on both streams.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

std::uint64_t MsiAddr(unsigned v) { return kMsiBase | (std::uint64_t{v} << 4); }
std::uint32_t VectorCtrl(unsigned v) { return regs::kMsixTableOffset + v * kMsixEntryBytes + kMsixVectorCtrl; }

class SweepTest : public ::testing::TestWithParam<unsigned> {
 protected:
  SweepTest() : tb_(TbOptions{.num_vectors = GetParam()}) {}
  void SetUp() override {
    tb_.Enumerate();
    ConfigureRing(tb_, ring_);
  }
  unsigned n() const { return GetParam(); }
  std::size_t Burst(std::vector<std::uint16_t> vectors, std::uint32_t events) {
    const std::size_t before = Classify(tb_.writes(), ring_).msis.size();
    ConfigureBurst(tb_, {events, 0, Pattern::kRoundRobin, 0, std::move(vectors)});
    Ctrl(tb_, regs::CTRL_START_MASK);
    tb_.RunUntil([&] { return (tb_.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
    return Classify(tb_.writes(), ring_).msis.size() - before;
  }

  CoreTb tb_;
  RingConfig ring_{0x2'0000'0000ull, 10, 0};
};

TEST_P(SweepTest, CapabilitiesReportTheTableSize) {
  EXPECT_EQ(tb_.num_vectors(), n());
  EXPECT_EQ(tb_.Read32(regs::CAPS) & regs::CAPS_NUM_VECTORS_MASK, n());
  EXPECT_EQ((tb_.CfgRead(regs::kCfgMsixCap) >> 16) & 0x7FF, n() - 1);  // SEMANTICS A5
  const unsigned msi_capable = 1u << ((tb_.CfgRead(regs::kCfgMsiCap) >> kMsiQmaskShift) & 7);
  EXPECT_EQ(msi_capable, std::min(n(), 32u));
  // Per-vector masks reset to 1 up to the last entry; past it the table window reads 0.
  EXPECT_EQ(tb_.Read32(VectorCtrl(n() - 1)), 1u);
  if (n() < 2048) {
    EXPECT_EQ(tb_.Read32(VectorCtrl(n())), 0u);
    tb_.Write32(regs::kMsixTableOffset + n() * kMsixEntryBytes, 0x12345678u);
    EXPECT_EQ(tb_.Read32(regs::kMsixTableOffset + n() * kMsixEntryBytes), 0u);
  }
  // MSI mask bits exist for the capable vectors only.
  tb_.CfgWrite(regs::kCfgMsiCap + kPciMsiMask, 0xFFFFFFFFu);
  const std::uint32_t bits = msi_capable >= 32 ? 0xFFFFFFFFu : (1u << msi_capable) - 1;
  EXPECT_EQ(tb_.CfgRead(regs::kCfgMsiCap + kPciMsiMask), bits);
}

TEST_P(SweepTest, LastVectorPendsUnmasksAndModerates) {
  const unsigned last = n() - 1;
  WriteMsixEntry(tb_, last, MsiAddr(last), 0xC0DE, true);
  SetMsixControl(tb_, true, false);
  EXPECT_EQ(Burst({static_cast<std::uint16_t>(last)}, 2), 0u);
  EXPECT_EQ(tb_.Read32(regs::kMsixPbaOffset + 4 * (last / 32)), 1u << (last % 32));
  tb_.Write32(VectorCtrl(last), 0);
  tb_.Run(200);
  const EngineOutput out = Classify(tb_.writes(), ring_);
  ASSERT_EQ(out.msis.size(), 1u);
  EXPECT_EQ(tb_.writes()[out.msis[0]].address(), MsiAddr(last));
  EXPECT_EQ(tb_.Read32(regs::kMsixPbaOffset + 4 * (last / 32)), 0u);
  // Moderation of the last vector: every second event signals.
  SetModeration(tb_, last, 2, 0);
  EXPECT_EQ(Burst({static_cast<std::uint16_t>(last)}, 4), 2u);
  EXPECT_EQ(tb_.Read32(regs::CNT_MOD_COALESCED), 2u);
  // The first vector past the table: a record, no message, counted.
  if (n() < 2048) {
    EXPECT_EQ(Burst({static_cast<std::uint16_t>(n())}, 1), 0u);
    EXPECT_EQ(tb_.Read32(regs::CNT_BAD_VECTOR), 1u);
  }
}

TEST_P(SweepTest, MsiWithAllCapableVectors) {
  const unsigned capable = std::min(n(), 32u);
  const unsigned mme = static_cast<unsigned>(__builtin_ctz(capable));
  ProgramMsi(tb_, 0xFEE00000u, 0x4000);
  SetMsiControl(tb_, true, mme);
  EXPECT_EQ(Burst({static_cast<std::uint16_t>(capable - 1)}, 1), 1u);
  const EngineOutput out = Classify(tb_.writes(), ring_);
  EXPECT_EQ(tb_.writes()[out.msis.back()].payload().at(0), 0x4000u + capable - 1);
}

TEST_P(SweepTest, BurstUnderRandomBackpressureLosesNothing) {
  CoreTb tb(TbOptions{.num_vectors = n(), .seed = 11 + n(), .random_stalls = true, .tx_ready_prob = 0.5,
                      .rx_valid_prob = 0.5});
  tb.Enumerate();
  const RingConfig ring{0x2'0000'0000ull, 3, 0x2'0001'0000ull};
  ConfigureRing(tb, ring);
  std::vector<std::uint16_t> list;
  for (unsigned v = 0; v < std::min(n(), 4u); ++v) {
    WriteMsixEntry(tb, v, MsiAddr(v), v, false);
    list.push_back(static_cast<std::uint16_t>(v));
  }
  SetMsixControl(tb, true, false);
  ConfigureBurst(tb, {40, 0, Pattern::kRoundRobin, 0, list});
  Ctrl(tb, regs::CTRL_START_MASK);
  // A slow consumer: an 8-entry ring fills and the writer stalls on it now and then.
  RunConsumer(tb, ring, 40, 1'000'000);
  const EngineOutput out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 40u);
  ASSERT_EQ(out.msis.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(out.records[i].seq, i);
    EXPECT_EQ(out.records[i].vector, list[i % list.size()]);
    EXPECT_LT(out.records[i].wire_index, out.msis[i]);
    EXPECT_EQ(tb.writes()[out.msis[i]].payload().at(0), list[i % list.size()]);
  }
}

INSTANTIATE_TEST_SUITE_P(TableSizes, SweepTest, ::testing::Values(1u, 4u, 32u, 2048u),
                         [](const ::testing::TestParamInfo<unsigned>& p) {
                           return "Vectors" + std::to_string(p.param);
                         });

}  // namespace
}  // namespace irqrig::rtl_test
