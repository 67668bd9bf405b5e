// The in-process backend over the Verilated endpoint: enumeration, MMIO, and a burst arriving as the
// right upstream writes (records before the messages that announce them), with and without backpressure.
#include "sim/verilated/verilated_device.h"

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "sim/device/endpoint.h"

namespace irqrig::sim {
namespace {

constexpr std::uint64_t kRing = 0x1'0000'0000ull;
constexpr std::uint32_t kEntries = 16;
constexpr std::uint64_t kProducer = kRing + kEntries * 16;

void program_burst(VerilatedDevice& d, std::uint32_t events, std::vector<std::uint32_t> vectors) {
  Endpoint ep(d);
  for (std::uint32_t k = 0; k < 4; ++k) ep.program_message(k, 0xFEE00000u | (k << 12), 0x60 + k);
  ep.set_msix_enable(true);
  ep.set_ring(kRing, 4, kProducer);
  ep.start_burst(BurstProgram{events, 5, 0, 1, std::move(vectors)});
}

std::vector<UpstreamWrite> run_burst(double stall_probability) {
  VerilatedDeviceOptions o;
  o.tx_stall_probability = stall_probability;
  o.stall_seed = 5;
  VerilatedDevice d(o);
  std::vector<UpstreamWrite> writes;
  d.set_upstream_sink([&](UpstreamWrite&& w) {
    writes.push_back(std::move(w));
    // Keep up with the ring, as a driver would, so the engine never stalls on it here.
    if (writes.back().address == kProducer) d.bar_write32(0, regs::RING_CONS, writes.back().data[0]);
  });
  program_burst(d, 24, {0, 1, 2});
  for (int i = 0; i < 200 && (d.bar_read32(0, regs::STATUS) & regs::STATUS_BUSY_MASK); ++i) d.run_cycles(100);
  EXPECT_EQ(d.bar_read32(0, regs::STATUS) & regs::STATUS_BUSY_MASK, 0u);
  EXPECT_EQ(d.bar_read32(0, regs::CNT_EVENTS), 24u);
  EXPECT_EQ(d.bar_read32(0, regs::CNT_MSI_SENT), 24u);
  return writes;
}

TEST(VerilatedDevice, EnumeratesAndAnswersMmio) {
  VerilatedDevice d;
  EXPECT_EQ(d.bar_read32(0, regs::ID), 0x49525152u);
  EXPECT_EQ(d.bar_read32(0, regs::REGMAP_HASH), regs::kRegmapHash);
  d.bar_write32(0, regs::SCRATCH, 0xA5A55A5A);
  EXPECT_EQ(d.bar_read32(0, regs::SCRATCH), 0xA5A55A5Au);
  EXPECT_EQ(d.bar_read(0, regs::SCRATCH + 2, 2), 0xA5A5u);
  EXPECT_EQ(d.bar_read(0, regs::SCRATCH, 1), 0x5Au);
  EXPECT_EQ(d.bar_read(0, regs::ID, 8), std::uint64_t{regs::kRegmapHash} << 32 | 0x49525152u);
  EXPECT_EQ(d.cycle_ps(), 4000u);
  EXPECT_THROW(d.bar_read(0, 3, 4), DeviceError);
  EXPECT_THROW(d.bar_read(1, 0, 4), DeviceError);
}

TEST(VerilatedDevice, BurstWritesRecordsBeforeTheirMessages) {
  const auto writes = run_burst(0.0);
  std::uint32_t next_seq = 0;
  bool record_seen = false, producer_seen = false;
  std::uint64_t last_time = 0;
  for (const UpstreamWrite& w : writes) {
    EXPECT_GE(w.time_ps, last_time);
    last_time = w.time_ps;
    if (w.address >= kRing && w.address < kProducer) {
      ASSERT_EQ(w.data.size(), 4u);
      EXPECT_EQ(w.data[0], next_seq);
      EXPECT_EQ(w.address, kRing + (next_seq % kEntries) * 16);
      EXPECT_EQ(w.data[1] & 0xFFFF, next_seq % 3);  // round robin over [0, 1, 2]
      EXPECT_EQ(w.data[1] >> 16, 1u);               // valid flag
      record_seen = true;
    } else if (w.address == kProducer) {
      ASSERT_TRUE(record_seen);
      EXPECT_EQ(w.data.at(0), next_seq + 1);
      producer_seen = true;
    } else {
      // The message announcing record next_seq: to CPU k with vector 0x60 + k.
      ASSERT_TRUE(record_seen && producer_seen) << "message before its record, seq " << next_seq;
      const std::uint32_t k = next_seq % 3;
      EXPECT_EQ(w.address, 0xFEE00000u | (k << 12));
      EXPECT_EQ(w.data.at(0), 0x60 + k);
      record_seen = producer_seen = false;
      ++next_seq;
    }
  }
  EXPECT_EQ(next_seq, 24u);
}

TEST(VerilatedDevice, BackpressureChangesTimingNotContent) {
  const auto calm = run_burst(0.0);
  const auto stalled = run_burst(0.5);
  ASSERT_EQ(calm.size(), stalled.size());
  for (std::size_t i = 0; i < calm.size(); ++i) {
    EXPECT_EQ(calm[i].address, stalled[i].address) << i;
    // Record timestamps may differ; everything else is identical.
    if (calm[i].data.size() == 4) {
      EXPECT_EQ(calm[i].data[0], stalled[i].data[0]);
      EXPECT_EQ(calm[i].data[1], stalled[i].data[1]);
    } else {
      EXPECT_EQ(calm[i].data, stalled[i].data) << i;
    }
  }
  EXPECT_GT(stalled.back().time_ps, calm.back().time_ps);
}

}  // namespace
}  // namespace irqrig::sim
