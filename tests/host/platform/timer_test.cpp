// SEMANTICS E14, E15 on the platform: KTIMERs firing their DPCs.
#include <gtest/gtest.h>

#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

LARGE_INTEGER due(LONGLONG units) {
  LARGE_INTEGER d;
  d.QuadPart = units;
  return d;
}

// SEMANTICS E14: a relative DueTime (negative, 100 ns units) queues the DPC at expiry, on the CPU
// that set the timer; the timer is then signalled.
TEST(TimerPlatformConformance, E14_RelativeTimerQueuesItsDpcAtExpiry) {
  Rig rig(test_config(2));
  KTIMER timer;
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("timer dpc"); };
  rig.at(10 * kUs, 1, [&] {
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    EXPECT_FALSE(KeSetTimer(&timer, due(-1000), &dpc));  // 100 us from now
    EXPECT_FALSE(KeReadStateTimer(&timer));
  });
  rig.at(200 * kUs, 0, [&] { EXPECT_TRUE(KeReadStateTimer(&timer)); });
  rig.run(300 * kUs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].cpu, 1u);
  EXPECT_EQ(rig.marks()[0].irql, DISPATCH_LEVEL);
  EXPECT_EQ(rig.marks()[0].ps, 110 * kUs + 200 * kNs);
  EXPECT_EQ(rig.platform().counters().timer_expiries, 1u);
}

// SEMANTICS E14: a positive DueTime is absolute system time; setting a set timer returns TRUE and
// the old expiry never happens.
TEST(TimerPlatformConformance, E14_AbsoluteDueTimeAndResetReturnsTrue) {
  Rig rig(test_config(1));
  KTIMER timer;
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("timer dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeTimerEx(&timer, SynchronizationTimer);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    LARGE_INTEGER now;
    KeQuerySystemTime(&now);
    EXPECT_FALSE(KeSetTimer(&timer, due(now.QuadPart + 500), &dpc));  // 50 us, absolute
    EXPECT_TRUE(KeSetTimer(&timer, due(now.QuadPart + 2000), &dpc));  // moved to 200 us
  });
  rig.run(500 * kUs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].ps, 200 * kUs + 200 * kNs);
}

// SEMANTICS E14: Period is in milliseconds; KeCancelTimer stops it and says whether it was set.
TEST(TimerPlatformConformance, E14_PeriodicTimerUntilCancelled) {
  Rig rig(test_config(1));
  KTIMER timer;
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("tick"); };
  rig.at(0, 0, [&] {
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTimerEx(&timer, due(-1000), 1, &dpc);  // 100 us, then every 1 ms
  });
  rig.at(2500 * kUs, 0, [&] {
    EXPECT_TRUE(KeCancelTimer(&timer));
    EXPECT_FALSE(KeCancelTimer(&timer));
  });
  rig.run(5 * kMs);
  const auto ticks = rig.marks("tick");
  ASSERT_EQ(ticks.size(), 3u);
  EXPECT_EQ(ticks[0].ps, 100 * kUs + 200 * kNs);
  EXPECT_EQ(ticks[1].ps, 1100 * kUs + 200 * kNs);
  EXPECT_EQ(ticks[2].ps, 2100 * kUs + 200 * kNs);
}

// SEMANTICS E14 [choice]: at the default timer resolution a timer expires at the first clock tick
// at or after its due time.
TEST(TimerPlatformConformance, E14_TimersOnTheTickWaitForIt) {
  PlatformConfig config = test_config(1);
  config.clock_tick_ps = 1 * kMs;
  config.timers_on_tick = true;
  Rig rig(config);
  KTIMER timer;
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("timer dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTimer(&timer, due(-1000), &dpc);
  });
  rig.run(3 * kMs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].ps, 1 * kMs + 200 * kNs);
}

// SEMANTICS E14: a timer's DPC that is still queued when the timer fires again is not queued twice.
TEST(TimerPlatformConformance, E14_StillQueuedDpcIsNotQueuedTwice) {
  Rig rig(test_config(1));
  KTIMER timer;
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("timer dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTimerEx(&timer, due(-10), 1, &dpc);  // 1 us, then every ms
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeStallExecutionProcessor(2500);  // three expiries while the DPC cannot run
    KeLowerIrql(old);
  });
  rig.run(2600 * kUs);
  EXPECT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.platform().counters().timer_expiries, 3u);
  EXPECT_EQ(rig.platform().counters().dpc_inserts_rejected, 2u);
}

// SEMANTICS E15 [choice]: a timer DPC gets its DeferredContext; its SystemArguments are unspecified
// and not asserted.
TEST(TimerPlatformConformance, E15_TimerDpcGetsItsContext) {
  Rig rig(test_config(1));
  KTIMER timer;
  KDPC dpc;
  PVOID context = nullptr;
  DpcFn fn = [&](PKDPC d, PVOID, PVOID) { context = d->DeferredContext; };
  rig.at(0, 0, [&] {
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTimer(&timer, due(-10), &dpc);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(context, &fn);
}

// SEMANTICS E14: a threaded DPC on a timer runs on the DPC thread, at PASSIVE.
TEST(TimerPlatformConformance, E14_ThreadedTimerDpcRunsAtPassive) {
  Rig rig(test_config(1));
  KTIMER timer;
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("threaded timer dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeTimer(&timer);
    KeInitializeThreadedDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTimer(&timer, due(-10), &dpc);
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].irql, PASSIVE_LEVEL);
}

}  // namespace
}  // namespace irqrig::host::testing
