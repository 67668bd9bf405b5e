// SEMANTICS E1-E13 on the platform: KeInsertQueueDpc and friends, the request rules with a real clock
// tick, drains, threaded DPCs and KeFlushQueuedDpcs.
#include <gtest/gtest.h>

#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

// SEMANTICS E1: KeInitializeDpc gives Medium importance and no target (the inserting CPU);
// KeInitializeThreadedDpc the same with the threaded type.
TEST(DpcPlatformConformance, E1_InitializeDpcIsMediumOnTheInsertingCpu) {
  Rig rig(test_config(4));
  KDPC dpc, threaded;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(1 * kUs, 2, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeInitializeThreadedDpc(&threaded, &dpc_trampoline, &fn);
    EXPECT_EQ(dpc.Importance, MediumImportance);
    EXPECT_EQ(dpc.Number, 0);
    EXPECT_EQ(dpc.Type, DpcObject);
    EXPECT_EQ(threaded.Importance, MediumImportance);
    EXPECT_EQ(threaded.Type, ThreadedDpcObject);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].cpu, 2u);
}

// SEMANTICS E2: inserting a queued DPC returns FALSE and changes nothing: one run, with A1.
TEST(DpcPlatformConformance, E2_SecondInsertReturnsFalseAndKeepsArguments) {
  Rig rig(test_config(1));
  KDPC dpc;
  int a1 = 0, b1 = 0;
  PVOID seen = nullptr;
  DpcFn fn = [&](PKDPC, PVOID arg1, PVOID) {
    seen = arg1;
    rig.mark("dpc");
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_TRUE(KeInsertQueueDpc(&dpc, &a1, nullptr));
    EXPECT_FALSE(KeInsertQueueDpc(&dpc, &b1, nullptr));
    KeLowerIrql(old);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(rig.marks("dpc").size(), 1u);
  EXPECT_EQ(seen, &a1);
  EXPECT_EQ(rig.platform().counters().dpc_inserts, 1u);
  EXPECT_EQ(rig.platform().counters().dpc_inserts_rejected, 1u);
}

// SEMANTICS E3: the DPC is no longer queued when its routine runs: re-inserting itself succeeds
// (it runs twice) and removing it fails.
TEST(DpcPlatformConformance, E3_DpcLeavesQueuedBeforeItsRoutine) {
  Rig rig(test_config(1));
  KDPC dpc;
  int runs = 0;
  DpcFn fn = [&](PKDPC self, PVOID, PVOID) {
    ++runs;
    EXPECT_FALSE(KeRemoveQueueDpc(self));
    if (runs == 1) {
      EXPECT_TRUE(KeInsertQueueDpc(self, nullptr, nullptr));
    }
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(runs, 2);
}

// SEMANTICS E2, E3: an ISR re-inserting the DPC while its drain pays the routine's entry cost gets
// TRUE (it has left the queue) and its arguments go to the next run, not to the one under way.
TEST(DpcPlatformConformance, E2_E3_ReinsertDuringTheEntryCostKeepsTheRunningArguments) {
  Rig rig(test_config(1));
  KDPC dpc;
  int a1 = 0, b1 = 0;
  std::vector<PVOID> seen;
  DpcFn fn = [&](PKDPC, PVOID arg1, PVOID) { seen.push_back(arg1); };
  BOOLEAN reinserted = FALSE;
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    reinserted = KeInsertQueueDpc(&dpc, &b1, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    rig.connect_messages(&isr);
  });
  // Drains at once: dequeued at 1 us, then 200 ns of entry cost; the ISR runs at 1.15 us, inside it.
  rig.at(1 * kUs, 0, [&] { KeInsertQueueDpc(&dpc, &a1, nullptr); });
  rig.device().add_message(1 * kUs + 50 * kNs, 0);
  rig.run(10 * kUs);
  EXPECT_TRUE(reinserted);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], &a1);
  EXPECT_EQ(seen[1], &b1);
}

// SEMANTICS E3, E4: removing a DPC that has left its queue but whose routine has not started (its
// entry cost is being paid) finds nothing queued: FALSE, and the routine still runs, once.
TEST(DpcPlatformConformance, E3_E4_RemoveDuringTheEntryCostFindsNothingQueued) {
  Rig rig(test_config(1));
  KDPC dpc;
  int runs = 0;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { ++runs; };
  BOOLEAN removed = TRUE;
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    removed = KeRemoveQueueDpc(&dpc);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    rig.connect_messages(&isr);
  });
  rig.at(1 * kUs, 0, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.device().add_message(1 * kUs + 50 * kNs, 0);
  rig.run(10 * kUs);
  EXPECT_FALSE(removed);
  EXPECT_EQ(runs, 1);
}

// SEMANTICS E4: KeRemoveQueueDpc is TRUE exactly when it was queued, and that insertion never runs.
TEST(DpcPlatformConformance, E4_RemovedDpcDoesNotRun) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    EXPECT_FALSE(KeRemoveQueueDpc(&dpc));
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    EXPECT_TRUE(KeRemoveQueueDpc(&dpc));
    EXPECT_FALSE(KeRemoveQueueDpc(&dpc));
    KeLowerIrql(old);
  });
  rig.run(10 * kUs);
  EXPECT_TRUE(rig.marks().empty());
}

// SEMANTICS E5: KeSetTargetProcessorDpc changes where later inserts run, not a queued one.
TEST(DpcPlatformConformance, E5_TargetAffectsLaterInsertsOnly) {
  PlatformConfig config = test_config(4);
  config.clock_tick_ps = 100 * kUs;
  Rig rig(config);
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    KeSetTargetProcessorDpc(&dpc, 2);  // the queued insertion stays on CPU 0
    KeLowerIrql(old);
  });
  rig.at(1 * kUs, 0, [&] {
    KeSetImportanceDpc(&dpc, HighImportance);  // so CPU 2 is interrupted at once (E8)
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].cpu, 0u);
  EXPECT_EQ(rig.marks()[1].cpu, 2u);
  EXPECT_EQ(rig.marks()[1].ps, 1 * kUs + 200 * kNs);
}

// SEMANTICS E6: A(Medium), B(Medium), C(High) inserted at DISPATCH run C, A, B.
TEST(DpcPlatformConformance, E6_HighImportanceInsertsAtHead) {
  Rig rig(test_config(1));
  KDPC a, b, c;
  DpcFn fa = [&](PKDPC, PVOID, PVOID) { rig.mark("A"); };
  DpcFn fb = [&](PKDPC, PVOID, PVOID) { rig.mark("B"); };
  DpcFn fc = [&](PKDPC, PVOID, PVOID) { rig.mark("C"); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&a, &dpc_trampoline, &fa);
    KeInitializeDpc(&b, &dpc_trampoline, &fb);
    KeInitializeDpc(&c, &dpc_trampoline, &fc);
    KeSetImportanceDpc(&c, HighImportance);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeInsertQueueDpc(&a, nullptr, nullptr);
    KeInsertQueueDpc(&b, nullptr, nullptr);
    KeInsertQueueDpc(&c, nullptr, nullptr);
    KeLowerIrql(old);
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 3u);
  EXPECT_EQ(rig.marks()[0].what, "C");
  EXPECT_EQ(rig.marks()[1].what, "A");
  EXPECT_EQ(rig.marks()[2].what, "B");
}

// SEMANTICS E7: once the clock has measured a request rate >= MinimumDpcRate, three Low DPCs do not
// run when IRQL drops; the fourth reaches MaximumDpcQueueDepth and all four run.
TEST(DpcPlatformConformance, E7_LowImportanceWaitsForDepthWhenDpcsAreFrequent) {
  PlatformConfig config = test_config(1);
  config.clock_tick_ps = 50 * kUs;
  Rig rig(config);
  KDPC busy, low[4];
  DpcFn busy_fn = [](PKDPC, PVOID, PVOID) {};
  DpcFn low_fn = [&](PKDPC, PVOID, PVOID) { rig.mark("low"); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&busy, &dpc_trampoline, &busy_fn);
    for (KDPC& d : low) {
      KeInitializeDpc(&d, &dpc_trampoline, &low_fn);
      KeSetImportanceDpc(&d, LowImportance);
    }
    // Ten requests per tick for four ticks: the averaged rate climbs well above 3.
    for (int i = 0; i < 40; ++i) {
      KeInsertQueueDpc(&busy, nullptr, nullptr);
      KeStallExecutionProcessor(5);
    }
    EXPECT_GE(rig.platform().cpu(0).dpcs().request_rate(), 3u);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    for (int i = 0; i < 3; ++i) KeInsertQueueDpc(&low[i], nullptr, nullptr);
    KeLowerIrql(old);
    rig.mark("three queued");
    KeInsertQueueDpc(&low[3], nullptr, nullptr);
    rig.mark("fourth queued");
  });
  rig.run(300 * kUs);
  ASSERT_EQ(rig.platform().faults().size(), 0u);
  const int three = rig.index_of("three queued");
  const int fourth = rig.index_of("fourth queued");
  ASSERT_GE(three, 0);
  EXPECT_EQ(rig.index_of("low"), three + 1);  // none before, all four right after the fourth insert
  EXPECT_EQ(fourth, three + 5);
}

// SEMANTICS E9 [choice] on the platform: with adaptive depth, each tick that finds a remote DPC
// waiting at a low request rate lowers CPU 1's MaximumDpcQueueDepth (4 -> 1 in three ticks); then
// a single remote Medium insert reaches that depth and interrupts CPU 1 at once (E8).
TEST(DpcPlatformConformance, E9_AdaptiveDepthOnThePlatform) {
  PlatformConfig config = test_config(2);
  config.clock_tick_ps = 100 * kUs;
  config.dpc.adaptive_depth = true;
  Rig rig(config);
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  std::vector<std::size_t> depths;
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTargetProcessorDpc(&dpc, 1);
  });
  for (unsigned k = 0; k < 4; ++k)
    rig.at(k * 100 * kUs + 50 * kUs, 0, [&] {
      depths.push_back(rig.platform().cpu(1).dpcs().maximum_depth());
      KeInsertQueueDpc(&dpc, nullptr, nullptr);
    });
  rig.run(400 * kUs);
  EXPECT_EQ(depths, (std::vector<std::size_t>{4, 3, 2, 1}));
  const auto runs = rig.marks("dpc");
  ASSERT_EQ(runs.size(), 4u);
  for (unsigned k = 0; k < 3; ++k) EXPECT_EQ(runs[k].ps / (100 * kUs), k + 1) << "run " << k << " at a tick";
  EXPECT_LT(runs[3].ps, 360 * kUs) << "the fourth ran at once, not at the 400 us tick";
}

// SEMANTICS E7: while DPCs have been rare (rate < MinimumDpcRate, as at boot) a Low DPC runs at once.
TEST(DpcPlatformConformance, E7_LowImportanceRunsAtOnceWhenDpcsAreRare) {
  Rig rig(test_config(1));
  KDPC low;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("low"); };
  rig.at(1 * kUs, 0, [&] {
    KeInitializeDpc(&low, &dpc_trampoline, &fn);
    KeSetImportanceDpc(&low, LowImportance);
    KeInsertQueueDpc(&low, nullptr, nullptr);
    rig.mark("after insert");
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].what, "low");
}

// SEMANTICS E8: a Medium DPC for another CPU waits for that CPU's clock tick.
TEST(DpcPlatformConformance, E8_RemoteMediumRunsAtTheTargetsTick) {
  PlatformConfig config = test_config(2);
  config.clock_tick_ps = 1 * kMs;
  Rig rig(config);
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(10 * kUs, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTargetProcessorDpc(&dpc, 1);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(2 * kMs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].cpu, 1u);
  EXPECT_EQ(rig.marks()[0].ps, 1 * kMs + 200 * kNs);
}

// SEMANTICS E8 [choice]: the tick is 15.625 ms unless set otherwise.
TEST(DpcPlatformConformance, E8_DefaultTickIs15625Microseconds) {
  PlatformConfig config = test_config(2);
  EXPECT_EQ(config.clock_tick_ps, 15'625 * kUs);
  Rig rig(config);
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTargetProcessorDpc(&dpc, 1);
    KeSetImportanceDpc(&dpc, LowImportance);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(20 * kMs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].ps, 15'625 * kUs + 200 * kNs);
}

// SEMANTICS E8: High and MediumHigh DPCs, or a target queue at MaximumDpcQueueDepth, interrupt the
// other CPU at once.
TEST(DpcPlatformConformance, E8_UrgentOrDeepRemoteInsertsInterruptAtOnce) {
  PlatformConfig config = test_config(2);
  config.clock_tick_ps = 1 * kMs;
  Rig rig(config);
  KDPC high, medium_high, deep[4];
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(10 * kUs, 0, [&] {
    KeInitializeDpc(&high, &dpc_trampoline, &fn);
    KeSetImportanceDpc(&high, HighImportance);
    KeSetTargetProcessorDpc(&high, 1);
    KeInsertQueueDpc(&high, nullptr, nullptr);
  });
  rig.at(20 * kUs, 0, [&] {
    KeInitializeDpc(&medium_high, &dpc_trampoline, &fn);
    KeSetImportanceDpc(&medium_high, MediumHighImportance);
    KeSetTargetProcessorDpc(&medium_high, 1);
    KeInsertQueueDpc(&medium_high, nullptr, nullptr);
  });
  rig.at(30 * kUs, 0, [&] {
    for (KDPC& d : deep) {
      KeInitializeDpc(&d, &dpc_trampoline, &fn);
      KeSetTargetProcessorDpc(&d, 1);
      KeInsertQueueDpc(&d, nullptr, nullptr);
    }
  });
  rig.run(500 * kUs);
  const auto runs = rig.marks("dpc");
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_EQ(runs[0].ps, 10 * kUs + 200 * kNs);
  EXPECT_EQ(runs[1].ps, 20 * kUs + 200 * kNs);
  EXPECT_EQ(runs[2].ps, 30 * kUs + 200 * kNs);  // the fourth insert sent the IPI
  for (const Mark& m : runs) EXPECT_EQ(m.cpu, 1u);
}

// SEMANTICS E10: a drain includes DPCs queued while it runs, before the CPU returns to PASSIVE.
TEST(DpcPlatformConformance, E10_DrainRunsDpcsQueuedDuringIt) {
  Rig rig(test_config(1));
  KDPC a, b;
  DpcFn fb = [&](PKDPC, PVOID, PVOID) { rig.mark("B"); };
  DpcFn fa = [&](PKDPC, PVOID, PVOID) {
    rig.mark("A");
    KeSetImportanceDpc(&b, LowImportance);  // not even a request of its own
    KeInsertQueueDpc(&b, nullptr, nullptr);
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&a, &dpc_trampoline, &fa);
    KeInitializeDpc(&b, &dpc_trampoline, &fb);
    KeInsertQueueDpc(&a, nullptr, nullptr);
    rig.mark("passive again");
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 3u);
  EXPECT_EQ(rig.marks()[0].what, "A");
  EXPECT_EQ(rig.marks()[1].what, "B");
  EXPECT_EQ(rig.marks()[2].what, "passive again");
}

// SEMANTICS E11, E12: a threaded DPC runs at PASSIVE from the threaded queue, after the ordinary
// DPCs queued with it.
TEST(DpcPlatformConformance, E11_E12_ThreadedDpcRunsAtPassiveAfterOrdinaryOnes) {
  Rig rig(test_config(1));
  KDPC normal, threaded;
  DpcFn fn = [&](PKDPC d, PVOID, PVOID) { rig.mark(d == &normal ? "normal" : "threaded"); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&normal, &dpc_trampoline, &fn);
    KeInitializeThreadedDpc(&threaded, &dpc_trampoline, &fn);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeInsertQueueDpc(&threaded, nullptr, nullptr);
    KeInsertQueueDpc(&normal, nullptr, nullptr);
    EXPECT_EQ(rig.platform().cpu(0).dpcs().depth(), 1u);
    EXPECT_EQ(rig.platform().cpu(0).dpcs().threaded_depth(), 1u);
    KeLowerIrql(old);
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].what, "normal");
  EXPECT_EQ(rig.marks()[0].irql, DISPATCH_LEVEL);
  EXPECT_EQ(rig.marks()[1].what, "threaded");
  EXPECT_EQ(rig.marks()[1].irql, PASSIVE_LEVEL);
}

// SEMANTICS E12: ISRs and ordinary DPCs preempt a running threaded DPC.
TEST(DpcPlatformConformance, E12_ThreadedDpcIsPreemptedByIsrsAndDpcs) {
  Rig rig(test_config(1));
  KDPC threaded, normal;
  DpcFn threaded_fn = [&](PKDPC, PVOID, PVOID) {
    rig.mark("threaded start");
    KeStallExecutionProcessor(20);
    rig.mark("threaded end");
  };
  DpcFn normal_fn = [&](PKDPC, PVOID, PVOID) { rig.mark("normal"); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    KeInsertQueueDpc(&normal, nullptr, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeThreadedDpc(&threaded, &dpc_trampoline, &threaded_fn);
    KeInitializeDpc(&normal, &dpc_trampoline, &normal_fn);
    rig.connect_messages(&isr);
  });
  rig.at(1 * kUs, 0, [&] { KeInsertQueueDpc(&threaded, nullptr, nullptr); });
  rig.device().add_message(10 * kUs, 0);
  rig.run(50 * kUs);
  ASSERT_EQ(rig.marks().size(), 4u);
  EXPECT_EQ(rig.marks()[0].what, "threaded start");
  EXPECT_EQ(rig.marks()[0].irql, PASSIVE_LEVEL);
  EXPECT_EQ(rig.marks()[1].what, "isr");
  EXPECT_EQ(rig.marks()[2].what, "normal");
  EXPECT_EQ(rig.marks()[3].what, "threaded end");
  // 20 us of its own plus the 100 ns ISR and the 200 ns DPC that preempted it.
  EXPECT_EQ(rig.marks()[3].ps, rig.marks()[0].ps + 20 * kUs + 300 * kNs);
  EXPECT_GT(rig.platform().cpu(0).stats().dpc_ps, 20 * kUs);
}

// SEMANTICS E12: the DPC thread preempts other PASSIVE_LEVEL code (it has real-time priority).
TEST(DpcPlatformConformance, E12_ThreadedDpcPreemptsPassiveCode) {
  Rig rig(test_config(2));
  KDPC threaded;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("threaded"); };
  rig.at(0, 0, [&] {
    KeInitializeThreadedDpc(&threaded, &dpc_trampoline, &fn);
    KeSetTargetProcessorDpc(&threaded, 1);
  });
  rig.at(1 * kUs, 1, [&] {
    rig.mark("passive start");
    KeStallExecutionProcessor(10);
    rig.mark("passive end");
  });
  rig.at(3 * kUs, 0, [&] { KeInsertQueueDpc(&threaded, nullptr, nullptr); });
  rig.run(20 * kUs);
  ASSERT_EQ(rig.marks().size(), 3u);
  EXPECT_EQ(rig.marks()[1].what, "threaded");
  EXPECT_EQ(rig.marks()[1].cpu, 1u);
  EXPECT_EQ(rig.marks()[1].ps, 3 * kUs + 200 * kNs);
}

// SEMANTICS E12: with threaded DPCs disabled a threaded DPC runs as an ordinary one, at DISPATCH.
TEST(DpcPlatformConformance, E12_DisabledThreadedDpcsRunAtDispatch) {
  PlatformConfig config = test_config(1);
  config.threaded_dpcs = false;
  Rig rig(config);
  KDPC threaded;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("threaded"); };
  rig.at(0, 0, [&] {
    KeInitializeThreadedDpc(&threaded, &dpc_trampoline, &fn);
    KeInsertQueueDpc(&threaded, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 1u);
  EXPECT_EQ(rig.marks()[0].irql, DISPATCH_LEVEL);
}

// SEMANTICS E13: KeFlushQueuedDpcs returns once every DPC queued before it, on every CPU and in
// both queues, has run, even those left for a distant clock tick.
TEST(DpcPlatformConformance, E13_FlushWaitsForDpcsOnEveryCpu) {
  PlatformConfig config = test_config(4);
  config.clock_tick_ps = 10 * kMs;
  Rig rig(config);
  KDPC remote[3], threaded, late;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) {
    rig.mark("dpc");
    KeStallExecutionProcessor(5);
  };
  DpcFn late_fn = [&](PKDPC, PVOID, PVOID) { rig.mark("late"); };
  rig.at(0, 0, [&] {
    for (unsigned i = 0; i < 3; ++i) {
      KeInitializeDpc(&remote[i], &dpc_trampoline, &fn);
      KeSetImportanceDpc(&remote[i], LowImportance);
      KeSetTargetProcessorDpc(&remote[i], static_cast<CCHAR>(i + 1));
      KeInsertQueueDpc(&remote[i], nullptr, nullptr);
    }
    KeInitializeThreadedDpc(&threaded, &dpc_trampoline, &fn);
    KeSetTargetProcessorDpc(&threaded, 2);
    KeInsertQueueDpc(&threaded, nullptr, nullptr);
    KeInitializeDpc(&late, &dpc_trampoline, &late_fn);
    KeSetTargetProcessorDpc(&late, 3);
    KeFlushQueuedDpcs();
    rig.mark("flushed");
    KeInsertQueueDpc(&late, nullptr, nullptr);  // after the flush: waits for the tick again
  });
  rig.run(1 * kMs);
  EXPECT_EQ(rig.marks("dpc").size(), 4u);
  const int flushed = rig.index_of("flushed");
  ASSERT_GE(flushed, 0);
  EXPECT_EQ(flushed, 4);
  EXPECT_LT(rig.marks("flushed")[0].ps, 20 * kUs);
  EXPECT_TRUE(rig.marks("late").empty());
}

}  // namespace
}  // namespace irqrig::host::testing
