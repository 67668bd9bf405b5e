// The recorder and the replay backend at the device interface (docs/replay.md): what a device
// sends is recorded as arrivals with their records, and a recording plays back through the ring
// and the vectors the host programmed, masks honoured, read answers as recorded.
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "host/platform/synthetic_device.h"
#include "host/replay/recording.h"
#include "host/replay/recording_device.h"
#include "host/replay/replay_device.h"
#include "irqrig/regs.h"

namespace irqrig::host::replay {
namespace {

constexpr std::uint64_t kRing = 0x10000000, kProducer = 0x10004000;

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("irqrig_replay_device_test_" + std::to_string(getpid()) + "_" + name))
      .string();
}

/// What a driver does at start: the ring, the producer index's address, vector `k`'s entry, MSI-X on.
void program(sim::Device& d, unsigned vectors) {
  d.bar_write32(0, regs::RING_BASE_LO, static_cast<std::uint32_t>(kRing));
  d.bar_write32(0, regs::RING_LOG2, 4);
  d.bar_write32(0, regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(kProducer));
  for (unsigned k = 0; k < vectors; ++k) {
    const std::uint64_t e = regs::kMsixTableOffset + 16ull * k;
    d.bar_write32(0, e, 0xFEE00000u | (k << 12));
    d.bar_write32(0, e + 8, 0x40 + k);
    d.bar_write32(0, e + 12, 0);  // unmasked
  }
  d.config_write(regs::kCfgMsixCap, 1u << 31, 0x8);
}

RecordingHeader header(unsigned vectors) {
  RecordingHeader h;
  h.target = "sim";
  h.scenario_name = "unit";
  h.vectors = vectors;
  h.cycle_ps = 4000;
  return h;
}

TEST(RecordingDevice, RecordsArrivalsWithTheirRecordsAndMessageNumbers) {
  const std::string path = temp("recorded.jsonl");
  auto synthetic = std::make_unique<host::SyntheticDevice>();
  host::SyntheticDevice& dev = *synthetic;
  {
    RecordingDevice rec(std::move(synthetic), path, header(4));
    std::vector<sim::UpstreamWrite> seen;
    rec.set_upstream_sink([&](sim::UpstreamWrite&& w) { seen.push_back(std::move(w)); });
    program(rec, 4);
    dev.add_event(100000, 2);
    dev.add_event(200000, 3);
    dev.add_raw(sim::UpstreamWrite{300000, 0x20000000, {7, 8}, 0xF, 0xF, 0});
    rec.advance_to(400000);
    EXPECT_EQ(rec.bar_read32(0, regs::RING_PROD), 2u);
    rec.finish();
    // Everything passed through to the host as sent.
    EXPECT_EQ(seen.size(), 7u);  // 2 x (record, producer, message) and the raw write
  }
  const Recording r = read_recording(path);
  ASSERT_EQ(r.arrivals(), 2u);
  ASSERT_EQ(r.records(), 2u);
  const Entry* first = nullptr;
  std::vector<const Entry*> raws, reads;
  for (const Entry& e : r.entries) {
    if (e.kind == Entry::Kind::kArrival && !first) first = &e;
    if (e.kind == Entry::Kind::kRaw) raws.push_back(&e);
    if (e.kind == Entry::Kind::kAccess && e.access.kind == Access::Kind::kBarRead) reads.push_back(&e);
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first->message, 2u);
  EXPECT_EQ(first->time_ps, 100000u);
  ASSERT_EQ(first->records.size(), 1u);
  EXPECT_EQ(first->records[0].dw[0], 0u);              // sequence number
  EXPECT_EQ(first->records[0].dw[1], 0x10000u | 2u);   // {16'h0001, vector}
  EXPECT_EQ(first->records[0].producer_time_ps, 100000u);
  ASSERT_EQ(raws.size(), 1u);
  EXPECT_EQ(raws[0]->raw.address, 0x20000000u);
  EXPECT_EQ(raws[0]->raw.data, (std::vector<std::uint32_t>{7, 8}));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0]->access.offset, regs::RING_PROD);
  EXPECT_EQ(reads[0]->access.value, 2u);
  std::filesystem::remove(path);
}

// An interrupt write that no programmed vector sends is kept byte for byte, not named.
TEST(RecordingDevice, AnUnknownMessageIsRecordedRaw) {
  const std::string path = temp("unknown.jsonl");
  auto synthetic = std::make_unique<host::SyntheticDevice>();
  host::SyntheticDevice& dev = *synthetic;
  {
    RecordingDevice rec(std::move(synthetic), path, header(4));
    program(rec, 4);
    dev.add_raw(sim::UpstreamWrite{5000, 0xFEE0F000, {0x99}, 0xF, 0, 0});
    rec.advance_to(10000);
    rec.finish();
  }
  const Recording r = read_recording(path);
  EXPECT_EQ(r.arrivals(), 0u);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].kind, Entry::Kind::kRaw);
  EXPECT_EQ(r.entries[0].raw.address, 0xFEE0F000u);
  std::filesystem::remove(path);
}

// The RTL drains a ring after a stall back to back: record n, its producer write, record n+1, n's
// message, n+1's producer write. The message's line waits for n+1's producer time.
TEST(RecordingDevice, AMessageBeforeTheLastRecordsProducerWriteKeepsThatWritesTime) {
  const std::string path = temp("interleaved.jsonl");
  auto synthetic = std::make_unique<host::SyntheticDevice>();
  host::SyntheticDevice& dev = *synthetic;
  {
    RecordingDevice rec(std::move(synthetic), path, header(4));
    program(rec, 4);
    auto write = [&](std::uint64_t t, std::uint64_t address, std::vector<std::uint32_t> data) {
      dev.add_raw(sim::UpstreamWrite{t, address, std::move(data), 0xF, 0xF, 0});
    };
    write(1000, kRing, {0, 0x10001, 0, 0});
    write(2000, kProducer, {1});
    write(3000, kRing + 16, {1, 0x10001, 0, 0});
    write(4000, 0xFEE01000, {0x41});
    write(5000, kProducer, {2});
    write(6000, 0xFEE01000, {0x41});
    rec.advance_to(10000);
    rec.finish();
  }
  const Recording r = read_recording(path);
  ASSERT_EQ(r.entries.size(), 2u);
  ASSERT_EQ(r.entries[0].records.size(), 2u);
  EXPECT_EQ(r.entries[0].time_ps, 4000u);
  EXPECT_EQ(r.entries[0].records[0].producer_time_ps, 2000u);
  EXPECT_EQ(r.entries[0].records[1].time_ps, 3000u);
  EXPECT_EQ(r.entries[0].records[1].producer_time_ps, 5000u);
  EXPECT_TRUE(r.entries[1].records.empty());
  EXPECT_EQ(*r.entries[1].message, 1u);
  std::filesystem::remove(path);
}

Recording two_arrivals() {
  Recording r;
  r.header = header(4);
  Entry a;
  a.kind = Entry::Kind::kArrival;
  a.time_ps = 10000;
  a.message = 1;
  a.records = {RingRecord{8000, 9000, {5, 0x10001, 2, 0}}};
  Entry b = a;
  b.time_ps = 30000;
  b.message = 3;
  b.records = {RingRecord{28000, 28000, {6, 0x10003, 7, 0}}};
  r.entries = {a, b};
  r.end_ps = 30000;
  return r;
}

TEST(ReplayDevice, PlaysRecordsIntoTheProgrammedRingThenTheMessageThroughItsEntry) {
  ReplayDevice dev(two_arrivals(), 4);
  std::vector<sim::UpstreamWrite> out;
  dev.set_upstream_sink([&](sim::UpstreamWrite&& w) { out.push_back(std::move(w)); });
  program(dev, 4);
  dev.advance_to(40000);
  ASSERT_EQ(out.size(), 6u);
  // Slot 0, the recorded content, at its time; the producer index behind it at its own time.
  EXPECT_EQ(out[0].address, kRing);
  EXPECT_EQ(out[0].time_ps, 8000u);
  EXPECT_EQ(out[0].data, (std::vector<std::uint32_t>{5, 0x10001, 2, 0}));
  EXPECT_EQ(out[1].address, kProducer);
  EXPECT_EQ(out[1].time_ps, 9000u);
  EXPECT_EQ(out[1].data, (std::vector<std::uint32_t>{1}));
  // The message through the entry the host programmed for vector 1.
  EXPECT_EQ(out[2].address, 0xFEE01000u);
  EXPECT_EQ(out[2].data, (std::vector<std::uint32_t>{0x41}));
  EXPECT_EQ(out[2].time_ps, 10000u);
  // The next record takes the next slot.
  EXPECT_EQ(out[3].address, kRing + 16);
  EXPECT_EQ(out[5].address, 0xFEE03000u);
  // Without recorded answers the model answers: the records written, the messages sent.
  EXPECT_EQ(dev.bar_read32(0, regs::RING_PROD), 2u);
  EXPECT_EQ(dev.bar_read32(0, regs::CNT_EVENTS), 2u);
  EXPECT_EQ(dev.bar_read32(0, regs::CNT_MSI_SENT), 2u);
  EXPECT_EQ(dev.model_answers(), 3u);
}

// SEMANTICS A6: a masked vector's replayed message sets its pending bit and goes out on unmask.
TEST(ReplayDevice, AMaskedVectorsMessageWaitsForTheUnmask_SemanticsA6) {
  ReplayDevice dev(two_arrivals(), 4);
  std::vector<sim::UpstreamWrite> out;
  dev.set_upstream_sink([&](sim::UpstreamWrite&& w) { out.push_back(std::move(w)); });
  program(dev, 4);
  dev.bar_write32(0, regs::kMsixTableOffset + 16 + 12, 1);  // mask vector 1
  dev.advance_to(20000);
  ASSERT_EQ(out.size(), 2u);  // the record and the producer index, no message
  dev.bar_write32(0, regs::kMsixTableOffset + 16 + 12, 0);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].address, 0xFEE01000u);
  EXPECT_EQ(out[2].time_ps, 20000u);
}

TEST(ReplayDevice, ARecordedReadIsAnsweredAsRecordedWhenTheHostAsksAtThatTime) {
  Recording r = two_arrivals();
  Entry read;
  read.kind = Entry::Kind::kAccess;
  read.time_ps = 0;
  read.access = Access{Access::Kind::kBarRead, 0, regs::RING_PROD, 4, 77, 40000};
  r.entries.insert(r.entries.begin(), read);
  ReplayDevice dev(r, 4);
  dev.set_upstream_sink([](sim::UpstreamWrite&&) {});
  EXPECT_EQ(dev.bar_read32(0, regs::RING_PROD), 77u);
  EXPECT_EQ(dev.now_ps(), 40000u);  // the answer took its recorded time, the device ran meanwhile
  EXPECT_EQ(dev.recorded_answers(), 1u);
  // The same read later: nothing recorded at that time, the model answers after the usual time.
  EXPECT_EQ(dev.bar_read32(0, regs::RING_PROD), 0u);  // no ring programmed: no record written
  EXPECT_EQ(dev.now_ps(), 80000u);
  EXPECT_EQ(dev.model_answers(), 1u);
}

// A mask posted just before a message was on its way does not stop it (the RTL's receive path).
TEST(ReplayDevice, APostedWriteActsAfterTheRecordedDelay) {
  Recording r = two_arrivals();
  r.header.posted_write_ps = 16000;
  ReplayDevice dev(r, 4);
  std::vector<sim::UpstreamWrite> out;
  dev.set_upstream_sink([&](sim::UpstreamWrite&& w) { out.push_back(std::move(w)); });
  program(dev, 4);
  dev.advance_to(25000);
  dev.bar_write32(0, regs::kMsixTableOffset + 48 + 12, 1);  // mask vector 3 at 25 ns: acts at 41 ns
  dev.advance_to(50000);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[5].address, 0xFEE03000u);  // sent at 30 ns, before the mask acted
}

// A replayed record waits while the ring is full, as the RTL's event writer does (stall mode),
// and so does everything after it; the consumer index frees the slot.
TEST(ReplayDevice, ARecordWaitsForRoomInTheRing) {
  ReplayDevice dev(two_arrivals(), 4);
  std::vector<sim::UpstreamWrite> out;
  dev.set_upstream_sink([&](sim::UpstreamWrite&& w) { out.push_back(std::move(w)); });
  program(dev, 4);
  dev.bar_write32(0, regs::RING_CONS, 0u - 16u);  // 16 records outstanding in the 16-entry ring
  dev.advance_to(40000);
  EXPECT_TRUE(out.empty());  // the record waits, and the message behind it
  dev.bar_write32(0, regs::RING_CONS, 0);
  dev.advance_to(50000);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].address, kRing);
  EXPECT_EQ(out[0].time_ps, 40000u);  // written when the room was there, not before
}

TEST(ReplayDevice, ARecordFromARecordingWithoutRingProgrammingIsCountedNotWritten) {
  ReplayDevice dev(two_arrivals(), 4);
  std::vector<sim::UpstreamWrite> out;
  dev.set_upstream_sink([&](sim::UpstreamWrite&& w) { out.push_back(std::move(w)); });
  dev.advance_to(40000);
  EXPECT_TRUE(out.empty());  // no ring, and MSI-X disabled: messages pend
  EXPECT_EQ(dev.bar_read32(0, regs::CNT_EVENTS), 2u);
  EXPECT_EQ(dev.bar_read32(0, regs::CNT_MSI_PENDED), 2u);
}

}  // namespace
}  // namespace irqrig::host::replay
