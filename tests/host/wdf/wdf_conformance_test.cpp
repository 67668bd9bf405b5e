// Conformance of the framework's DPC and interrupt objects (SEMANTICS F1-F5) and of the start and
// remove sequences it plays around a KMDF driver, on the co-simulated platform.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host/wdk/kmdf_host.h"
#include "tests/host/wdf/kmdf_sim.h"
#include "tests/host/wdf/test_driver.h"

/// A second context type, allocated on an object after its creation.
struct ExtraContext {
  int value;
};
WDF_DECLARE_CONTEXT_TYPE(ExtraContext)

namespace irqrig::host::test {
namespace {

#define TEST_ENTRY(name, ...)                                                              \
  NTSTATUS name(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {               \
    static const TestDriverConfig config = [] {                                           \
      TestDriverConfig c;                                                                  \
      __VA_ARGS__;                                                                         \
      return c;                                                                            \
    }();                                                                                   \
    return TestDriverEntry(DriverObject, RegistryPath, config);                            \
  }

TEST_ENTRY(PlainEntry, (void)c)
TEST_ENTRY(DpcEntry, c.create_dpc = true)
TEST_ENTRY(SerializedDpcEntry, c.create_dpc = true; c.auto_serialization = TRUE;
           c.scope = WdfSynchronizationScopeDevice)
TEST_ENTRY(UnserializedDpcEntry, c.create_dpc = true; c.auto_serialization = FALSE;
           c.scope = WdfSynchronizationScopeDevice)
TEST_ENTRY(SerializedNoScopeDpcEntry, c.create_dpc = true; c.auto_serialization = TRUE;
           c.scope = WdfSynchronizationScopeNone)
TEST_ENTRY(PassiveSerializedDpcEntry, c.create_dpc = true; c.auto_serialization = TRUE;
           c.scope = WdfSynchronizationScopeDevice; c.level = WdfExecutionLevelPassive)
TEST_ENTRY(StallingDpcEntry, c.create_dpc = true; c.dpc_stall_us = 20)
TEST_ENTRY(StallingIsrEntry, c.isr_stall_us = 5)
TEST_ENTRY(StallingIsrSpinLockEntry, c.isr_stall_us = 5; c.spin_lock_for_interrupts = true)
TEST_ENTRY(TwoInterruptsEntry, c.interrupts = 2)

/// Runs a script against a started test driver, then stops it (unless `stop` is false).
void with_driver(const SimConfig& config, KmdfDriverEntry entry, const std::function<void(Bench&, TestDevice&)>& script,
                 bool stop = true) {
  KmdfSim sim(config);
  KmdfHost host("wdf_test", entry, &WdfDriverGlobals);
  bool ran = false;
  sim.run([&](Bench& b) {
    const NTSTATUS status = b.start(host);
    ASSERT_TRUE(NT_SUCCESS(status)) << std::hex << status << " " << host.failure();
    script(b, the_test_device());
    if (stop) b.stop(host);
    ran = true;
  });
  EXPECT_TRUE(ran);
  EXPECT_TRUE(sim.driver_faults().empty()) << sim.driver_faults().front();
}

WDF_INTERRUPT_INFO info_of(WDFINTERRUPT interrupt) {
  WDF_INTERRUPT_INFO info;
  WDF_INTERRUPT_INFO_INIT(&info);
  WdfInterruptGetInfo(interrupt, &info);
  return info;
}

// SEMANTICS F1: a DPC object wraps an ordinary KDPC: same type, importance, target and routine rules.
TEST(Wdf, F1_DpcObjectWrapsAnOrdinaryDpc) {
  in_child([] {
    with_driver({}, DpcEntry, [](Bench& b, TestDevice& dev) {
      const PKDPC k = WdfDpcWdmGetDpc(dev.dpc);
      EXPECT_EQ(k->Type, DpcObject);
      EXPECT_EQ(k->Importance, MediumImportance);
      EXPECT_EQ(k->Number, 0);  // no target: the inserting processor
      EXPECT_EQ(WdfDpcGetParentObject(dev.dpc), static_cast<WDFOBJECT>(dev.device));
      b.on_cpu(1, [&] { EXPECT_TRUE(WdfDpcEnqueue(dev.dpc)); });
      b.wait_idle();
      EXPECT_EQ(dev.dpc_calls, 1);
      EXPECT_EQ(dev.dpc_cpu, 1u);
    });
  });
}

/// Holds the device's callback lock on CPU 0 for 10 us while the DPC is queued to CPU 1; returns
/// when the lock was released.
unsigned long long hold_device_lock_while_dpc_queued(Bench& b, TestDevice& dev) {
  unsigned long long released = 0;
  b.on_cpu(0, [&] {
    WdfObjectAcquireLock(dev.device);
    // High importance: a remote insert interrupts CPU 1 at once instead of waiting for its tick (E8).
    KeSetImportanceDpc(WdfDpcWdmGetDpc(dev.dpc), HighImportance);
    KeSetTargetProcessorDpc(WdfDpcWdmGetDpc(dev.dpc), 1);
    EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
    KeStallExecutionProcessor(10);
    released = sim_now_ns();
    WdfObjectReleaseLock(dev.device);
  });
  b.wait_idle();
  EXPECT_EQ(dev.dpc_calls, 1);
  EXPECT_EQ(dev.dpc_cpu, 1u);
  return released;
}

// SEMANTICS F1: AutomaticSerialization runs EvtDpcFunc under the parent device's callback lock.
TEST(Wdf, F1_AutomaticSerializationHoldsTheDeviceCallbackLock) {
  in_child([] {
    with_driver({}, SerializedDpcEntry, [](Bench& b, TestDevice& dev) {
      const unsigned long long released = hold_device_lock_while_dpc_queued(b, dev);
      EXPECT_GE(dev.dpc_start_ns, released);
    });
  });
}

// SEMANTICS F1: without AutomaticSerialization the DPC does not wait for the device's lock.
TEST(Wdf, F1_WithoutAutomaticSerializationTheDpcDoesNotWait) {
  in_child([] {
    with_driver({}, UnserializedDpcEntry, [](Bench& b, TestDevice& dev) {
      const unsigned long long released = hold_device_lock_while_dpc_queued(b, dev);
      EXPECT_LT(dev.dpc_start_ns, released);
    });
  });
}

// SEMANTICS F1: a parent whose synchronization scope is none has no callback lock to hold.
TEST(Wdf, F1_AutomaticSerializationUnderScopeNoneTakesNoLock) {
  in_child([] {
    with_driver({}, SerializedNoScopeDpcEntry, [](Bench& b, TestDevice& dev) {
      const unsigned long long released = hold_device_lock_while_dpc_queued(b, dev);
      EXPECT_LT(dev.dpc_start_ns, released);
    });
  });
}

// SEMANTICS F1: a DISPATCH_LEVEL DPC cannot serialize with a passive-level parent (KMDF refuses it).
TEST(Wdf, F1_AutomaticSerializationWithAPassiveParentIsRefused) {
  in_child([] {
    KmdfSim sim({});
    KmdfHost host("wdf_test", PassiveSerializedDpcEntry, &WdfDriverGlobals);
    NTSTATUS status = STATUS_SUCCESS;
    sim.run([&](Bench& b) { status = b.start(host); });
    EXPECT_EQ(status, STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL);
    EXPECT_NE(host.failure().find("EvtDriverDeviceAdd"), std::string::npos) << host.failure();
    EXPECT_EQ(WdfDriverGlobals, nullptr);  // the failed driver was unloaded
  });
}

// SEMANTICS F2: WdfDpcEnqueue = KeInsertQueueDpc(dpc, NULL, NULL): TRUE, then FALSE; one call.
TEST(Wdf, F2_EnqueueTwiceRunsOnce) {
  in_child([] {
    with_driver({}, DpcEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
        EXPECT_FALSE(WdfDpcEnqueue(dev.dpc));
        const PKDPC k = WdfDpcWdmGetDpc(dev.dpc);
        EXPECT_EQ(k->SystemArgument1, nullptr);
        EXPECT_EQ(k->SystemArgument2, nullptr);
        EXPECT_EQ(dev.dpc_calls, 0);
        KeLowerIrql(old);
        EXPECT_EQ(dev.dpc_calls, 1);
        // Run and dequeued: it can be queued again.
        EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
      });
      b.wait_idle();
      EXPECT_EQ(dev.dpc_calls, 2);
    });
  });
}

// SEMANTICS F3: WdfDpcCancel = KeRemoveQueueDpc: a queued DPC is dequeued and never runs.
TEST(Wdf, F3_CancelDequeuesAQueuedDpc) {
  in_child([] {
    with_driver({}, DpcEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
        EXPECT_TRUE(WdfDpcCancel(dev.dpc, FALSE));
        EXPECT_FALSE(WdfDpcCancel(dev.dpc, FALSE));  // nothing queued any more
        KeLowerIrql(old);
      });
      b.wait_idle();
      EXPECT_EQ(dev.dpc_calls, 0);
    });
  });
}

// SEMANTICS F3: not queued and Wait -> a flush: it returns after the DPC running elsewhere is done.
TEST(Wdf, F3_CancelWithWaitReturnsAfterTheRunningDpc) {
  in_child([] {
    with_driver({}, StallingDpcEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        KeSetImportanceDpc(WdfDpcWdmGetDpc(dev.dpc), HighImportance);  // runs on CPU 1 at once (E8)
        KeSetTargetProcessorDpc(WdfDpcWdmGetDpc(dev.dpc), 1);
        EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
      });
      b.wait_ns(5000);  // the DPC is running on CPU 1 now (it stalls 20 us)
      ASSERT_EQ(dev.dpc_calls, 0);
      BOOLEAN removed = TRUE;
      unsigned long long returned = 0;
      b.on_cpu(0, [&] {
        removed = WdfDpcCancel(dev.dpc, TRUE);
        returned = sim_now_ns();
      });
      EXPECT_FALSE(removed);
      EXPECT_EQ(dev.dpc_calls, 1);
      EXPECT_GE(returned, dev.dpc_end_ns);
    });
  });
}

// Deleting a DPC object whose DPC has just left its queue on another CPU (it is paying the
// routine's entry cost) waits for the routine: EvtDpcFunc runs with a valid object and the
// deletion returns after it.
TEST(Wdf, DeletingADpcObjectWaitsForADpcAboutToRun) {
  in_child([] {
    with_driver({}, StallingDpcEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        KeSetImportanceDpc(WdfDpcWdmGetDpc(dev.dpc), HighImportance);  // runs on CPU 1 at once (E8)
        KeSetTargetProcessorDpc(WdfDpcWdmGetDpc(dev.dpc), 1);
        EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
      });
      b.wait_ns(200);  // dequeued on CPU 1, inside its 800 ns entry cost: the routine has not started
      ASSERT_EQ(dev.dpc_start_ns, 0u);
      const WDFDPC dpc = dev.dpc;
      unsigned long long deleted = 0;
      b.on_cpu(0, [&] {
        WdfObjectDelete(dpc);
        deleted = sim_now_ns();
      });
      EXPECT_EQ(dev.dpc_calls, 1);
      EXPECT_GE(deleted, dev.dpc_end_ns);
      EXPECT_EQ(b.platform().framework_objects().count(dpc), 0u);
    });
  });
}

// WdfObjectDelete of a DPC object is allowed at DISPATCH_LEVEL; KMDF finishes the deletion at
// PASSIVE_LEVEL (it may have to wait for the DPC), so a DPC running elsewhere is no fault.
TEST(Wdf, DeletingADpcObjectAtDispatchLevelIsFinishedAtPassive) {
  in_child([] {
    with_driver({}, StallingDpcEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        KeSetImportanceDpc(WdfDpcWdmGetDpc(dev.dpc), HighImportance);
        KeSetTargetProcessorDpc(WdfDpcWdmGetDpc(dev.dpc), 1);
        EXPECT_TRUE(WdfDpcEnqueue(dev.dpc));
      });
      b.wait_ns(5000);  // running on CPU 1 (it stalls 20 us)
      const WDFDPC dpc = dev.dpc;
      bool live_after_delete = false;
      b.on_cpu(0, [&] {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        WdfObjectDelete(dpc);
        live_after_delete = b.platform().framework_objects().count(dpc) == 1;
        WdfObjectDelete(dpc);  // under way already: nothing more
        KeLowerIrql(old);
      });
      b.wait_idle();
      EXPECT_TRUE(live_after_delete);
      EXPECT_EQ(dev.dpc_calls, 1);
      EXPECT_EQ(b.platform().framework_objects().count(dpc), 0u);
    });
  });
}

/// Two sibling objects under the device; the younger one's cleanup deletes the older one, which
/// the device's deletion has not reached yet.
struct SiblingContext {
  WDFSPINLOCK older;
  int* cleanups;
  int* destroys;
};
WDF_DECLARE_CONTEXT_TYPE(SiblingContext)

VOID CountingCleanup(WDFOBJECT object) {
  SiblingContext* ctx = WdfObjectGet_SiblingContext(object);
  ++*ctx->cleanups;
}
VOID CountingDestroy(WDFOBJECT object) {
  SiblingContext* ctx = WdfObjectGet_SiblingContext(object);
  ++*ctx->destroys;
}
VOID YoungerCleanup(WDFOBJECT object) {
  SiblingContext* ctx = WdfObjectGet_SiblingContext(object);
  WdfObjectDelete(ctx->older);
}

// A cleanup callback deleting a sibling the parent's deletion has not reached: the sibling is
// cleaned up and destroyed exactly once, and the walk goes on.
TEST(Wdf, CleanupCallbackDeletingASiblingRunsItsCallbacksOnce) {
  in_child([] {
    int cleanups = 0, destroys = 0;
    with_driver({}, PlainEntry, [&](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        WDF_OBJECT_ATTRIBUTES a;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, SiblingContext);
        a.ParentObject = dev.device;
        a.EvtCleanupCallback = CountingCleanup;
        a.EvtDestroyCallback = CountingDestroy;
        WDFSPINLOCK older, younger;
        ASSERT_EQ(WdfSpinLockCreate(&a, &older), STATUS_SUCCESS);
        WdfObjectGet_SiblingContext(older)->cleanups = &cleanups;
        WdfObjectGet_SiblingContext(older)->destroys = &destroys;
        a.EvtCleanupCallback = YoungerCleanup;
        a.EvtDestroyCallback = nullptr;
        ASSERT_EQ(WdfSpinLockCreate(&a, &younger), STATUS_SUCCESS);
        WdfObjectGet_SiblingContext(younger)->older = older;
      });
    });
    EXPECT_EQ(cleanups, 1);
    EXPECT_EQ(destroys, 1);
  });
}

// Trace slices of KMDF callbacks name the driver's EvtInterruptIsr and EvtDpcFunc, not the
// framework's dispatchers the platform called.
TEST(Wdf, TraceSlicesNameTheDriversCallbacks) {
  in_child([] {
    SimConfig config;
    config.trace_path = ::testing::TempDir() + "irqrig_wdf_trace_test.json";
    std::string isr_name, dpc_name;
    with_driver(config, DpcEntry, [&](Bench& b, TestDevice& dev) {
      b.post(0, static_cast<std::uint8_t>(info_of(dev.interrupts[0]).Vector));
      b.on_cpu(1, [&] { EXPECT_TRUE(WdfDpcEnqueue(dev.dpc)); });
      b.wait_idle();
      isr_name = b.platform().routine_name(test_isr_routine());
      dpc_name = b.platform().routine_name(test_dpc_routine());
      b.platform().finish_trace();
    });
    std::ifstream in(config.trace_path);
    const auto doc = nlohmann::json::parse(in);
    std::remove(config.trace_path.c_str());
    std::set<std::string> isr_routines, dpc_routines;
    for (const auto& e : doc.at("traceEvents")) {
      if (e.at("ph") != "X") continue;
      if (e.at("name") == "ISR") isr_routines.insert(e.at("args").at("routine").get<std::string>());
      if (e.at("name") == "DPC") dpc_routines.insert(e.at("args").at("routine").get<std::string>());
    }
    EXPECT_EQ(isr_routines, std::set<std::string>{isr_name});
    EXPECT_TRUE(dpc_routines.count(dpc_name)) << "DPC slices name " << *dpc_routines.begin();
  });
}

/// F4 in a run: message 0's ISR stalls 5 us on CPU 0; CPU 1 asks for the interrupt lock meanwhile.
void isr_holds_the_lock(KmdfDriverEntry entry) {
  with_driver({}, entry, [](Bench& b, TestDevice& dev) {
    const WDF_INTERRUPT_INFO info = info_of(dev.interrupts[0]);
    ASSERT_TRUE(info.MessageSignaled);
    b.post(0, static_cast<std::uint8_t>(info.Vector));
    b.wait_ns(1500);  // ISR entry costs 500 ns: the ISR is stalling now
    ASSERT_EQ(dev.isr_calls, 1);
    unsigned long long got = 0;
    KIRQL irql_in_lock = 0;
    b.on_cpu(1, [&] {
      WdfInterruptAcquireLock(dev.interrupts[0]);
      got = sim_now_ns();
      irql_in_lock = KeGetCurrentIrql();
      WdfInterruptReleaseLock(dev.interrupts[0]);
      EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    });
    b.wait_idle();
    EXPECT_EQ(dev.isr_irql, info.Irql);  // DIRQL: the message's vector >> 4
    EXPECT_EQ(dev.isr_message, 0u);
    EXPECT_EQ(irql_in_lock, info.Irql);  // the lock is taken at the interrupt's SynchronizeIrql
    EXPECT_GE(got, dev.isr_end_ns);      // and not before the ISR has returned
  });
}

// SEMANTICS F4: EvtInterruptIsr(Interrupt, MessageID) runs at DIRQL holding the interrupt lock.
TEST(Wdf, F4_IsrRunsAtDirqlHoldingTheInterruptLock) {
  in_child([] { isr_holds_the_lock(StallingIsrEntry); });
}

// SEMANTICS F4: with a WDFSPINLOCK as the configuration's SpinLock, that lock is the interrupt lock.
TEST(Wdf, F4_IsrHoldsTheConfiguredSpinLock) {
  in_child([] { isr_holds_the_lock(StallingIsrSpinLockEntry); });
}

// SEMANTICS F5: three ISRs before the DPC runs -> TRUE, FALSE, FALSE and one EvtInterruptDpc.
TEST(Wdf, F5_ThreeIsrsOneDpc) {
  in_child([] {
    with_driver({}, PlainEntry, [](Bench& b, TestDevice& dev) {
      const WDF_INTERRUPT_INFO info = info_of(dev.interrupts[0]);
      const auto vector = static_cast<std::uint8_t>(info.Vector);
      // CPU 0 sits at DISPATCH_LEVEL: the ISRs preempt it, their DPC waits for IRQL to drop.
      b.spawn_on_cpu(0, [] {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeStallExecutionProcessor(20);
        KeLowerIrql(old);
      });
      for (int i = 0; i < 3; ++i) {
        b.wait_ns(3000);
        b.post(0, vector);
      }
      b.wait_idle();
      EXPECT_EQ(dev.isr_calls, 3);
      EXPECT_TRUE(dev.queue_results[0]);
      EXPECT_FALSE(dev.queue_results[1]);
      EXPECT_FALSE(dev.queue_results[2]);
      EXPECT_EQ(dev.interrupt_dpc_calls, 1);
      EXPECT_EQ(dev.interrupt_dpc_cpu, 0u);
      EXPECT_EQ(dev.interrupt_dpc_irql, DISPATCH_LEVEL);
    });
  });
}

// SEMANTICS F5: the DPC is queued on the current processor: the CPU the message interrupted.
TEST(Wdf, F5_TheDpcRunsOnTheInterruptedProcessor) {
  in_child([] {
    SimConfig config;
    config.affinity = {1};
    with_driver(config, PlainEntry, [](Bench& b, TestDevice& dev) {
      const WDF_INTERRUPT_INFO info = info_of(dev.interrupts[0]);
      EXPECT_EQ(info.TargetProcessorSet, KAFFINITY{2});
      b.post(1, static_cast<std::uint8_t>(info.Vector));
      b.wait_idle();
      EXPECT_EQ(dev.isr_calls, 1);
      EXPECT_EQ(dev.interrupt_dpc_calls, 1);
      EXPECT_EQ(dev.interrupt_dpc_cpu, 1u);
    });
  });
}

TEST(Wdf, StartAndRemoveSequencesRunInKmdfOrder) {
  in_child([] {
    TestLog log;
    KIRQL sync_irql = 0;
    with_driver({}, DpcEntry, [&](Bench&, TestDevice& dev) {
      EXPECT_EQ(std::string(dev.start_sequence, dev.start_count), "PEIQS");
      sync_irql = info_of(dev.interrupts[0]).Irql;
      EXPECT_EQ(dev.enable_calls, 1);
      EXPECT_EQ(dev.enable_irql, sync_irql);  // EvtInterruptEnable at DIRQL under the interrupt lock
      dev.log = &log;
      TestDriverContext(WdfGetDriver())->log = &log;
    });
    const std::vector<std::string> expected = {"EvtDeviceSelfManagedIoSuspend",
                                                "EvtDeviceD0ExitPreInterruptsDisabled",
                                                "EvtInterruptDisable@" + std::to_string(sync_irql),
                                                "EvtDeviceD0Exit",
                                                "EvtDeviceSelfManagedIoFlush",
                                                "EvtDeviceReleaseHardware",
                                                "EvtDeviceSelfManagedIoCleanup",
                                                "cleanup:dpc",
                                                "cleanup:device",
                                                "destroy:device",
                                                "EvtDriverUnload",
                                                "cleanup:driver"};
    EXPECT_EQ(log.events, expected);
    EXPECT_EQ(WdfDriverGlobals, nullptr);
  });
}

TEST(Wdf, ResourceListsDescribeBar0AndEachMessage) {
  in_child([] {
    SimConfig config;
    config.affinity = {0, 1};
    with_driver(config, TwoInterruptsEntry, [](Bench& b, TestDevice& dev) {
      ASSERT_EQ(dev.resource_count, 3u);  // BAR0, then one descriptor per MSI-X message
      EXPECT_EQ(dev.resource_types[0], CmResourceTypeMemory);
      EXPECT_EQ(static_cast<std::uint64_t>(dev.bar_start.QuadPart), b.platform().bar0_physical());
      EXPECT_EQ(dev.bar_length, b.resources().Bar0Length);
      for (unsigned i : {1u, 2u}) {
        EXPECT_EQ(dev.resource_types[i], CmResourceTypeInterrupt);
        EXPECT_EQ(dev.resource_flags[i], CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE);
      }
      EXPECT_EQ(dev.raw_message_count, 1);
      const WDF_INTERRUPT_INFO first = info_of(dev.interrupts[0]);
      EXPECT_EQ(dev.translated_vector, first.Vector);
      EXPECT_EQ(dev.translated_level, first.Irql);
      EXPECT_EQ(dev.translated_affinity, first.TargetProcessorSet);
      const WDF_INTERRUPT_INFO second = info_of(dev.interrupts[1]);
      EXPECT_EQ(first.MessageNumber, 0u);
      EXPECT_EQ(second.MessageNumber, 1u);
      EXPECT_EQ(second.TargetProcessorSet, KAFFINITY{2});
      EXPECT_TRUE(second.MessageSignaled);
    });
  });
}

TEST(Wdf, InterruptsBeyondTheGrantedMessagesStayUnconnected) {
  in_child([] {
    with_driver({}, TwoInterruptsEntry, [](Bench& b, TestDevice& dev) {
      EXPECT_TRUE(info_of(dev.interrupts[0]).MessageSignaled);
      EXPECT_FALSE(info_of(dev.interrupts[1]).MessageSignaled);
      EXPECT_EQ(WdfInterruptWdmGetInterrupt(dev.interrupts[1]), nullptr);
      // Its lock still works, at the device's interrupt level.
      b.on_cpu(0, [&] {
        WdfInterruptAcquireLock(dev.interrupts[1]);
        EXPECT_EQ(KeGetCurrentIrql(), info_of(dev.interrupts[0]).Irql);
        WdfInterruptReleaseLock(dev.interrupts[1]);
      });
    });
  });
}

BOOLEAN RecordIrql(WDFINTERRUPT, WDFCONTEXT Context) {
  *static_cast<KIRQL*>(Context) = KeGetCurrentIrql();
  return TRUE;
}

TEST(Wdf, InterruptSynchronizeRunsAtDirqlUnderTheLock) {
  in_child([] {
    with_driver({}, PlainEntry, [](Bench& b, TestDevice& dev) {
      KIRQL seen = 0;
      b.on_cpu(0, [&] {
        EXPECT_TRUE(WdfInterruptSynchronize(dev.interrupts[0], RecordIrql, &seen));
        EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
      });
      EXPECT_EQ(seen, info_of(dev.interrupts[0]).Irql);
    });
  });
}

TEST(Wdf, TypedContextsAreZeroedPerTypeAndFindTheirObject) {
  in_child([] {
    with_driver({}, DpcEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        EXPECT_EQ(TestDeviceContext(dev.device)->device, dev.device);
        EXPECT_EQ(WdfObjectGetTypedContext(dev.dpc, TestDevice), nullptr);  // the DPC has none
        WDF_OBJECT_ATTRIBUTES attributes;
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, ExtraContext);
        PVOID first = nullptr, again = nullptr;
        EXPECT_EQ(WdfObjectAllocateContext(dev.dpc, &attributes, &first), STATUS_SUCCESS);
        ASSERT_NE(first, nullptr);
        EXPECT_EQ(WdfObjectGet_ExtraContext(dev.dpc), first);
        EXPECT_EQ(WdfObjectGet_ExtraContext(dev.dpc)->value, 0);
        EXPECT_EQ(WdfObjectAllocateContext(dev.dpc, &attributes, &again), STATUS_OBJECT_NAME_EXISTS);
        EXPECT_EQ(again, first);
        EXPECT_EQ(WdfObjectContextGetObject(first), static_cast<WDFOBJECT>(dev.dpc));
        attributes.Size = 4;
        EXPECT_EQ(WdfObjectAllocateContext(dev.device, &attributes, &again), STATUS_INFO_LENGTH_MISMATCH);
      });
    });
  });
}

TEST(Wdf, InterruptCreateRefusesWhatTheRigDoesNotModel) {
  in_child([] {
    with_driver({}, PlainEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        WDF_INTERRUPT_CONFIG config;
        WDFINTERRUPT interrupt = nullptr;
        WDF_INTERRUPT_CONFIG_INIT(&config, [](WDFINTERRUPT, ULONG) -> BOOLEAN { return TRUE; }, nullptr);
        config.PassiveHandling = TRUE;
        EXPECT_EQ(WdfInterruptCreate(dev.device, &config, WDF_NO_OBJECT_ATTRIBUTES, &interrupt), STATUS_NOT_SUPPORTED);
        config.PassiveHandling = FALSE;
        // After the start, an interrupt needs its resource descriptors.
        EXPECT_EQ(WdfInterruptCreate(dev.device, &config, WDF_NO_OBJECT_ATTRIBUTES, &interrupt),
                  STATUS_INVALID_DEVICE_STATE);
        config.Size = 8;
        EXPECT_EQ(WdfInterruptCreate(dev.device, &config, WDF_NO_OBJECT_ATTRIBUTES, &interrupt),
                  STATUS_INFO_LENGTH_MISMATCH);
        WDF_INTERRUPT_CONFIG_INIT(&config, nullptr, nullptr);
        EXPECT_EQ(WdfInterruptCreate(dev.device, &config, WDF_NO_OBJECT_ATTRIBUTES, &interrupt),
                  STATUS_INVALID_PARAMETER);
        EXPECT_EQ(interrupt, nullptr);
      });
    });
  });
}

TEST(Wdf, ParametersKeyServesTheScenarioSettings) {
  in_child([] {
    with_driver({}, PlainEntry, [](Bench& b, TestDevice&) {
      b.on_cpu(0, [&] {
        WDFKEY key = nullptr;
        ASSERT_EQ(WdfDriverOpenParametersRegistryKey(WdfGetDriver(), KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &key),
                  STATUS_SUCCESS);
        ULONG value = 0;
        DECLARE_CONST_UNICODE_STRING(ring, L"RingEntries");
        EXPECT_EQ(WdfRegistryQueryULong(key, &ring, &value), STATUS_SUCCESS);
        EXPECT_EQ(value, b.resources().RingEntries);
        DECLARE_CONST_UNICODE_STRING(importance, L"DpcImportance");
        EXPECT_EQ(WdfRegistryQueryULong(key, &importance, &value), STATUS_SUCCESS);
        EXPECT_EQ(value, static_cast<ULONG>(MediumImportance));
        // "current" (the inserting processor) is the absence of a target.
        DECLARE_CONST_UNICODE_STRING(target, L"DpcTargetProcessor");
        EXPECT_EQ(WdfRegistryQueryULong(key, &target, &value), STATUS_OBJECT_NAME_NOT_FOUND);
        DECLARE_CONST_UNICODE_STRING(unknown, L"NoSuchValue");
        EXPECT_EQ(WdfRegistryQueryULong(key, &unknown, &value), STATUS_OBJECT_NAME_NOT_FOUND);
        WdfRegistryClose(key);
      });
    });
  });
}

TEST(Wdf, CommonBufferIsTheHostsOneDmaWindow) {
  in_child([] {
    with_driver({}, PlainEntry, [](Bench& b, TestDevice& dev) {
      b.on_cpu(0, [&] {
        WDF_DMA_ENABLER_CONFIG config;
        WDF_DMA_ENABLER_CONFIG_INIT(&config, WdfDmaProfilePacket64, 4096);
        WDFDMAENABLER enabler = nullptr;
        ASSERT_EQ(WdfDmaEnablerCreate(dev.device, &config, WDF_NO_OBJECT_ATTRIBUTES, &enabler), STATUS_SUCCESS);
        const IRQRIG_RESOURCES res = b.resources();
        WDFCOMMONBUFFER buffer = nullptr, second = nullptr;
        EXPECT_EQ(WdfCommonBufferCreate(enabler, res.CommonBufferLength + 1, WDF_NO_OBJECT_ATTRIBUTES, &buffer),
                  STATUS_INSUFFICIENT_RESOURCES);
        ASSERT_EQ(WdfCommonBufferCreate(enabler, 4096, WDF_NO_OBJECT_ATTRIBUTES, &buffer), STATUS_SUCCESS);
        EXPECT_EQ(WdfCommonBufferGetAlignedVirtualAddress(buffer), res.CommonBuffer);
        EXPECT_EQ(WdfCommonBufferGetAlignedLogicalAddress(buffer).QuadPart, res.CommonBufferLogical.QuadPart);
        EXPECT_EQ(WdfCommonBufferGetLength(buffer), 4096u);
        EXPECT_EQ(WdfCommonBufferCreate(enabler, 16, WDF_NO_OBJECT_ATTRIBUTES, &second), STATUS_INSUFFICIENT_RESOURCES);
        WdfObjectDelete(buffer);
        EXPECT_EQ(WdfCommonBufferCreate(enabler, 16, WDF_NO_OBJECT_ATTRIBUTES, &second), STATUS_SUCCESS);
        config.Profile = WdfDmaProfileInvalid;
        EXPECT_EQ(WdfDmaEnablerCreate(dev.device, &config, WDF_NO_OBJECT_ATTRIBUTES, &enabler),
                  STATUS_INVALID_PARAMETER);
      });
    });
  });
}

}  // namespace
}  // namespace irqrig::host::test
