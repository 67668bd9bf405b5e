// Driver misuse of the framework that Windows bug-checks on (or KMDF's verifier breaks on) stops
// the run with a driver_rules fault naming the rule, the routine and the CPU, at its time.
#include <gtest/gtest.h>

#include "host/wdk/kmdf_host.h"
#include "tests/host/wdf/kmdf_sim.h"
#include "tests/host/wdf/test_driver.h"

namespace irqrig::host::test {
namespace {

NTSTATUS MisuseEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  static const TestDriverConfig config = [] {
    TestDriverConfig c;
    c.create_dpc = true;
    return c;
  }();
  return TestDriverEntry(DriverObject, RegistryPath, config);
}

NTSTATUS NoInterruptDpcEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  static const TestDriverConfig config = [] {
    TestDriverConfig c;
    c.interrupt_dpc = false;
    return c;
  }();
  return TestDriverEntry(DriverObject, RegistryPath, config);
}

struct Outcome {
  std::vector<Fault> faults;
  bool script_finished = false;
};

/// Starts the driver, waits `at_ns`, runs `misuse` on `cpu`; returns the platform's faults.
Outcome misuse(KmdfDriverEntry entry, unsigned cpu, std::uint64_t at_ns, const std::function<void(TestDevice&)>& body) {
  KmdfSim sim({});
  KmdfHost host("misuse", entry, &WdfDriverGlobals);
  Outcome out;
  sim.run([&](Bench& b) {
    EXPECT_TRUE(NT_SUCCESS(b.start(host))) << host.failure();
    b.wait_ns(at_ns);
    TestDevice& dev = the_test_device();
    b.on_cpu(cpu, [&] { body(dev); });
    out.script_finished = true;
  });
  out.faults = sim.platform().faults();
  return out;
}

void expect_fault(const Outcome& out, std::initializer_list<const char*> parts, std::uint64_t not_before_ns) {
  EXPECT_FALSE(out.script_finished) << "the run went on after the misuse";
  ASSERT_EQ(out.faults.size(), 1u);
  EXPECT_EQ(out.faults[0].check, "driver_rules");
  const std::string text = out.faults[0].describe();
  for (const char* p : parts) EXPECT_NE(text.find(p), std::string::npos) << text;
  EXPECT_GE(out.faults[0].time_ps / 1000, not_before_ns);
}

TEST(WdfMisuse, ReleasingASpinLockNotHeld) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 1, 2000, [](TestDevice& dev) {
      WDF_OBJECT_ATTRIBUTES attributes;
      WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
      attributes.ParentObject = dev.device;
      WDFSPINLOCK lock;
      ASSERT_EQ(WdfSpinLockCreate(&attributes, &lock), STATUS_SUCCESS);
      WdfSpinLockRelease(lock);
    });
    expect_fault(out, {"SPIN_LOCK_NOT_OWNED", "WdfSpinLockRelease", "on CPU 1"}, 2000);
  });
}

TEST(WdfMisuse, AcquiringASpinLockAboveDispatchLevel) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 0, 0, [](TestDevice& dev) {
      WDF_OBJECT_ATTRIBUTES attributes;
      WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
      attributes.ParentObject = dev.device;
      WDFSPINLOCK lock;
      ASSERT_EQ(WdfSpinLockCreate(&attributes, &lock), STATUS_SUCCESS);
      KIRQL old;
      KeRaiseIrql(5, &old);
      WdfSpinLockAcquire(lock);
    });
    expect_fault(out, {"IRQL_NOT_LESS_OR_EQUAL", "WdfSpinLockAcquire", "DIRQL 5", "on CPU 0"}, 0);
  });
}

TEST(WdfMisuse, QueueDpcForIsrAboveTheInterruptsIrql) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 0, 0, [](TestDevice& dev) {
      KIRQL old;
      KeRaiseIrql(HIGH_LEVEL, &old);
      WdfInterruptQueueDpcForIsr(dev.interrupts[0]);
    });
    expect_fault(out, {"IRQL_NOT_LESS_OR_EQUAL", "WdfInterruptQueueDpcForIsr", "HIGH_LEVEL"}, 0);
  });
}

TEST(WdfMisuse, QueueDpcForIsrWithoutEvtInterruptDpc) {
  in_child([] {
    const Outcome out = misuse(NoInterruptDpcEntry, 0, 0,
                               [](TestDevice& dev) { WdfInterruptQueueDpcForIsr(dev.interrupts[0]); });
    expect_fault(out, {"WDF_VIOLATION", "WdfInterruptQueueDpcForIsr", "no EvtInterruptDpc"}, 0);
  });
}

TEST(WdfMisuse, ReleasingAnInterruptLockNotHeld) {
  in_child([] {
    const Outcome out =
        misuse(MisuseEntry, 0, 0, [](TestDevice& dev) { WdfInterruptReleaseLock(dev.interrupts[0]); });
    expect_fault(out, {"SPIN_LOCK_NOT_OWNED", "WdfInterruptReleaseLock", "on CPU 0"}, 0);
  });
}

TEST(WdfMisuse, DeletingTheDevice) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 0, 0, [](TestDevice& dev) { WdfObjectDelete(dev.device); });
    expect_fault(out, {"WDF_VIOLATION", "WdfObjectDelete", "WDFDEVICE"}, 0);
  });
}

TEST(WdfMisuse, AHandleOfTheWrongType) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 0, 0, [](TestDevice& dev) {
      WdfDpcEnqueue(reinterpret_cast<WDFDPC>(dev.interrupts[0]));
    });
    expect_fault(out, {"WDF_VIOLATION", "WdfDpcEnqueue", "WDFDPC handle expected, got a WDFINTERRUPT"}, 0);
  });
}

TEST(WdfMisuse, CancelWithWaitAtDispatchLevel) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 0, 0, [](TestDevice& dev) {
      KIRQL old;
      KeRaiseIrql(DISPATCH_LEVEL, &old);
      WdfDpcCancel(dev.dpc, TRUE);
    });
    expect_fault(out, {"IRQL_NOT_LESS_OR_EQUAL", "WdfDpcCancel(Wait=TRUE)", "DISPATCH_LEVEL"}, 0);
  });
}

// A deleted object's handle is named as such, never read.
TEST(WdfMisuse, AHandleOfADeletedObject) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 0, 0, [](TestDevice& dev) {
      WDF_OBJECT_ATTRIBUTES attributes;
      WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
      attributes.ParentObject = dev.device;
      WDFSPINLOCK lock;
      ASSERT_EQ(WdfSpinLockCreate(&attributes, &lock), STATUS_SUCCESS);
      WdfObjectDelete(lock);
      WdfSpinLockAcquire(lock);
    });
    expect_fault(out, {"WDF_VIOLATION", "WdfSpinLockAcquire", "not a live framework object"}, 0);
  });
}

NTSTATUS IsrBreaksARuleEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  static const TestDriverConfig config = [] {
    TestDriverConfig c;
    c.isr_breaks_a_rule = true;
    return c;
  }();
  return TestDriverEntry(DriverObject, RegistryPath, config);
}

// A rule broken inside EvtInterruptIsr names the driver's EvtInterruptIsr, not the framework's
// dispatcher the platform called.
TEST(WdfMisuse, AFaultInEvtInterruptIsrNamesTheDriversRoutine) {
  in_child([] {
    KmdfSim sim({});
    KmdfHost host("misuse", IsrBreaksARuleEntry, &WdfDriverGlobals);
    sim.run([&](Bench& b) {
      ASSERT_TRUE(NT_SUCCESS(b.start(host))) << host.failure();
      WDF_INTERRUPT_INFO info;
      WDF_INTERRUPT_INFO_INIT(&info);
      WdfInterruptGetInfo(the_test_device().interrupts[0], &info);
      b.post(0, static_cast<std::uint8_t>(info.Vector));
      b.wait_ns(5000);
    });
    const auto& faults = sim.platform().faults();
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0].rule, "IRQL_NOT_LESS_OR_EQUAL");
    EXPECT_EQ(faults[0].routine, RoutineKind::kIsr);
    EXPECT_EQ(faults[0].routine_name, sim.platform().routine_name(test_isr_routine()));
  });
}

void pageable_routine() { PAGED_CODE(); }

TEST(WdfMisuse, PagedCodeAtDispatchLevel) {
  in_child([] {
    const Outcome out = misuse(MisuseEntry, 1, 1000, [](TestDevice&) {
      KIRQL old;
      KeRaiseIrql(DISPATCH_LEVEL, &old);
      pageable_routine();
    });
    expect_fault(out, {"IRQL_NOT_LESS_OR_EQUAL", "pageable_routine", "DISPATCH_LEVEL", "on CPU 1"}, 1000);
  });
}

}  // namespace
}  // namespace irqrig::host::test
