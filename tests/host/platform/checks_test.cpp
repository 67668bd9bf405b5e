// The checks judged while a run goes (docs/checks.md): record_integrity, isr_balance, dpc_watchdog,
// late, the failure log behind them (kept details, count, trace mark, stop at the first). Each check
// is shown failing on a bad driver behaviour and passing on the good one.
#include <bit>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host/platform/accounting.h"
#include "irqrig/regs.h"
#include "irqrig/rig.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

RingWatch::Record record(std::uint32_t seq, std::uint16_t vector = 0, std::uint64_t stamp = 0) {
  const std::uint32_t words[4] = {seq, vector | (1u << 16), static_cast<std::uint32_t>(stamp),
                                  static_cast<std::uint32_t>(stamp >> 32)};
  RingWatch::Record r;
  std::memcpy(r.data(), words, r.size());
  return r;
}

// ---- RingWatch alone -------------------------------------------------------------------------

TEST(RingWatch, InOrderReadsThenReleaseThenRewritePass) {
  RingWatch w(4);
  w.on_released(0);  // the driver's start: the mark, nothing released
  for (std::uint32_t s = 0; s < 4; ++s) w.on_written(s, record(s), s * 10);
  for (std::uint32_t s = 0; s < 4; ++s) EXPECT_EQ(w.on_read(s, record(s)).problem, RingWatch::Problem::kNone);
  w.on_released(4);
  w.on_written(0, record(4), 100);  // the next lap
  EXPECT_EQ(w.on_read(0, record(4)).problem, RingWatch::Problem::kNone);
  EXPECT_EQ(w.reads(), 5u);
}

TEST(RingWatch, SlotReadAgainBeforeTheDeviceRewritesItIsStale) {
  RingWatch w(4);
  w.on_written(1, record(7), 0);
  EXPECT_EQ(w.on_read(1, record(7)).problem, RingWatch::Problem::kNone);
  const RingWatch::Verdict v = w.on_read(1, record(7));
  EXPECT_EQ(v.problem, RingWatch::Problem::kStale);
  EXPECT_NE(v.detail.find("ring slot 1 was read again"), std::string::npos) << v.detail;
  EXPECT_NE(v.detail.find("sequence number 7"), std::string::npos) << v.detail;
}

TEST(RingWatch, SlotTheDeviceNeverWroteIsStale) {
  RingWatch w(4);
  const RingWatch::Verdict v = w.on_read(2, record(0));
  EXPECT_EQ(v.problem, RingWatch::Problem::kStale);
  EXPECT_NE(v.detail.find("never wrote"), std::string::npos) << v.detail;
}

TEST(RingWatch, ReadAfterTheConsumerIndexReleasedTheSlot) {
  RingWatch w(4);
  w.on_released(0);
  w.on_written(0, record(0), 0);
  w.on_written(1, record(1), 0);
  w.on_released(1);  // slot 0 handed back before it was read
  const RingWatch::Verdict v = w.on_read(0, record(0));
  EXPECT_EQ(v.problem, RingWatch::Problem::kAfterRelease);
  EXPECT_NE(v.detail.find("after the consumer index had released it"), std::string::npos) << v.detail;
  EXPECT_EQ(w.on_read(1, record(1)).problem, RingWatch::Problem::kNone);  // slot 1 is still the driver's
}

TEST(RingWatch, ConsumerIndexWrapsAt32Bits) {
  RingWatch w(4);
  w.on_released(0xFFFF'FFFEu);
  w.on_written(2, record(0), 0);
  w.on_written(3, record(1), 0);
  w.on_written(0, record(2), 0);
  w.on_released(0xFFFF'FFFFu);  // releases slot 2 (0xFFFFFFFE mod 4) only
  EXPECT_EQ(w.on_read(3, record(1)).problem, RingWatch::Problem::kNone);
  EXPECT_EQ(w.on_read(0, record(2)).problem, RingWatch::Problem::kNone);
  EXPECT_EQ(w.on_read(2, record(0)).problem, RingWatch::Problem::kAfterRelease);
}

TEST(RingWatch, BytesTheDeviceDidNotWriteAreTorn) {
  RingWatch w(4);
  w.on_written(0, record(3, 1, 0x1234), 0);
  w.on_written(1, record(4, 1, 0x1240), 0);
  // A copy whose timestamp came from a later record: torn.
  const RingWatch::Verdict v = w.on_read(std::nullopt, record(3, 1, 0x1240));
  EXPECT_EQ(v.problem, RingWatch::Problem::kTorn);
  EXPECT_NE(v.detail.find("a copy of the record for sequence number 3"), std::string::npos) << v.detail;
  // A faithful copy passes.
  EXPECT_EQ(w.on_read(std::nullopt, record(4, 1, 0x1240)).problem, RingWatch::Problem::kNone);
  // In the ring: the driver scribbled on the slot before handing it up.
  w.on_written(2, record(5, 1, 0x1250), 0);
  EXPECT_EQ(w.on_read(2, record(5, 1, 0x9999)).problem, RingWatch::Problem::kTorn);
}

TEST(RingWatch, LateRecordsOldestFirstAndEachOnce) {
  RingWatch w(8);
  w.on_written(0, record(0), 100);
  w.on_written(1, record(1), 200);
  w.on_written(2, record(2), 300);
  EXPECT_EQ(w.on_read(0, record(0)).problem, RingWatch::Problem::kNone);
  EXPECT_TRUE(w.take_late(150).empty());  // 0 was processed in time
  const auto late = w.take_late(250);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].seq, 1u);
  EXPECT_EQ(late[0].written_ps, 200u);
  EXPECT_TRUE(w.take_late(250).empty());  // reported once
  EXPECT_EQ(w.take_late(1000).size(), 1u);
}

// ---- on the platform -------------------------------------------------------------------------

/// A driver's view of the synthetic device: BAR0 mapped, the ring at the common buffer's start.
struct Device {
  PUCHAR bar0 = nullptr;
  volatile ULONG* reg(ULONG offset) const { return reinterpret_cast<volatile ULONG*>(bar0 + offset); }
  void start(Platform& p) {
    PHYSICAL_ADDRESS bar;
    bar.QuadPart = static_cast<LONGLONG>(p.bar0_physical());
    bar0 = static_cast<PUCHAR>(MmMapIoSpace(bar, 1u << regs::kBar0SizeLog2, MmNonCached));
    const std::uint64_t ring = p.config().dma_base;
    const std::uint64_t producer = ring + std::uint64_t{p.config().ring_entries} * 16;
    WRITE_REGISTER_ULONG(reg(regs::RING_BASE_LO), static_cast<ULONG>(ring));
    WRITE_REGISTER_ULONG(reg(regs::RING_BASE_HI), static_cast<ULONG>(ring >> 32));
    WRITE_REGISTER_ULONG(reg(regs::RING_LOG2), static_cast<ULONG>(std::bit_width(p.config().ring_entries) - 1));
    WRITE_REGISTER_ULONG(reg(regs::RING_PROD_ADDR_LO), static_cast<ULONG>(producer));
    WRITE_REGISTER_ULONG(reg(regs::RING_PROD_ADDR_HI), static_cast<ULONG>(producer >> 32));
    WRITE_REGISTER_ULONG(reg(regs::RING_CONS), 0);
  }
  const IRQRIG_EVENT_RECORD* slot(Platform& p, unsigned i) const {
    return reinterpret_cast<const IRQRIG_EVENT_RECORD*>(p.common_buffer()) + i;
  }
};

std::vector<Fault> faults_of(Rig& rig, const std::string& check) {
  std::vector<Fault> out;
  for (const Fault& f : rig.platform().faults())
    if (f.check == check) out.push_back(f);
  return out;
}

PlatformConfig small_ring(unsigned cpus = 2) {
  PlatformConfig c = test_config(cpus);
  c.ring_entries = 4;
  return c;
}

// The good order: read every record, then write the consumer index, in a DPC.
TEST(RecordIntegrityPlatform, DrainThenReleasePasses) {
  Rig rig(small_ring());
  Device dev;
  KDPC dpc;
  ULONG consumer = 0;
  DpcFn drain = [&](PKDPC, PVOID, PVOID) {
    const ULONG producer = READ_REGISTER_ULONG(dev.reg(regs::RING_PROD));
    for (; consumer != producer; ++consumer) IrqrigEventProcessed(dev.slot(rig.platform(), consumer & 3));
    WRITE_REGISTER_ULONG(dev.reg(regs::RING_CONS), consumer);
  };
  rig.at(0, 0, [&] {
    dev.start(rig.platform());
    KeInitializeDpc(&dpc, &dpc_trampoline, &drain);
  });
  rig.device().add_burst(1 * kUs, 10, 1 * kUs, {0}, true);  // 10 records through a 4-slot ring
  for (int i = 0; i < 12; ++i) rig.at((2 + 2 * i) * kUs, 0, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.run(40 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults().front().describe();
  EXPECT_EQ(rig.platform().accounting().processed(), 10u);
  EXPECT_EQ(rig.platform().ring_watch().reads(), 10u);
}

// The bug "consumer index written before the record is read": caught at the read, naming the DPC,
// its CPU, the time and the record's sequence number.
TEST(RecordIntegrityPlatform, ConsumerIndexWrittenBeforeTheReadFails) {
  Rig rig(small_ring());
  Device dev;
  KDPC dpc;
  DpcFn drain = [&](PKDPC, PVOID, PVOID) {
    const ULONG producer = READ_REGISTER_ULONG(dev.reg(regs::RING_PROD));
    WRITE_REGISTER_ULONG(dev.reg(regs::RING_CONS), producer);
    for (ULONG c = 0; c != producer; ++c) IrqrigEventProcessed(dev.slot(rig.platform(), c & 3));
  };
  rig.at(0, 1, [&] {
    dev.start(rig.platform());
    KeInitializeDpc(&dpc, &dpc_trampoline, &drain);
  });
  rig.device().add_event(1 * kUs, 0);
  rig.device().add_event(1 * kUs, 0);
  rig.at(5 * kUs, 1, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.run(20 * kUs);
  const auto failed = faults_of(rig, "record_integrity");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].cpu, 1);
  EXPECT_EQ(failed[0].routine, RoutineKind::kDpc);
  EXPECT_FALSE(failed[0].routine_name.empty());
  EXPECT_EQ(failed[0].seq, 0u);
  EXPECT_EQ(failed[1].seq, 1u);
  EXPECT_EQ(failed[0].time_ps, 5 * kUs + 200 * kNs);  // the DPC's entry cost, then the read
  EXPECT_NE(failed[0].detail.find("released"), std::string::npos) << failed[0].detail;
}

// Reading a slot a second time (a ring-wrap error) is a stale record, and a duplicate.
TEST(RecordIntegrityPlatform, StaleSlotReadAgainFails) {
  Rig rig(small_ring(1));
  Device dev;
  rig.at(0, 0, [&] { dev.start(rig.platform()); });
  rig.device().add_event(1 * kUs, 0);
  rig.at(3 * kUs, 0, [&] {
    IrqrigEventProcessed(dev.slot(rig.platform(), 0));
    IrqrigEventProcessed(dev.slot(rig.platform(), 0));
  });
  rig.run(10 * kUs);
  const auto failed = faults_of(rig, "record_integrity");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].detail.find("read again"), std::string::npos) << failed[0].detail;
  EXPECT_EQ(failed[0].routine, RoutineKind::kPassive);
  const auto duplicated = faults_of(rig, "exactly_once");
  ASSERT_EQ(duplicated.size(), 1u);
  EXPECT_EQ(duplicated[0].seq, 0u);
  EXPECT_NE(duplicated[0].detail.find("a second time"), std::string::npos) << duplicated[0].detail;
}

// A copy taken field by field across a device write mixes two records: torn.
TEST(RecordIntegrityPlatform, TornCopyFailsAndFaithfulCopyPasses) {
  Rig rig(small_ring(1));
  Device dev;
  rig.at(0, 0, [&] { dev.start(rig.platform()); });
  rig.device().add_event(1 * kUs, 0);
  rig.device().add_event(2 * kUs, 0);
  rig.at(4 * kUs, 0, [&] {
    IRQRIG_EVENT_RECORD good = *dev.slot(rig.platform(), 0);
    IrqrigEventProcessed(&good);
    IRQRIG_EVENT_RECORD torn = *dev.slot(rig.platform(), 1);
    torn.Timestamp = dev.slot(rig.platform(), 0)->Timestamp;
    IrqrigEventProcessed(&torn);
  });
  rig.run(10 * kUs);
  const auto failed = faults_of(rig, "record_integrity");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].seq, 1u);
  EXPECT_NE(failed[0].detail.find("differs from what the device wrote"), std::string::npos) << failed[0].detail;
}

PlatformConfig balanced() {
  PlatformConfig c = test_config(2);
  c.checks.isr_balance = true;
  return c;
}

// isr_balance: each claim must answer a record of the ISR's own message.
TEST(IsrBalancePlatform, ClaimingAnInterruptWithoutARecordFails) {
  Rig rig(balanced());
  Device dev;
  IsrFn isr = [](PKINTERRUPT, ULONG) -> BOOLEAN { return TRUE; };
  rig.at(0, 0, [&] {
    dev.start(rig.platform());
    rig.connect_messages(&isr);
  });
  rig.device().add_event(2 * kUs, 1);    // message 1: a record, then its message
  rig.device().add_message(5 * kUs, 1);  // a bare message 1: nothing of message 1's to claim
  rig.run(10 * kUs);
  const auto failed = faults_of(rig, "isr_balance");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].cpu, 1);
  EXPECT_EQ(failed[0].routine, RoutineKind::kIsr);
  EXPECT_EQ(failed[0].time_ps, 5 * kUs + 100 * kNs);  // when the ISR returned TRUE
  EXPECT_NE(failed[0].detail.find("2 claims against 1 records"), std::string::npos) << failed[0].detail;
  EXPECT_EQ(rig.platform().counters().isr_claimed, 2u);
}

TEST(IsrBalancePlatform, ChainDecliningARecordedInterruptFails) {
  Rig rig(balanced());
  Device dev;
  IsrFn isr = [](PKINTERRUPT, ULONG) -> BOOLEAN { return FALSE; };
  rig.at(0, 0, [&] {
    dev.start(rig.platform());
    rig.connect_messages(&isr);
  });
  rig.device().add_event(2 * kUs, 0);
  rig.run(10 * kUs);
  const auto failed = faults_of(rig, "isr_balance");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].cpu, 0);
  EXPECT_NE(failed[0].detail.find("message 0 had 1 record(s)"), std::string::npos) << failed[0].detail;
  EXPECT_EQ(rig.platform().counters().isr_unclaimed, 1u);
}

// Declining a message with nothing of its own (a shared vector's other message, a bare message)
// is what a correct ISR does: counted, not failed. Claiming its recorded ones passes.
TEST(IsrBalancePlatform, DecliningABareMessageAndClaimingRecordsPass) {
  Rig rig(balanced());
  Device dev;
  // Claims the recorded event, declines the bare message.
  IsrFn isr = [&](PKINTERRUPT, ULONG) -> BOOLEAN { return rig.now_ps() < 4 * kUs; };
  rig.at(0, 0, [&] {
    dev.start(rig.platform());
    rig.connect_messages(&isr);
  });
  rig.device().add_event(2 * kUs, 0);
  rig.device().add_message(5 * kUs, 0);
  rig.run(10 * kUs);
  EXPECT_TRUE(faults_of(rig, "isr_balance").empty());
  EXPECT_EQ(rig.platform().counters().isr_claimed, 1u);
  EXPECT_EQ(rig.platform().counters().isr_unclaimed, 1u);
}

// A correct ISR declines an interrupt whose records a DPC already drained: CPU 0 sits at HIGH_LEVEL
// while message 0's record arrives and a DPC on CPU 1 processes it; when CPU 0 takes the interrupt
// the ring is empty and its ISR says "not mine". Answered by processing: no failure.
TEST(IsrBalancePlatform, DecliningAnInterruptWhoseRecordsWereAlreadyProcessedPasses) {
  Rig rig(balanced());
  Device dev;
  KDPC dpc;
  ULONG consumer = 0;
  DpcFn drain = [&](PKDPC, PVOID, PVOID) {
    const ULONG producer = READ_REGISTER_ULONG(dev.reg(regs::RING_PROD));
    for (; consumer != producer; ++consumer) IrqrigEventProcessed(dev.slot(rig.platform(), consumer % 1024));
    WRITE_REGISTER_ULONG(dev.reg(regs::RING_CONS), consumer);
  };
  // Claims only when the ring holds records it has not consumed.
  IsrFn isr = [&](PKINTERRUPT, ULONG) -> BOOLEAN {
    rig.mark("isr");
    return READ_REGISTER_ULONG(dev.reg(regs::RING_PROD)) != consumer;
  };
  rig.at(0, 0, [&] {
    dev.start(rig.platform());
    KeInitializeDpc(&dpc, &dpc_trampoline, &drain);
    rig.connect_messages(&isr);
  });
  rig.at(1 * kUs, 0, [&] {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeStallExecutionProcessor(20);
    KeLowerIrql(old);
  });
  rig.device().add_event(5 * kUs, 0);
  rig.at(10 * kUs, 1, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.run(40 * kUs);
  EXPECT_EQ(rig.platform().accounting().processed(), 1u);
  ASSERT_EQ(rig.marks("isr").size(), 1u);
  EXPECT_GT(rig.marks("isr")[0].ps, 21 * kUs);
  EXPECT_EQ(rig.platform().counters().isr_unclaimed, 1u);
  EXPECT_TRUE(faults_of(rig, "isr_balance").empty()) << faults_of(rig, "isr_balance").front().describe();
}

// Two messages on one vector (SEMANTICS D3): message 0's ISR, first in the chain, claims the
// interrupt message 1 sent: caught at that claim, naming message 0.
TEST(IsrBalancePlatform, SharedVectorClaimOfTheOtherMessageFails) {
  PlatformConfig c = balanced();
  c.affinity = {0, 0};
  c.first_vector = 0xCF;
  Rig rig(c);
  Device dev;
  IsrFn isr = [](PKINTERRUPT, ULONG) -> BOOLEAN { return TRUE; };
  rig.at(0, 0, [&] {
    dev.start(rig.platform());
    rig.connect_messages(&isr);
  });
  rig.device().add_event(10 * kUs, 1);
  rig.run(20 * kUs);
  const auto failed = faults_of(rig, "isr_balance");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].detail.find("the ISR of message 0 claimed"), std::string::npos) << failed[0].detail;
  EXPECT_NE(failed[0].detail.find("1 claims against 0 records"), std::string::npos) << failed[0].detail;
}

// Off (the bare platform's default), an ISR claiming bare messages is not judged.
TEST(IsrBalancePlatform, OffJudgesNothing) {
  Rig rig(test_config(2));
  IsrFn isr = [](PKINTERRUPT, ULONG) -> BOOLEAN { return TRUE; };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_message(5 * kUs, 1);
  rig.run(10 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  EXPECT_EQ(rig.platform().counters().isr_claimed, 1u);
}

PlatformConfig watchdog(std::uint64_t single_ps, std::uint64_t cumulative_ps) {
  PlatformConfig c = test_config(2);
  c.checks.dpc_single_ps = single_ps;
  c.checks.dpc_cumulative_ps = cumulative_ps;
  return c;
}

// DPC_WATCHDOG_VIOLATION parameter 0: one DPC running past single_us, found at that moment.
TEST(DpcWatchdogPlatform, OneLongDpcTripsTheSingleBoundAtItsMoment) {
  Rig rig(watchdog(50 * kUs, 500 * kUs));
  KDPC dpc;
  DpcFn slow = [&](PKDPC, PVOID, PVOID) {
    KeStallExecutionProcessor(100);
    rig.mark("returned");
  };
  rig.at(3 * kUs, 1, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &slow);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(300 * kUs);
  const auto failed = faults_of(rig, "dpc_watchdog");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].rule, "DPC_WATCHDOG_VIOLATION");
  EXPECT_EQ(failed[0].cpu, 1);
  EXPECT_EQ(failed[0].routine, RoutineKind::kDpc);
  EXPECT_FALSE(failed[0].routine_name.empty());
  EXPECT_EQ(failed[0].time_ps, 53 * kUs);
  EXPECT_EQ(rig.now_ps(), 53 * kUs);  // the bug check ends the run there
  EXPECT_NE(failed[0].detail.find("parameter 0"), std::string::npos) << failed[0].detail;
  EXPECT_TRUE(rig.marks().empty());
}

// Parameter 1: a DPC that re-queues itself forever keeps its CPU at DISPATCH_LEVEL.
TEST(DpcWatchdogPlatform, DpcRequeuingItselfForeverTripsTheCumulativeBound) {
  Rig rig(watchdog(50 * kUs, 200 * kUs));
  KDPC dpc;
  DpcFn again = [&](PKDPC self, PVOID, PVOID) { KeInsertQueueDpc(self, nullptr, nullptr); };
  rig.at(3 * kUs, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &again);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(1 * kMs);
  const auto failed = faults_of(rig, "dpc_watchdog");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].cpu, 0);
  EXPECT_EQ(failed[0].time_ps, 203 * kUs);
  EXPECT_NE(failed[0].detail.find("parameter 1"), std::string::npos) << failed[0].detail;
}

TEST(DpcWatchdogPlatform, DpcsWithinTheBoundsPass) {
  Rig rig(watchdog(50 * kUs, 200 * kUs));
  KDPC dpc;
  int runs = 0;
  DpcFn work = [&](PKDPC, PVOID, PVOID) {
    KeStallExecutionProcessor(40);
    ++runs;
  };
  rig.at(1 * kUs, 0, [&] { KeInitializeDpc(&dpc, &dpc_trampoline, &work); });
  for (int i = 0; i < 10; ++i) rig.at((10 + 100 * i) * kUs, 0, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.run(1100 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  EXPECT_EQ(runs, 10);
  EXPECT_GE(rig.platform().cpu(0).max_dispatch_run_ps(), 40 * kUs);
}

// late: a record in memory longer than late_us and still unprocessed fails, naming its number, at
// the moment it became late; one processed in time passes.
TEST(LatePlatform, RecordUnprocessedPastTheBoundFails) {
  PlatformConfig c = small_ring(1);
  c.checks.late_ps = 20 * kUs;
  Rig rig(c);
  Device dev;
  rig.at(0, 0, [&] { dev.start(rig.platform()); });
  rig.device().add_event(1 * kUs, 0);
  rig.device().add_event(2 * kUs, 0);
  rig.at(10 * kUs, 0, [&] {
    IrqrigEventProcessed(dev.slot(rig.platform(), 0));  // in time
    rig.platform().check_late();
  });
  rig.at(30 * kUs, 0, [&] { rig.platform().check_late(); });
  rig.run(40 * kUs);
  const auto failed = faults_of(rig, "late");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].seq, 1u);
  EXPECT_EQ(failed[0].time_ps, 22 * kUs);
  EXPECT_NE(failed[0].detail.find("sequence number 1"), std::string::npos) << failed[0].detail;
}

// The failure log: details kept per check up to details_kept, every failure counted.
TEST(FailureLog, KeepsTheFirstDetailsAndCountsAll) {
  PlatformConfig c = test_config(1);
  c.checks.details_kept = 2;
  Rig rig(c);
  rig.at(1 * kUs, 0, [&] {
    for (int i = 0; i < 5; ++i)
      IrqrigEventProcessed(reinterpret_cast<const IRQRIG_EVENT_RECORD*>(rig.platform().common_buffer()));
  });
  rig.run(5 * kUs);
  EXPECT_EQ(faults_of(rig, "exactly_once").size(), 2u);
  EXPECT_EQ(rig.platform().failure_count("exactly_once"), 5u);
  EXPECT_EQ(rig.platform().failure_count("late"), 0u);
}

// --stop-at-first-failure: the simulation stops at the first failed check.
TEST(FailureLog, StopAtFirstFailureEndsTheRunThere) {
  PlatformConfig c = balanced();
  c.checks.stop_at_first_failure = true;
  Rig rig(c);
  IsrFn isr = [](PKINTERRUPT, ULONG) -> BOOLEAN { return TRUE; };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_message(5 * kUs, 1);
  rig.at(20 * kUs, 0, [&] { rig.mark("after"); });
  rig.run(50 * kUs);
  EXPECT_TRUE(rig.platform().stopped_at_failure());
  EXPECT_EQ(rig.now_ps(), 5 * kUs + 100 * kNs);
  EXPECT_EQ(rig.platform().failure_count("isr_balance"), 1u);
  EXPECT_TRUE(rig.marks().empty());
}

// --trace marks the moment: an instant "check failed: NAME" on the CPU's track with the detail.
TEST(FailureLog, TraceShowsTheFailedCheckOnItsCpu) {
  PlatformConfig c = balanced();
  c.trace_path = ::testing::TempDir() + "checks_trace.json";
  {
    Rig rig(c);
    IsrFn isr = [](PKINTERRUPT, ULONG) -> BOOLEAN { return TRUE; };
    rig.at(0, 0, [&] { rig.connect_messages(&isr); });
    rig.device().add_message(5 * kUs, 1);
    rig.run(10 * kUs);
    rig.platform().finish_trace();
  }
  std::ifstream in(c.trace_path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  int marks = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("name", "") != "check failed: isr_balance") continue;
    ++marks;
    EXPECT_EQ(e["ph"], "i");
    EXPECT_EQ(e["tid"], 1);
    EXPECT_DOUBLE_EQ(e["ts"].get<double>(), 5.1);
    EXPECT_NE(e["args"]["detail"].get<std::string>().find("claimed an interrupt"), std::string::npos);
  }
  EXPECT_EQ(marks, 1);
}

}  // namespace
}  // namespace irqrig::host::testing
