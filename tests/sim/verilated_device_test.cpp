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
  // Records and producer writes in sequence order; message k only after record k and the
  // producer write that publishes it (the next record may overtake a message: separate sources).
  std::uint32_t records = 0, producers = 0, messages = 0;
  std::uint64_t last_time = 0;
  for (const UpstreamWrite& w : writes) {
    EXPECT_GE(w.time_ps, last_time);
    last_time = w.time_ps;
    if (w.address >= kRing && w.address < kProducer) {
      ASSERT_EQ(w.data.size(), 4u);
      EXPECT_EQ(w.data[0], records);
      EXPECT_EQ(w.address, kRing + (records % kEntries) * 16);
      EXPECT_EQ(w.data[1] & 0xFFFF, records % 3);  // round robin over [0, 1, 2]
      EXPECT_EQ(w.data[1] >> 16, 1u);              // valid flag
      ++records;
    } else if (w.address == kProducer) {
      EXPECT_EQ(w.data.at(0), producers + 1);
      ASSERT_LT(producers, records);
      ++producers;
    } else {
      // The message announcing record `messages`: to CPU k with vector 0x60 + k.
      ASSERT_LT(messages, producers) << "message before its record was published";
      const std::uint32_t k = messages % 3;
      EXPECT_EQ(w.address, 0xFEE00000u | (k << 12));
      EXPECT_EQ(w.data.at(0), 0x60 + k);
      ++messages;
    }
  }
  EXPECT_EQ(records, 24u);
  EXPECT_EQ(producers, 24u);
  EXPECT_EQ(messages, 24u);
}

// Each kind of write as its own stream: records (timestamps aside), producer values, messages.
std::vector<std::vector<std::uint32_t>> stream(const std::vector<UpstreamWrite>& writes, int kind) {
  std::vector<std::vector<std::uint32_t>> out;
  for (const UpstreamWrite& w : writes) {
    const int k = (w.address >= kRing && w.address < kProducer) ? 0 : w.address == kProducer ? 1 : 2;
    if (k != kind) continue;
    std::vector<std::uint32_t> v{static_cast<std::uint32_t>(w.address)};
    v.insert(v.end(), w.data.begin(), w.data.begin() + (k == 0 ? 2 : static_cast<long>(w.data.size())));
    out.push_back(std::move(v));
  }
  return out;
}

TEST(VerilatedDevice, BackpressureChangesTimingNotContent) {
  const auto calm = run_burst(0.0);
  const auto stalled = run_burst(0.5);
  ASSERT_EQ(calm.size(), stalled.size());
  for (int kind = 0; kind < 3; ++kind) EXPECT_EQ(stream(calm, kind), stream(stalled, kind)) << "kind " << kind;
  EXPECT_GT(stalled.back().time_ps, calm.back().time_ps);
}

}  // namespace
}  // namespace irqrig::sim
