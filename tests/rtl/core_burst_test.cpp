// End to end through the core: enumeration, the MSI-X capability, a burst over vectors [0,1,2]
// with the event ring wrapping, and the order and contents of every TLP the device sends.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/rtl/core_tb.h"

namespace irqrig::rtl_test {
namespace {

constexpr std::uint8_t kBus = 0x5A;
constexpr std::uint8_t kDev = 3;

std::uint64_t MsiAddr(unsigned v) { return kMsiBase | (std::uint64_t{v} << 12); }
std::uint32_t MsiData(unsigned v) { return 0x4020u + v; }

struct BurstRun {
  RingConfig ring;
  BurstConfig burst;
  std::vector<Tlp> writes;
  std::uint32_t cnt_events, cnt_sent, cnt_pended, cnt_dma, prod;
};

// Enumerates, programs three unmasked vectors, runs one burst with a consumer that frees slots as
// records arrive, and returns everything the device wrote.
BurstRun RunBurst(CoreTb& tb, std::uint32_t events, std::uint32_t gap) {
  BurstRun run;
  // The ring lies above 4 GiB (4DW headers), the producer index below (3DW headers).
  run.ring = {0x1'2345'0000ull, 2, 0x8000'1000ull};
  run.burst = {events, gap, Pattern::kRoundRobin, 0, {0, 1, 2}};
  tb.Enumerate(0xF0000000u, kBus, kDev);
  for (unsigned v = 0; v < 3; ++v) WriteMsixEntry(tb, v, MsiAddr(v), MsiData(v), false);
  SetMsixControl(tb, true, false);
  ConfigureRing(tb, run.ring);
  ConfigureBurst(tb, run.burst);
  Ctrl(tb, regs::CTRL_START_MASK);
  RunConsumer(tb, run.ring, events);
  run.writes = tb.writes();
  run.cnt_events = tb.Read32(regs::CNT_EVENTS);
  run.cnt_sent = tb.Read32(regs::CNT_MSI_SENT);
  run.cnt_pended = tb.Read32(regs::CNT_MSI_PENDED);
  run.cnt_dma = tb.Read32(regs::CNT_DMA_WRITES);
  run.prod = tb.Read32(regs::RING_PROD);
  return run;
}

TEST(CoreBurstTest, ConfigSpaceHeaderAndMsixCapability) {
  CoreTb tb;
  // Before enumeration: IDs, header type, capability list.
  EXPECT_EQ(tb.CfgRead(kPciVendorId), std::uint32_t{regs::kDeviceId} << 16 | regs::kVendorId);
  EXPECT_EQ(tb.CfgRead(kPciClassRevision), regs::kClassCode << 8 | regs::kRevisionId);
  EXPECT_EQ((tb.CfgRead(kPciHeaderType) >> 16) & 0xFF, 0u);
  EXPECT_NE(tb.CfgRead(regs::kCfgCommand) & (kPciStatusCapList << 16), 0u);
  // BAR0 sizing: all ones reads back the size mask; memory, 32-bit, non-prefetchable.
  tb.CfgWrite(regs::kCfgBar0, 0xFFFFFFFFu);
  EXPECT_EQ(tb.CfgRead(regs::kCfgBar0), ~((1u << regs::kBar0SizeLog2) - 1));
  // Capabilities pointer -> MSI-X -> MSI -> end. SEMANTICS A5: layout.
  EXPECT_EQ(tb.CfgRead(regs::kCfgCapPtr) & 0xFF, regs::kCfgMsixCap);
  const std::uint32_t cap = tb.CfgRead(regs::kCfgMsixCap + kPciMsixFlags);
  EXPECT_EQ(cap & 0xFF, 0x11u);                        // Cap ID MSI-X
  EXPECT_EQ((cap >> 8) & 0xFF, regs::kCfgMsiCap);      // next: MSI
  const std::uint32_t msi = tb.CfgRead(regs::kCfgMsiCap);
  EXPECT_EQ(msi & 0xFF, 0x05u);                        // Cap ID MSI
  EXPECT_EQ((msi >> 8) & 0xFF, 0u);                    // last capability
  EXPECT_EQ((cap >> 16) & 0x7FF, kNumVectors - 1);
  EXPECT_EQ(cap & (kMsixFlagsEnable | kMsixFlagsMask), 0u);
  EXPECT_EQ(tb.CfgRead(regs::kCfgMsixCap + kPciMsixTable), regs::kMsixTableOffset | 0u);
  EXPECT_EQ(tb.CfgRead(regs::kCfgMsixCap + kPciMsixPba), regs::kMsixPbaOffset | 0u);
  // Enable and Function Mask are writable, Table Size is not.
  tb.CfgWrite(regs::kCfgMsixCap + kPciMsixFlags, 0xFFFFFFFFu);
  EXPECT_EQ(tb.CfgRead(regs::kCfgMsixCap + kPciMsixFlags), cap | kMsixFlagsEnable | kMsixFlagsMask);
  // Command: only MSE, BME and Interrupt Disable are writable.
  tb.CfgWrite(regs::kCfgCommand, 0xFFFFu, 0x3);
  EXPECT_EQ(tb.CfgRead(regs::kCfgCommand) & 0xFFFF,
            kPciCommandMemory | kPciCommandMaster | kPciCommandIntxDisable);
  // Per-vector mask bits reset to 1 (SEMANTICS A5).
  tb.Enumerate();
  EXPECT_EQ(tb.Read32(regs::kMsixTableOffset + 7 * kMsixEntryBytes + kMsixVectorCtrl), 1u);
  EXPECT_EQ(tb.Read32(regs::kMsixPbaOffset), 0u);
}

TEST(CoreBurstTest, BurstWritesRecordsThenProducerThenMessage) {
  CoreTb tb;
  constexpr std::uint32_t kEvents = 10;
  constexpr std::uint32_t kGap = 40;
  const BurstRun run = RunBurst(tb, kEvents, kGap);
  const EngineOutput out = Classify(run.writes, run.ring);

  ASSERT_EQ(out.records.size(), kEvents);
  ASSERT_EQ(out.prod_writes.size(), kEvents);
  ASSERT_EQ(out.msis.size(), kEvents);
  ASSERT_EQ(run.writes.size(), 3 * kEvents);
  for (std::uint32_t i = 0; i < kEvents; ++i) {
    const auto& rec = out.records[i];
    // A record is on the wire before its producer write and before the message announcing it.
    EXPECT_EQ(rec.wire_index, 3 * i);
    EXPECT_EQ(out.prod_writes[i].second, 3 * i + 1);
    EXPECT_EQ(out.msis[i], 3 * i + 2);
    EXPECT_EQ(rec.seq, i);
    EXPECT_EQ(rec.vector, run.burst.vectors[i % 3]);
    EXPECT_EQ(rec.flags, 0x0001u);
    // The ring wraps: slot = prod mod entries.
    EXPECT_EQ(rec.address, run.ring.base + (i % (1u << run.ring.log2)) * regs::kRecordBytes);
    EXPECT_EQ(run.writes[rec.wire_index].header_dws(), 4u);  // above 4 GiB
    if (i > 0) {
      EXPECT_GE(rec.timestamp - out.records[i - 1].timestamp, kGap);
    }
    EXPECT_LT(rec.timestamp, run.writes[rec.wire_index].cycle);
    EXPECT_EQ(out.prod_writes[i].first, i + 1);
    EXPECT_EQ(run.writes[out.prod_writes[i].second].header_dws(), 3u);
    const Tlp& msi = run.writes[out.msis[i]];
    EXPECT_EQ(msi.address(), MsiAddr(rec.vector));
    ASSERT_EQ(msi.payload().size(), 1u);
    EXPECT_EQ(msi.payload()[0], MsiData(rec.vector));
    EXPECT_EQ(msi.first_be(), 0xFu);
    EXPECT_EQ(msi.last_be(), 0x0u);
  }
  for (const Tlp& t : run.writes) {
    EXPECT_EQ(t.requester_id(), tb.DeviceId());
    EXPECT_EQ(t.tc(), 0u);
  }
  EXPECT_EQ(run.cnt_events, kEvents);
  EXPECT_EQ(run.cnt_sent, kEvents);
  EXPECT_EQ(run.cnt_pended, 0u);
  EXPECT_EQ(run.cnt_dma, 2 * kEvents);
  EXPECT_EQ(run.prod, kEvents);
  // CLEAR zeroes the counters but not the ring indices.
  Ctrl(tb, regs::CTRL_CLEAR_MASK);
  EXPECT_EQ(tb.Read32(regs::CNT_EVENTS), 0u);
  EXPECT_EQ(tb.Read32(regs::CNT_DMA_WRITES), 0u);
  EXPECT_EQ(tb.Read32(regs::RING_PROD), kEvents);
}

TEST(CoreBurstTest, NextBurstContinuesTheSequenceAndHonoursTableRewrites) {
  CoreTb tb;
  RunBurst(tb, 3, 0);
  // A rewritten entry takes effect for the next message.
  WriteMsixEntry(tb, 1, MsiAddr(9), 0xABCD, false);
  const std::size_t before = tb.writes().size();
  Ctrl(tb, regs::CTRL_START_MASK);
  RingConfig ring{0x1'2345'0000ull, 2, 0x8000'1000ull};
  tb.RunUntil([&] { return tb.writes().size() >= before + 9; });
  tb.Write32(regs::RING_CONS, 6);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  const EngineOutput out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 6u);
  for (std::uint32_t i = 0; i < 6; ++i) EXPECT_EQ(out.records[i].seq, i);
  const Tlp& msi_v1 = tb.writes()[out.msis[4]];
  EXPECT_EQ(msi_v1.address(), MsiAddr(9));
  EXPECT_EQ(msi_v1.payload().at(0), 0xABCDu);
}

TEST(CoreBurstTest, RandomAndFixedPatternsPickFromTheList) {
  CoreTb tb;
  tb.Enumerate();
  for (unsigned v = 0; v < 8; ++v) WriteMsixEntry(tb, v, MsiAddr(v), MsiData(v), false);
  SetMsixControl(tb, true, false);
  const RingConfig ring{0x10000000ull, 6, 0};
  ConfigureRing(tb, ring);
  const std::vector<std::uint16_t> list{3, 5, 7, 1, 6};
  ConfigureBurst(tb, {20, 0, Pattern::kRandom, 0xC0FFEE, list});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  EngineOutput out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 20u);
  // Galois LFSR x^32+x^22+x^2+x+1 seeded with BURST_SEED; event i uses list[s_i % LEN].
  std::uint32_t s = 0xC0FFEE;
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(out.records[i].vector, list[s % list.size()]) << i;
    s = (s >> 1) ^ ((0u - (s & 1u)) & 0x80200003u);
  }
  ConfigureBurst(tb, {4, 0, Pattern::kFixed, 0, list});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 24u);
  for (std::size_t i = 20; i < 24; ++i) EXPECT_EQ(out.records[i].vector, list[0]);
}

TEST(CoreBurstTest, StopEndsAfterTheCurrentEventAndAbortAtOnce) {
  CoreTb tb;
  tb.Enumerate();
  WriteMsixEntry(tb, 0, MsiAddr(0), MsiData(0), false);
  SetMsixControl(tb, true, false);
  const RingConfig ring{0x10000000ull, 8, 0x20000000ull};
  ConfigureRing(tb, ring);
  ConfigureBurst(tb, {1000, 200, Pattern::kFixed, 0, {0}});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.RunUntil([&] { return tb.writes().size() >= 4; });
  Ctrl(tb, regs::CTRL_STOP_MASK);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  EngineOutput out = Classify(tb.writes(), ring);
  // Every event that started finished: records, producer writes and messages pair up.
  EXPECT_EQ(out.records.size(), out.prod_writes.size());
  EXPECT_EQ(out.records.size(), out.msis.size());
  EXPECT_LT(out.records.size(), 4u);
  tb.Run(1000);
  EXPECT_EQ(Classify(tb.writes(), ring).records.size(), out.records.size());

  // Without bus mastering the writer holds its TLPs; ABORT then drops them.
  tb.CfgWrite(regs::kCfgCommand, kPciCommandMemory);
  const std::size_t before = tb.writes().size();
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.Run(500);
  EXPECT_EQ(tb.writes().size(), before);
  EXPECT_NE(tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK, 0u);
  Ctrl(tb, regs::CTRL_ABORT_MASK);
  tb.Run(50);
  EXPECT_EQ(tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK, 0u);
  // The dropped event took a sequence number and is counted, never silent.
  EXPECT_EQ(tb.Read32(regs::CNT_ABORTED), 1u);
  tb.CfgWrite(regs::kCfgCommand, kPciCommandMemory | kPciCommandMaster);
  tb.Run(500);
  EXPECT_EQ(tb.writes().size(), before);
}

TEST(CoreBurstTest, RepeatReplaysTheSequenceAfterThePause) {
  CoreTb tb;
  tb.Enumerate();
  for (unsigned v = 0; v < 8; ++v) WriteMsixEntry(tb, v, MsiAddr(v), MsiData(v), false);
  SetMsixControl(tb, true, false);
  const RingConfig ring{0x10000000ull, 6, 0};
  ConfigureRing(tb, ring);
  // Round robin over 4 entries, 3 events, 3 times, 30 cycles apart and 500 between repetitions.
  ConfigureBurst(tb, {3, 30, Pattern::kRoundRobin, 0, {4, 5, 6, 7}, 3, 500});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.Run(5);
  EXPECT_NE(tb.Read32(regs::STATUS) & regs::STATUS_GENERATING_MASK, 0u);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  EXPECT_EQ(tb.Read32(regs::STATUS) & regs::STATUS_GENERATING_MASK, 0u);
  EngineOutput out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 9u);
  for (std::size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(out.records[i].seq, i);
    EXPECT_EQ(out.records[i].vector, 4 + i % 3) << i;  // every repetition starts at list[0]
    if (i > 0) {
      const std::uint64_t apart = out.records[i].timestamp - out.records[i - 1].timestamp;
      EXPECT_EQ(apart, i % 3 == 0 ? 500u : 30u) << i;
    }
  }
  EXPECT_EQ(tb.Read32(regs::CNT_EVENTS), 9u);
  // Random: each repetition replays the same draws from the seed.
  ConfigureBurst(tb, {5, 0, Pattern::kRandom, 0xBEEF, {0, 1, 2, 3, 4, 5, 6}, 2, 0});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  out = Classify(tb.writes(), ring);
  ASSERT_EQ(out.records.size(), 19u);
  for (std::size_t i = 9; i < 14; ++i) EXPECT_EQ(out.records[i].vector, out.records[i + 5].vector) << i;
  // REPEAT 0 counts as 1.
  ConfigureBurst(tb, {2, 0, Pattern::kFixed, 0, {1}, 0, 0});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  EXPECT_EQ(Classify(tb.writes(), ring).records.size(), 21u);
}

TEST(CoreBurstTest, StartWhileBusyIsIgnoredAndStopEndsARepeatingBurst) {
  CoreTb tb;
  tb.Enumerate();
  WriteMsixEntry(tb, 0, MsiAddr(0), MsiData(0), false);
  SetMsixControl(tb, true, false);
  const RingConfig ring{0x10000000ull, 8, 0};
  ConfigureRing(tb, ring);
  ConfigureBurst(tb, {4, 100, Pattern::kFixed, 0, {0}, 1000, 0});
  Ctrl(tb, regs::CTRL_START_MASK);
  tb.Run(250);
  Ctrl(tb, regs::CTRL_START_MASK);  // ignored: busy
  tb.Run(100);
  Ctrl(tb, regs::CTRL_STOP_MASK);
  tb.RunUntil([&] { return (tb.Read32(regs::STATUS) & regs::STATUS_BUSY_MASK) == 0; });
  const EngineOutput out = Classify(tb.writes(), ring);
  EXPECT_GE(out.records.size(), 3u);
  EXPECT_LE(out.records.size(), 5u);
  EXPECT_EQ(out.msis.size(), out.records.size());
  EXPECT_EQ(tb.Read32(regs::CNT_EVENTS), out.records.size());
}

// The same burst under random m_axis_tx_tready backpressure and random gaps on the receive stream
// gives the same records, producer writes and messages, each stream in the same order: nothing
// lost, duplicated or reordered. Records and messages travel on separate sources of the
// transmitter, so their interleaving may differ; each message still follows its record.
TEST(CoreBurstTest, BackpressureChangesTimingOnly) {
  constexpr std::uint32_t kEvents = 24;
  CoreTb plain;
  const BurstRun a = RunBurst(plain, kEvents, 3);
  CoreTb stalled(TbOptions{.seed = 7, .random_stalls = true, .tx_ready_prob = 0.4, .rx_valid_prob = 0.5});
  const BurstRun b = RunBurst(stalled, kEvents, 3);
  ASSERT_EQ(a.writes.size(), 3 * kEvents);
  ASSERT_EQ(a.writes.size(), b.writes.size());
  const EngineOutput oa = Classify(a.writes, a.ring), ob = Classify(b.writes, b.ring);
  ASSERT_EQ(oa.records.size(), kEvents);
  ASSERT_EQ(ob.records.size(), kEvents);
  ASSERT_EQ(ob.prod_writes.size(), kEvents);
  ASSERT_EQ(ob.msis.size(), kEvents);
  for (std::size_t i = 0; i < kEvents; ++i) {
    for (const EngineOutput* o : {&oa, &ob}) {
      EXPECT_EQ(o->records[i].seq, i);
      EXPECT_LT(o->records[i].wire_index, o->prod_writes[i].second);
      EXPECT_LT(o->prod_writes[i].second, o->msis[i]) << "message " << i << " before its producer write";
    }
    EXPECT_EQ(oa.records[i].vector, ob.records[i].vector);
    EXPECT_EQ(oa.records[i].address, ob.records[i].address);
    EXPECT_EQ(oa.prod_writes[i].first, ob.prod_writes[i].first);
    EXPECT_EQ(a.writes[oa.msis[i]].dw, b.writes[ob.msis[i]].dw) << "message " << i;
  }
  EXPECT_EQ(a.cnt_events, b.cnt_events);
  EXPECT_EQ(a.cnt_sent, b.cnt_sent);
  EXPECT_EQ(a.cnt_dma, b.cnt_dma);
  EXPECT_EQ(a.prod, b.prod);
  EXPECT_EQ(a.cnt_pended, b.cnt_pended);
}

}  // namespace
}  // namespace irqrig::rtl_test
