// The ledger of event records, and what the platform does with records and exceptions it cannot take.
#include <gtest/gtest.h>

#include "host/platform/accounting.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

TEST(Accounting, ExactlyOnceFiguresAndGapsLeftByDroppedEvents) {
  Accounting a;
  EXPECT_TRUE(a.on_written(0, 0));
  EXPECT_TRUE(a.on_written(1, 0));
  EXPECT_TRUE(a.on_written(5000, 0));  // events 2-4999 dropped on a full ring: a gap, not corruption
  a.on_processed(0, 1000);
  a.on_processed(0, 2000);
  a.on_processed(7, 2000);
  EXPECT_EQ(a.written(), 3u);
  EXPECT_EQ(a.processed(), 1u);
  EXPECT_EQ(a.duplicated(), 1u);
  EXPECT_EQ(a.unknown(), 1u);
  EXPECT_EQ(a.outstanding(), 2u);
  EXPECT_EQ(a.corrupt(), 0u);
}

// A sequence number far past everything written is a corrupt record: refused, counted, and the
// ledger does not grow to reach it (0xFFFFFFF0 would be 64 GiB of slots).
TEST(Accounting, SequenceFarAheadIsCorruptAndAllocatesNothing) {
  Accounting a(1024);
  EXPECT_TRUE(a.on_written(0, 0));
  EXPECT_TRUE(a.on_written(1024, 0));
  EXPECT_FALSE(a.on_written(0xFFFF'FFF0u, 0));
  EXPECT_FALSE(a.on_written(1024 + 1025, 0));
  EXPECT_EQ(a.corrupt(), 2u);
  EXPECT_EQ(a.written(), 2u);
  EXPECT_EQ(a.outstanding(), 2u);
  a.on_processed(0xFFFF'FFF0u, 0);
  EXPECT_EQ(a.unknown(), 1u);
}

// On the platform: a record with a wild sequence number in the ring is an event_record fault.
TEST(AccountingPlatform, CorruptRecordInTheRingIsAFault) {
  Rig rig(test_config(1));
  const std::uint64_t ring = rig.platform().config().dma_base;
  rig.device().add_raw(sim::UpstreamWrite{1 * kUs, ring, {0, 0x10000, 0, 0}, 0xF, 0xF, 0});
  rig.device().add_raw(sim::UpstreamWrite{2 * kUs, ring + 16, {0xFFFF'FFF0u, 0x10000, 0, 0}, 0xF, 0xF, 0});
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].check, "event_record");
  EXPECT_EQ(faults[0].time_ps, 2 * kUs);
  EXPECT_NE(faults[0].detail.find("4294967280"), std::string::npos) << faults[0].detail;
  EXPECT_EQ(rig.platform().accounting().written(), 1u);
}

// An exception that is no kernel rule (a C++ driver's own) stops the run as a fault instead of
// unwinding through the SystemC kernel.
TEST(AccountingPlatform, ForeignExceptionStopsTheRunAsAFault) {
  Rig rig(test_config(1));
  rig.at(1 * kUs, 0, [] { throw std::out_of_range("driver table index 9"); });
  rig.at(5 * kUs, 0, [&] { rig.mark("after"); });
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].check, "exception");
  EXPECT_NE(faults[0].detail.find("std::out_of_range"), std::string::npos) << faults[0].detail;
  EXPECT_NE(faults[0].detail.find("driver table index 9"), std::string::npos) << faults[0].detail;
  EXPECT_TRUE(rig.marks().empty());
}

}  // namespace
}  // namespace irqrig::host::testing
