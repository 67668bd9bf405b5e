// The RTL register file against the one register description (irqrig/regs.h): reset values,
// offsets, write masks and build parameters. A register at the wrong offset or aliased fails here.
#include <bit>
#include <cstdint>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

class RegsAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override { tb_.Enumerate(); }
  CoreTb tb_;
};

TEST_F(RegsAgreementTest, ReadOnlyRegistersReadTheirResetValues) {
  for (const regs::RegInfo& r : regs::kAll) {
    if (r.access != regs::Access::kRo || !r.reset) continue;
    EXPECT_EQ(tb_.Read32(r.offset), *r.reset) << r.name;
  }
  // The RTL's hash and the header's come from the same description.
  EXPECT_EQ(tb_.Read32(regs::REGMAP_HASH), regs::kRegmapHash);
}

TEST_F(RegsAgreementTest, EveryRwRegisterKeepsItsOwnPatternUnderItsMask) {
  std::vector<std::pair<const regs::RegInfo*, std::uint32_t>> written;
  std::set<std::uint32_t> used;
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (const regs::RegInfo& r : regs::kAll) {
    if (r.access != regs::Access::kRw || !r.selftest) continue;
    std::uint32_t pattern = 0;
    do {  // a pattern whose masked value no other register got, and not 0
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      pattern = static_cast<std::uint32_t>(x);
      // Unique among the wide registers (aliasing shows there); a 1- or 2-bit one cannot be.
    } while ((pattern & r.write_mask) == 0 ||
             (std::popcount(r.write_mask) >= 8 && used.count(pattern & r.write_mask) != 0));
    used.insert(pattern & r.write_mask);
    written.emplace_back(&r, pattern);
    tb_.Write32(r.offset, pattern);
  }
  ASSERT_GE(written.size(), 10u);
  for (const auto& [r, pattern] : written) {
    EXPECT_EQ(tb_.Read32(r->offset), pattern & r->write_mask) << r->name;
  }
}

TEST_F(RegsAgreementTest, WriteOnlyAndUnmappedOffsetsReadZero) {
  std::set<std::uint32_t> mapped;
  for (const regs::RegInfo& r : regs::kAll) mapped.insert(r.offset);
  std::uint32_t unmapped = 0;
  while (mapped.count(unmapped) != 0) unmapped += 4;
  tb_.Write32(unmapped, 0xFFFFFFFFu);
  EXPECT_EQ(tb_.Read32(unmapped), 0u);
  EXPECT_EQ(tb_.Read32(regs::CTRL), 0u);
}

TEST_F(RegsAgreementTest, CapsMatchTheBuildParameters) {
  const std::uint32_t caps = tb_.Read32(regs::CAPS);
  EXPECT_EQ((caps & regs::CAPS_NUM_VECTORS_MASK) >> regs::CAPS_NUM_VECTORS_SHIFT, kNumVectors);
  EXPECT_EQ((caps & regs::CAPS_CLK_MHZ_MASK) >> regs::CAPS_CLK_MHZ_SHIFT, kClkMhz);
  // SEMANTICS A5: the MSI-X Table Size agrees with CAPS.
  EXPECT_EQ((tb_.CfgRead(regs::kCfgMsixCap + kPciMsixFlags) >> 16) & 0x7FF, kNumVectors - 1);
}

TEST_F(RegsAgreementTest, VectorListIsWrittenThroughDataWithAutoIncrement) {
  tb_.Write32(regs::VLIST_IDX, 5);
  tb_.Write32(regs::VLIST_DATA, 0x1234);
  tb_.Write32(regs::VLIST_DATA, 0xFFFF5678u);  // only the 16 mask bits are kept
  EXPECT_EQ(tb_.Read32(regs::VLIST_IDX), 7u);
  tb_.Write32(regs::VLIST_IDX, 5);
  EXPECT_EQ(tb_.Read32(regs::VLIST_DATA), 0x1234u);
  tb_.Write32(regs::VLIST_IDX, 6);
  EXPECT_EQ(tb_.Read32(regs::VLIST_DATA), 0x5678u);
  // A partial write merges bytes.
  tb_.Write32(regs::VLIST_IDX, 6);
  tb_.Write32(regs::VLIST_DATA, 0x0000AB00u, 0x2);
  tb_.Write32(regs::VLIST_IDX, 6);
  EXPECT_EQ(tb_.Read32(regs::VLIST_DATA), 0xAB78u);
}

TEST_F(RegsAgreementTest, TimeLoLatchesTimeHi) {
  tb_.Run(10);
  const std::uint64_t before = tb_.time();
  const std::uint32_t lo = tb_.Read32(regs::TIME_LO);
  const std::uint32_t hi = tb_.Read32(regs::TIME_HI);
  const std::uint64_t t = std::uint64_t{hi} << 32 | lo;
  EXPECT_GE(t, before);
  EXPECT_LE(t, std::uint64_t{tb_.time()});
}

TEST_F(RegsAgreementTest, ByteEnablesSelectTheBytesWritten) {
  tb_.Write32(regs::SCRATCH, 0x11223344u);
  tb_.Write32(regs::SCRATCH, 0xAABBCCDDu, 0x5);
  EXPECT_EQ(tb_.Read32(regs::SCRATCH), 0x11BB33DDu);
  tb_.Write32(regs::SCRATCH, 0xFFFFFFFFu, 0x0);
  EXPECT_EQ(tb_.Read32(regs::SCRATCH), 0x11BB33DDu);
}

}  // namespace
}  // namespace irqrig::rtl_test
