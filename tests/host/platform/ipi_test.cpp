// SEMANTICS G1-G4 on the platform: KeIpiGenericCall across CPUs.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

// Workers are plain functions; the test's state reaches them through the current platform.
struct WorkerState {
  Rig* rig;
  std::uint64_t stall_us = 0;
  unsigned slow_cpu = ~0u;
};

ULONG_PTR recording_worker(ULONG_PTR argument) {
  auto* s = reinterpret_cast<WorkerState*>(argument);
  s->rig->mark("worker");
  const ULONG cpu = KeGetCurrentProcessorNumber();
  KeStallExecutionProcessor(static_cast<ULONG>(cpu == s->slow_cpu ? 3 * s->stall_us : s->stall_us));
  s->rig->mark("worker end");
  return 100 + cpu;
}

// SEMANTICS G1: the worker runs once on every CPU, the caller's included, with Argument = Context,
// at IPI_LEVEL.
TEST(IpiPlatformConformance, G1_WorkerOncePerCpuWithTheContext) {
  Rig rig(test_config(4));
  WorkerState state{&rig};
  ULONG_PTR result = 0;
  rig.at(1 * kUs, 1, [&] { result = KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state)); });
  rig.run(20 * kUs);
  const auto workers = rig.marks("worker");
  ASSERT_EQ(workers.size(), 4u);
  std::vector<unsigned> cpus;
  for (const Mark& m : workers) {
    cpus.push_back(m.cpu);
    EXPECT_EQ(m.irql, IPI_LEVEL);
  }
  std::sort(cpus.begin(), cpus.end());
  EXPECT_EQ(cpus, (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_EQ(result, 101u);
  EXPECT_EQ(rig.platform().counters().ipi_broadcasts, 1u);
  EXPECT_EQ(rig.platform().counters().ipi_worker_calls, 4u);
}

// SEMANTICS G2: callers at the same moment on two CPUs are serialized: the second broadcast's workers
// start only after the first's have all returned.
TEST(IpiPlatformConformance, G2_ConcurrentCallersAreSerialized) {
  Rig rig(test_config(4));
  WorkerState state{&rig, 5};
  rig.at(1 * kUs, 0, [&] { KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state)); });
  rig.at(1 * kUs, 2, [&] { KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state)); });
  rig.run(50 * kUs);
  const auto starts = rig.marks("worker");
  const auto ends = rig.marks("worker end");
  ASSERT_EQ(starts.size(), 8u);
  const std::uint64_t first_end = std::max_element(ends.begin(), ends.begin() + 4, [](auto& a, auto& b) {
                                    return a.ps < b.ps;
                                  })->ps;
  for (int i = 4; i < 8; ++i) EXPECT_GE(starts[i].ps, first_end);
  EXPECT_EQ(rig.platform().counters().ipi_broadcasts, 2u);
  EXPECT_EQ(rig.platform().counters().ipi_worker_calls, 8u);
}

// SEMANTICS G2: callable from DISPATCH_LEVEL and from an ISR (below IPI_LEVEL).
TEST(IpiPlatformConformance, G2_CallableBelowIpiLevel) {
  Rig rig(test_config(2));
  WorkerState state{&rig};
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state));
    return TRUE;
  };
  rig.at(0, 0, [&] {
    rig.connect_messages(&isr);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state));
    KeLowerIrql(old);
  });
  rig.device().add_message(5 * kUs, 1);
  rig.run(20 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  EXPECT_EQ(rig.marks("worker").size(), 4u);
}

// SEMANTICS G3: every CPU reaches the barrier at IPI_LEVEL before any worker runs, even one that was
// busy in an ISR; an MSI arriving meanwhile waits until IRQL drops.
TEST(IpiPlatformConformance, G3_BarrierThenWorkersMsisWait) {
  Rig rig(test_config(4));
  WorkerState state{&rig, 10};
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    if (id == 3) KeStallExecutionProcessor(4);
    return TRUE;
  };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 3);  // CPU 3 is in its ISR when the broadcast starts
  rig.at(2 * kUs, 0, [&] { KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state)); });
  rig.device().add_message(5 * kUs, 2);  // arrives while CPU 2 is in the worker
  rig.run(50 * kUs);
  const auto workers = rig.marks("worker");
  ASSERT_EQ(workers.size(), 4u);
  for (const Mark& w : workers) EXPECT_EQ(w.ps, workers[0].ps);  // all leave the barrier together
  // CPU 3 was preempted in its ISR (IPI_LEVEL is above every device IRQL) and joined at once.
  EXPECT_EQ(workers[0].ps, 2 * kUs);
  const auto isr2 = rig.marks("isr2");
  ASSERT_EQ(isr2.size(), 1u);
  EXPECT_EQ(isr2[0].ps, 12 * kUs + 100 * kNs);  // after the 10 us worker, not at 5 us
  EXPECT_GT(rig.platform().cpu(2).stats().ipi_ps, 0u);
}

// SEMANTICS G4: the caller returns after every worker, with its own worker's value.
TEST(IpiPlatformConformance, G4_ReturnsAfterAllWorkersWithTheCallersValue) {
  Rig rig(test_config(4));
  WorkerState state{&rig, 2, 3};
  ULONG_PTR result = 0;
  rig.at(1 * kUs, 1, [&] {
    result = KeIpiGenericCall(&recording_worker, reinterpret_cast<ULONG_PTR>(&state));
    rig.mark("returned");
  });
  rig.run(20 * kUs);
  EXPECT_EQ(result, 101u);
  std::uint64_t last_end = 0;
  for (const Mark& m : rig.marks("worker end")) last_end = std::max(last_end, m.ps);
  EXPECT_EQ(last_end, 7 * kUs);  // CPU 3's worker: 3 x 2 us
  ASSERT_EQ(rig.marks("returned").size(), 1u);
  EXPECT_EQ(rig.marks("returned")[0].ps, last_end);
  EXPECT_EQ(rig.marks("returned")[0].irql, PASSIVE_LEVEL);
}

// SEMANTICS G1: the testbench's periodic broadcasts: worker_calls = cpus x broadcasts.
TEST(IpiPlatformConformance, G1_PeriodicBroadcastsFromTheConfiguration) {
  PlatformConfig config = test_config(3);
  config.ipi_period_ps = 10 * kUs;
  config.ipi_worker_ps = 2 * kUs;
  Rig rig(config);
  rig.run(55 * kUs);
  const PlatformCounters& c = rig.platform().counters();
  EXPECT_EQ(c.ipi_broadcasts, 5u);
  EXPECT_EQ(c.ipi_worker_calls, 15u);
  for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(rig.platform().cpu(i).stats().ipi_ps, 10 * kUs);
}

}  // namespace
}  // namespace irqrig::host::testing
