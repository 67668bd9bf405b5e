// Completions the core owes the host: CplD for config and memory reads (tag, IDs, Byte Count and
// Lower Address as PCIe 3.0 2.3.1.1 computes them), Cpl for config writes, UR for what it does not
// support; and posted requests it does not support dropped without a trace.
#include <cstdint>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

constexpr std::uint32_t kBar0 = 0xF0000000u;

class CompletionTest : public ::testing::Test {
 protected:
  void SetUp() override { tb_.Enumerate(kBar0, 0x12, 7); }
  CoreTb tb_;
};

void ExpectCplHeader(const Tlp& c, const CoreTb& tb, std::uint8_t tag, std::uint32_t status) {
  EXPECT_TRUE(c.is_cpl());
  EXPECT_EQ(c.completer_id(), tb.DeviceId());
  EXPECT_EQ(c.cpl_requester_id(), CoreTb::kHostId);
  EXPECT_EQ(c.cpl_tag(), tag);
  EXPECT_EQ(c.status(), status);
}

TEST_F(CompletionTest, ConfigReadAndWriteCompletions) {
  std::uint8_t tag = 0x42;
  Tlp c = tb_.Request(CfgRd0(CoreTb::kHostId, tag, 0x12, 7, 0, kPciVendorId));
  ExpectCplHeader(c, tb_, tag, kCplSc);
  EXPECT_EQ(c.fmt(), kFmt3dwData);
  EXPECT_EQ(c.length(), 1u);
  EXPECT_EQ(c.byte_count(), 4u);
  EXPECT_EQ(c.lower_address(), 0u);
  EXPECT_EQ(c.completer_id(), 0x12u << 8 | 7u << 3);

  tag = 0x43;
  c = tb_.Request(CfgWr0(CoreTb::kHostId, tag, 0x12, 7, 0, regs::kCfgCommand,
                         kPciCommandMemory | kPciCommandMaster));
  ExpectCplHeader(c, tb_, tag, kCplSc);
  EXPECT_EQ(c.fmt(), kFmt3dw);
  EXPECT_EQ(c.length(), 0u);
  EXPECT_EQ(c.byte_count(), 4u);
  EXPECT_EQ(c.dw.size(), 3u);

  // The function re-captures its bus and device number from every CfgWr0.
  c = tb_.Request(CfgWr0(CoreTb::kHostId, 0x44, 0x34, 9, 0, regs::kCfgCommand,
                         kPciCommandMemory | kPciCommandMaster));
  EXPECT_EQ(c.completer_id(), 0x34u << 8 | 9u << 3);
  c = tb_.Request(CfgRd0(CoreTb::kHostId, 0x45, 0x34, 9, 0, kPciVendorId));
  EXPECT_EQ(c.completer_id(), 0x34u << 8 | 9u << 3);
}

TEST_F(CompletionTest, ConfigWriteByteEnables) {
  // Byte 1 only: Interrupt Disable changes, MSE and BME (byte 0) keep their values.
  tb_.CfgWrite(regs::kCfgCommand, kPciCommandIntxDisable, 0x2);
  EXPECT_EQ(tb_.CfgRead(regs::kCfgCommand) & 0xFFFF,
            kPciCommandMemory | kPciCommandMaster | kPciCommandIntxDisable);
  // BAR0 written one byte at a time.
  tb_.CfgWrite(regs::kCfgBar0, 0xE1000000u, 0x8);
  EXPECT_EQ(tb_.CfgRead(regs::kCfgBar0), 0xE1000000u);
  tb_.CfgWrite(regs::kCfgBar0, kBar0, 0xF);
}

struct ReadCase {
  std::uint32_t offset;  // from SCRATCH
  std::uint32_t len;
  std::uint32_t first_be, last_be;
  std::uint32_t byte_count, lower_address_skip;
};

TEST_F(CompletionTest, MemoryReadByteCountAndLowerAddress) {
  tb_.Write32(regs::SCRATCH, 0x11223344u);
  const ReadCase cases[] = {
      {0, 1, 0xF, 0, 4, 0}, {0, 1, 0x6, 0, 2, 1}, {0, 1, 0x8, 0, 1, 3}, {0, 1, 0x0, 0, 1, 0},
      {0, 1, 0x9, 0, 4, 0}, {0, 1, 0x4, 0, 1, 2}, {0, 3, 0xE, 0x3, 9, 1}, {0, 2, 0xC, 0x1, 3, 2},
      {0, 4, 0xF, 0xF, 16, 0},
  };
  for (const ReadCase& rc : cases) {
    const std::uint8_t tag = tb_.NextTag();
    const std::uint64_t addr = kBar0 + regs::SCRATCH + rc.offset;
    const Tlp c = tb_.Request(MemRd(CoreTb::kHostId, tag, addr, rc.len, rc.first_be, rc.last_be,
                                    false, 2, 1));
    ExpectCplHeader(c, tb_, tag, kCplSc);
    EXPECT_EQ(c.fmt(), kFmt3dwData);
    EXPECT_EQ(c.length(), rc.len);
    EXPECT_EQ(c.byte_count(), rc.byte_count) << "FBE " << rc.first_be << " LBE " << rc.last_be;
    EXPECT_EQ(c.lower_address(), ((addr & 0x7F) & ~3u) + rc.lower_address_skip);
    EXPECT_EQ(c.tc(), 2u);  // a completion carries its request's TC and attributes
    EXPECT_EQ(c.attr(), 1u);
    ASSERT_EQ(c.payload().size(), rc.len);
    EXPECT_EQ(c.payload()[0], 0x11223344u);
  }
}

TEST_F(CompletionTest, LongAnd4dwMemoryReads) {
  const std::uint8_t tag = tb_.NextTag();
  Tlp c = tb_.Request(MemRd(CoreTb::kHostId, tag, kBar0 + regs::ID, 16, 0xF, 0xF, true));
  ExpectCplHeader(c, tb_, tag, kCplSc);
  ASSERT_EQ(c.payload().size(), 16u);
  EXPECT_EQ(c.byte_count(), 64u);
  EXPECT_EQ(c.payload()[regs::ID / 4], regs::kAll[0].reset.value());
  EXPECT_EQ(c.payload()[regs::REGMAP_HASH / 4], regs::kRegmapHash);
  // A 16-DW write, then read back as one request.
  std::vector<std::uint32_t> table(16);
  for (std::uint32_t i = 0; i < 16; ++i) table[i] = 0x1000u * i + 0x10 + i;
  tb_.Send(MemWr(CoreTb::kHostId, kBar0 + regs::kMsixTableOffset, table));
  c = tb_.Request(MemRd(CoreTb::kHostId, tb_.NextTag(), kBar0 + regs::kMsixTableOffset, 16, 0xF, 0xF));
  ASSERT_EQ(c.payload().size(), 16u);
  for (std::uint32_t i = 0; i < 16; ++i) {
    std::uint32_t want = table[i];
    if (i % 4 == 0) want &= ~3u;  // Message Address bits 1:0 are zero
    if (i % 4 == 3) want &= 1u;   // vector control: the mask bit only
    EXPECT_EQ(c.payload()[i], want) << i;
  }
}

TEST_F(CompletionTest, UnsupportedRequestsGetUrAndPostedOnesAreDropped) {
  // MemRd outside BAR0: UR, with the read's byte count and lower address.
  std::uint8_t tag = tb_.NextTag();
  Tlp c = tb_.Request(MemRd(CoreTb::kHostId, tag, 0x10000000u + 0x44, 2, 0xE, 0x7));
  ExpectCplHeader(c, tb_, tag, kCplUr);
  EXPECT_EQ(c.fmt(), kFmt3dw);
  EXPECT_EQ(c.length(), 0u);
  EXPECT_EQ(c.byte_count(), 8u - 1 - 1);
  EXPECT_EQ(c.lower_address(), 0x45u);
  // Above 4 GiB (a 32-bit BAR never matches).
  tag = tb_.NextTag();
  c = tb_.Request(MemRd(CoreTb::kHostId, tag, 0x1'0000'0000ull | kBar0, 1, 0xF, 0));
  ExpectCplHeader(c, tb_, tag, kCplUr);
  // Too long.
  tag = tb_.NextTag();
  c = tb_.Request(MemRd(CoreTb::kHostId, tag, kBar0, 17, 0xF, 0xF));
  ExpectCplHeader(c, tb_, tag, kCplUr);
  // An I/O read: UR, Byte Count 4, Lower Address 0.
  tag = tb_.NextTag();
  c = tb_.Request({Dw0(kFmt3dw, kTypeIo, 1), std::uint32_t{tag} << 8 | 0xF, 0x100});
  ExpectCplHeader(c, tb_, tag, kCplUr);
  EXPECT_EQ(c.byte_count(), 4u);
  EXPECT_EQ(c.lower_address(), 0u);
  // A config read of function 1 of this single-function device.
  tag = tb_.NextTag();
  c = tb_.Request(CfgRd0(CoreTb::kHostId, tag, 0x12, 7, 1, kPciVendorId));
  ExpectCplHeader(c, tb_, tag, kCplUr);

  // Posted: a write outside BAR0, an inbound completion and a message leave no trace.
  tb_.Write32(regs::SCRATCH, 0x5555AAAAu);
  tb_.Send(MemWr(CoreTb::kHostId, 0x10000000u + regs::SCRATCH, {0x1}));
  tb_.Send({Dw0(kFmt3dwData, kTypeCpl, 1), 0x00000004u, 0x00000000u, 0x12345678u});
  tb_.Send({Dw0(0b001, 0b10100, 0), 0x0000007Fu, 0, 0});  // Msg, 4DW header
  EXPECT_EQ(tb_.Read32(regs::SCRATCH), 0x5555AAAAu);

  // Memory Space Enable clear: MemRd is UR, MemWr is dropped.
  tb_.CfgWrite(regs::kCfgCommand, kPciCommandMaster);
  tb_.Send(MemWr(CoreTb::kHostId, kBar0 + regs::SCRATCH, {0x1}));
  tag = tb_.NextTag();
  c = tb_.Request(MemRd(CoreTb::kHostId, tag, kBar0 + regs::SCRATCH, 1, 0xF, 0));
  ExpectCplHeader(c, tb_, tag, kCplUr);
  tb_.CfgWrite(regs::kCfgCommand, kPciCommandMemory | kPciCommandMaster);
  EXPECT_EQ(tb_.Read32(regs::SCRATCH), 0x5555AAAAu);
  EXPECT_TRUE(tb_.writes().empty());
}

TEST_F(CompletionTest, AtomicsLockedReadsAndPoisonedRequests) {
  // FetchAdd (Type 01100, 3DW with data) and MemRdLk (Type 00001): UR, Byte Count 4.
  std::uint8_t tag = tb_.NextTag();
  Tlp c = tb_.Request({Dw0(kFmt3dwData, 0b01100, 1), std::uint32_t{tag} << 8 | 0xF, kBar0 + regs::SCRATCH, 1});
  ExpectCplHeader(c, tb_, tag, kCplUr);
  tag = tb_.NextTag();
  c = tb_.Request({Dw0(kFmt3dw, 0b00001, 1), std::uint32_t{tag} << 8 | 0xF, kBar0 + regs::SCRATCH});
  ExpectCplHeader(c, tb_, tag, kCplUr);
  // A poisoned CfgWr0 (EP) is not executed: UR. A poisoned MemWr is dropped.
  tag = tb_.NextTag();
  std::vector<std::uint32_t> cfg = CfgWr0(CoreTb::kHostId, tag, 0x12, 7, 0, regs::kCfgMsiCap + 0x10, 0xFF);
  cfg[0] |= 1u << 14;
  c = tb_.Request(cfg);
  ExpectCplHeader(c, tb_, tag, kCplUr);
  EXPECT_EQ(tb_.CfgRead(regs::kCfgMsiCap + 0x10), 0u);
  tb_.Write32(regs::SCRATCH, 0x1234);
  std::vector<std::uint32_t> wr = MemWr(CoreTb::kHostId, kBar0 + regs::SCRATCH, {0xBAD});
  wr[0] |= 1u << 14;
  tb_.Send(wr);
  EXPECT_EQ(tb_.Read32(regs::SCRATCH), 0x1234u);
  EXPECT_TRUE(tb_.writes().empty());
}

// Completions and the engine's writes share the transmit stream. With random backpressure on it
// and gaps on the receive stream, reads issued while a burst runs all complete with their own tag
// and a counter that never goes back, and every record and message still arrives in order.
TEST(CompletionInterleaveTest, ReadsDuringABurstUnderBackpressure) {
  CoreTb tb(TbOptions{.seed = 3, .random_stalls = true, .tx_ready_prob = 0.5, .rx_valid_prob = 0.7});
  tb.Enumerate();
  for (unsigned v = 0; v < 2; ++v) WriteMsixEntry(tb, v, kMsiBase | (v << 4), v, false);
  SetMsixControl(tb, true, false);
  const RingConfig ring{0x2'0000'0000ull, 8, 0x2'0001'0000ull};
  ConfigureRing(tb, ring);
  ConfigureBurst(tb, {30, 0, Pattern::kRoundRobin, 0, {0, 1}});
  Ctrl(tb, regs::CTRL_START_MASK);
  std::uint32_t last = 0;
  for (int i = 0; i < 40; ++i) {
    const std::uint8_t tag = tb.NextTag();
    const Tlp c = tb.Request(MemRd(CoreTb::kHostId, tag, tb.bar0() + regs::CNT_EVENTS, 1, 0xF, 0));
    ExpectCplHeader(c, tb, tag, kCplSc);
    ASSERT_EQ(c.payload().size(), 1u);
    EXPECT_GE(c.payload()[0], last);
    last = c.payload()[0];
    // A 4-DW read of a table entry too: the completion carries exactly what was programmed.
    const Tlp e = tb.Request(MemRd(CoreTb::kHostId, tb.NextTag(), tb.bar0() + regs::kMsixTableOffset + 16, 4, 0xF, 0xF));
    ASSERT_EQ(e.payload().size(), 4u);
    EXPECT_EQ(e.payload()[0], kMsiBase | 0x10u);
    EXPECT_EQ(e.payload()[2], 1u);
    EXPECT_EQ(e.payload()[3], 0u);
  }
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; }, 400000);
  const EngineOutput out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 30u);
  ASSERT_EQ(out.msis.size(), 30u);
  for (std::size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(out.records[i].seq, i);
    EXPECT_EQ(out.prod_writes[i].first, i + 1);
    EXPECT_LT(out.prod_writes[i].second, out.msis[i]);
    EXPECT_EQ(tb.writes()[out.msis[i]].payload().at(0), i % 2);
  }
}

}  // namespace
}  // namespace irqrig::rtl_test
