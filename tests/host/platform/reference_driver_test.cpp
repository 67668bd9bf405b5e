// The built-in reference driver (host/drivers/reference) on the synthetic device: stopping with a
// DPC still queued, and messages that share an IDT vector (SEMANTICS D3).
#include <gtest/gtest.h>

#include "host/drivers/reference/reference_driver.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

IRQRIG_RESOURCES resources(Rig& rig, KDPC_IMPORTANCE importance, LONG target) {
  IRQRIG_RESOURCES res{};
  res.Bar0.QuadPart = static_cast<LONGLONG>(rig.platform().bar0_physical());
  res.Bar0Length = 1u << 16;
  res.MessageCount = static_cast<ULONG>(rig.platform().config().affinity.size());
  res.CommonBuffer = rig.platform().common_buffer();
  res.CommonBufferLogical.QuadPart = static_cast<LONGLONG>(rig.platform().config().dma_base);
  res.CommonBufferLength = static_cast<ULONG>(rig.platform().common_buffer_size());
  res.RingEntries = rig.platform().config().ring_entries;
  res.Parameters.DpcImportance = importance;
  res.Parameters.DpcTargetProcessor = target;
  return res;
}

// StopDevice while its DPC waits for a remote clock tick (Medium, targeted at CPU 1: no IPI, E8):
// the DPC is dequeued and flushed before the extension and the mapping go, so nothing runs on
// freed memory when the tick comes.
TEST(ReferenceDriver, StopWithADpcWaitingForTheTick) {
  PlatformConfig config = test_config(2);
  config.affinity = {0};
  Rig rig(config);  // the clock ticks every 15.625 ms
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = resources(rig, MediumImportance, 1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  rig.device().add_event(10 * kUs, 0);
  rig.at(100 * kUs, 0, [&] {
    ASSERT_EQ(rig.platform().cpu(1).dpcs().depth(), 1u) << "the DPC waits on CPU 1 for its tick";
    IrqrigReferenceDriver.StopDevice(context);
    rig.mark("stopped");
  });
  rig.run(20 * kMs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
  EXPECT_EQ(rig.marks("stopped").size(), 1u);
  EXPECT_EQ(rig.platform().cpu(1).dpcs().depth(), 0u);
  EXPECT_EQ(rig.platform().counters().dpc_runs, 0u);  // dequeued: the stopping driver drops it
}

// SEMANTICS D3: two messages share vector 0xCF on CPU 0 (the vectors wrap there). The ISR of the
// message that was not sent declines, the chain reaches the one that was, and that one claims.
TEST(ReferenceDriver, D3_SharedVectorIsClaimedByTheMessageThatWasSent) {
  PlatformConfig config = test_config(1);
  config.affinity = {0, 0};
  config.first_vector = 0xCF;
  config.checks.isr_balance = true;  // docs/checks.md: the declining ISR is no failure
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = resources(rig, MediumImportance, -1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  rig.device().add_event(10 * kUs, 1);  // message 1: message 0's ISR is first in the chain
  rig.device().add_event(30 * kUs, 0);  // message 0: claimed at once
  rig.at(100 * kUs, 0, [&] { IrqrigReferenceDriver.StopDevice(context); });
  rig.run(200 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
  const PlatformCounters& c = rig.platform().counters();
  EXPECT_EQ(c.isr_calls, 3u);
  EXPECT_EQ(c.isr_claimed, 2u);
  EXPECT_EQ(c.isr_declined, 1u);
  EXPECT_EQ(rig.platform().accounting().processed(), 2u);
}

// A message alone on its vector is claimed whenever it arrives, even when an earlier ISR already
// found its records (B5 merges): no spurious declines on the ordinary path.
TEST(ReferenceDriver, UnsharedMessagesAreAlwaysClaimed) {
  PlatformConfig config = test_config(2);
  config.affinity = {0, 1};
  config.checks.isr_balance = true;
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = resources(rig, MediumImportance, -1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  rig.device().add_burst(10 * kUs, 200, 50 * kNs, {0, 1});
  rig.at(500 * kUs, 0, [&] { IrqrigReferenceDriver.StopDevice(context); });
  rig.run(600 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
  EXPECT_EQ(rig.platform().counters().isr_declined, 0u);
  EXPECT_EQ(rig.platform().accounting().processed(), 200u);
}

// isr_balance on a shared vector under a burst: the message whose records an earlier call already
// claimed is declined by the whole chain (legitimately: no record left unanswered), every claim
// answers a record of its own message, and the reference driver passes.
TEST(ReferenceDriver, SharedVectorBurstKeepsTheIsrBalance) {
  PlatformConfig config = test_config(1);
  config.affinity = {0, 0};
  config.first_vector = 0xCF;
  config.checks.isr_balance = true;
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = resources(rig, MediumImportance, -1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  rig.device().add_burst(10 * kUs, 300, 70 * kNs, {0, 1, 1, 0, 1});
  rig.at(500 * kUs, 0, [&] { IrqrigReferenceDriver.StopDevice(context); });
  rig.run(600 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
  EXPECT_EQ(rig.platform().accounting().processed(), 300u);
  EXPECT_GT(rig.platform().counters().isr_unclaimed, 0u);
}

}  // namespace
}  // namespace irqrig::host::testing
