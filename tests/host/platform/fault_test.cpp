// Driver misuse the kernel bug-checks on stops the run with a fault naming the rule, the CPU, the
// time and the routine.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

const Fault& only_fault(Rig& rig) {
  const auto& faults = rig.platform().faults();
  if (faults.size() != 1) throw std::runtime_error(fmt::format("{} faults, expected 1", faults.size()));
  return faults[0];
}

TEST(DriverFaults, ReleasingALockNotHeldInADpc) {
  Rig rig(test_config(2));
  KDPC dpc;
  KSPIN_LOCK lock;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { KeReleaseSpinLockFromDpcLevel(&lock); };
  rig.at(3 * kUs, 1, [&] {
    KeInitializeSpinLock(&lock);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.at(50 * kUs, 0, [&] { rig.mark("still running"); });
  rig.run(100 * kUs);
  const Fault& f = only_fault(rig);
  EXPECT_EQ(f.check, "driver_rules");
  EXPECT_EQ(f.rule, "SPIN_LOCK_NOT_OWNED");
  EXPECT_EQ(f.cpu, 1);
  EXPECT_EQ(f.routine, RoutineKind::kDpc);
  EXPECT_FALSE(f.routine_name.empty());
  EXPECT_EQ(f.time_ps, 3 * kUs + 200 * kNs);
  EXPECT_TRUE(rig.marks().empty());  // the run stopped there
  EXPECT_NE(f.describe().find("SPIN_LOCK_NOT_OWNED on CPU 1 in DPC"), std::string::npos) << f.describe();
}

// KeFlushQueuedDpcs from a threaded DPC would wait for itself: a violation, not a hang.
TEST(DriverFaults, FlushFromAThreadedDpc) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) {
    KeFlushQueuedDpcs();
    rig.mark("flushed");
  };
  rig.at(1 * kUs, 0, [&] {
    KeInitializeThreadedDpc(&dpc, &dpc_trampoline, &fn);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(100 * kUs);
  const Fault& f = only_fault(rig);
  EXPECT_EQ(f.rule, "IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_EQ(f.routine, RoutineKind::kThreadedDpc);
  EXPECT_NE(f.detail.find("threaded DPC"), std::string::npos) << f.detail;
  EXPECT_TRUE(rig.marks().empty());
}

TEST(DriverFaults, AcquiringALockTwice) {
  Rig rig(test_config(1));
  KSPIN_LOCK lock;
  rig.at(0, 0, [&] {
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeAcquireSpinLockAtDpcLevel(&lock);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "SPIN_LOCK_ALREADY_OWNED");
  EXPECT_EQ(only_fault(rig).routine, RoutineKind::kPassive);
}

TEST(DriverFaults, UninitializedSpinLock) {
  Rig rig(test_config(1));
  KSPIN_LOCK lock = 0xDEADBEEF;
  rig.at(0, 0, [&] {
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_NE(only_fault(rig).detail.find("KeInitializeSpinLock"), std::string::npos);
}

TEST(DriverFaults, InsertingATimerAsADpc) {
  Rig rig(test_config(1));
  KTIMER timer;
  rig.at(0, 0, [&] {
    KeInitializeTimer(&timer);
    KeInsertQueueDpc(reinterpret_cast<PRKDPC>(&timer), nullptr, nullptr);
  });
  rig.run(10 * kUs);
  const Fault& f = only_fault(rig);
  EXPECT_EQ(f.rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_NE(f.detail.find("a KTIMER"), std::string::npos) << f.detail;
}

TEST(DriverFaults, InsertingAnUninitializedDpc) {
  Rig rig(test_config(1));
  KDPC dpc{};
  rig.at(0, 0, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.run(10 * kUs);
  EXPECT_NE(only_fault(rig).detail.find("not an initialized KDPC"), std::string::npos);
}

TEST(DriverFaults, SettingAnUninitializedTimer) {
  Rig rig(test_config(1));
  KTIMER timer{};
  rig.at(0, 0, [&] {
    LARGE_INTEGER d;
    d.QuadPart = -10;
    KeSetTimer(&timer, d, nullptr);
  });
  rig.run(10 * kUs);
  EXPECT_NE(only_fault(rig).detail.find("not an initialized KTIMER"), std::string::npos);
}

TEST(DriverFaults, LoweringIrqlAboveTheCurrentOne) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] { KeLowerIrql(DISPATCH_LEVEL); });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_NE(only_fault(rig).detail.find("KeLowerIrql to DISPATCH_LEVEL from PASSIVE_LEVEL"), std::string::npos);
}

TEST(DriverFaults, RaisingIrqlBelowTheCurrentOne) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeRaiseIrql(APC_LEVEL, &old);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "IRQL_NOT_GREATER_OR_EQUAL");
}

TEST(DriverFaults, AcquireAtDpcLevelFromPassive) {
  Rig rig(test_config(1));
  KSPIN_LOCK lock;
  rig.at(0, 0, [&] {
    KeInitializeSpinLock(&lock);
    KeAcquireSpinLockAtDpcLevel(&lock);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "IRQL_NOT_GREATER_OR_EQUAL");
  EXPECT_NE(only_fault(rig).detail.find("KeAcquireSpinLockAtDpcLevel"), std::string::npos);
}

TEST(DriverFaults, FlushFromADpc) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { KeFlushQueuedDpcs(); };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  const Fault& f = only_fault(rig);
  EXPECT_EQ(f.rule, "IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_EQ(f.routine, RoutineKind::kDpc);
  EXPECT_NE(f.detail.find("KeFlushQueuedDpcs called at DISPATCH_LEVEL"), std::string::npos) << f.detail;
}

TEST(DriverFaults, IpiGenericCallAtIpiLevel) {
  Rig rig(test_config(2));
  rig.at(0, 1, [&] {
    KIRQL old;
    KeRaiseIrql(IPI_LEVEL, &old);
    KeIpiGenericCall([](ULONG_PTR) -> ULONG_PTR { return 0; }, 0);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_EQ(only_fault(rig).cpu, 1);
}

TEST(DriverFaults, IsrReturningAtAnotherIrql) {
  Rig rig(test_config(1));
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    return TRUE;
  };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 0);
  rig.run(10 * kUs);
  const Fault& f = only_fault(rig);
  EXPECT_EQ(f.rule, "IRQL_UNEXPECTED_VALUE");
  EXPECT_EQ(f.routine, RoutineKind::kIsr);
}

TEST(DriverFaults, DpcTargetingAMissingProcessor) {
  Rig rig(test_config(2));
  KDPC dpc;
  DpcFn fn = [](PKDPC, PVOID, PVOID) {};
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetTargetProcessorDpc(&dpc, 5);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  EXPECT_NE(only_fault(rig).detail.find("targets processor 5"), std::string::npos);
}

TEST(DriverFaults, RegisterAccessOutsideTheMapping) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    ULONG scratch = 0;
    (void)READ_REGISTER_ULONG(&scratch);
  });
  rig.run(10 * kUs);
  EXPECT_EQ(only_fault(rig).rule, "PAGE_FAULT_IN_NONPAGED_AREA");
}

}  // namespace
}  // namespace irqrig::host::testing
