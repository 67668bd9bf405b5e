// The rest of <irqrig/wdm.h> on the platform: processors up to 64, line-based and fully specified
// connects with the message-based fallback, routine lookup, queued spin locks, KeSynchronizeExecution,
// register buffers, the Interlocked family, and per-CPU time.
#include <gtest/gtest.h>

#include <cstring>

#include "host/drivers/reference/reference_driver.h"
#include "irqrig/regs.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

// SEMANTICS B1 on the platform: 64 CPUs; the destination APIC ID is address bits 19:12, so the
// message for CPU 63 is 0xFEE3F000 and reaches CPU 63; processor queries, a broadcast to all.
TEST(WdmPlatform, B1_SixtyFourCpus) {
  Rig rig(test_config(64));
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return TRUE;
  };
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  rig.at(0, 0, [&] {
    table = rig.connect_messages(&isr);
    KAFFINITY active = 0;
    EXPECT_EQ(KeQueryActiveProcessorCount(&active), 64u);
    EXPECT_EQ(active, ~KAFFINITY{0});
    EXPECT_EQ(KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS), 64u);
    EXPECT_EQ(KeQueryActiveProcessorCountEx(1), 0u);
    KeIpiGenericCall([](ULONG_PTR) -> ULONG_PTR { return 0; }, 0);
  });
  rig.at(1 * kUs, 63, [&] {
    PROCESSOR_NUMBER n;
    EXPECT_EQ(KeGetCurrentProcessorNumberEx(&n), 63u);
    EXPECT_EQ(n.Group, 0);
    EXPECT_EQ(n.Number, 63);
  });
  rig.device().add_message(2 * kUs, 63);
  rig.run(10 * kUs);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageInfo[63].MessageAddress.QuadPart, 0xFEE3F000);
  EXPECT_EQ(table->MessageInfo[63].TargetProcessorSet, KAFFINITY{1} << 63);
  ASSERT_EQ(rig.marks("isr63").size(), 1u);
  EXPECT_EQ(rig.marks("isr63")[0].cpu, 63u);
  EXPECT_EQ(rig.platform().counters().ipi_worker_calls, 64u);
}

TEST(WdmPlatform, ConfigurationsTheModelCannotRunAreRejected) {
  SyntheticDevice device;
  PlatformConfig config = test_config(65);
  config.affinity.clear();
  EXPECT_THROW(Platform("too_many", config, device), std::invalid_argument);
  config = test_config(2);
  config.affinity = {0, 2};
  EXPECT_THROW(Platform("bad_affinity", config, device), std::invalid_argument);
  config = test_config(2);
  config.first_vector = 0xD1;
  EXPECT_THROW(Platform("clock_vector", config, device), std::invalid_argument);
}

// A message-based connect without messages falls back to the line-based ISR and says so in Version.
TEST(WdmPlatform, MessageBasedFallsBackToLineBased) {
  PlatformConfig config = test_config(2);
  config.affinity.clear();
  Rig rig(config);
  PKINTERRUPT object = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  LineIsrFn isr = [&](PKINTERRUPT interrupt) {
    EXPECT_EQ(interrupt, object);
    rig.mark("fallback isr");
    return TRUE;
  };
  rig.at(0, 0, [&] {
    IO_CONNECT_INTERRUPT_PARAMETERS none{};
    PIO_INTERRUPT_MESSAGE_INFO unused = nullptr;
    none.Version = CONNECT_MESSAGE_BASED;
    none.MessageBased.ConnectionContext.InterruptMessageTable = &unused;
    none.MessageBased.MessageServiceRoutine = &isr_trampoline;
    EXPECT_EQ(IoConnectInterruptEx(&none), STATUS_NOT_FOUND);  // no messages and no fallback

    p.Version = CONNECT_MESSAGE_BASED;
    p.MessageBased.ConnectionContext.InterruptObject = &object;
    p.MessageBased.MessageServiceRoutine = &isr_trampoline;
    p.MessageBased.FallBackServiceRoutine = &line_isr_trampoline;
    p.MessageBased.ServiceContext = &isr;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    EXPECT_EQ(p.Version, static_cast<ULONG>(CONNECT_LINE_BASED));
  });
  rig.at(1 * kUs, 0, [&] { rig.platform().raise_line_interrupt(); });
  rig.at(5 * kUs, 0, [&] {
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_LINE_BASED;
    d.ConnectionContext.InterruptObject = object;
    IoDisconnectInterruptEx(&d);
    rig.platform().raise_line_interrupt();  // nobody connected: a spurious interrupt
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks("fallback isr").size(), 1u);
  EXPECT_EQ(rig.marks("fallback isr")[0].irql, 5);  // line vector 0x50
  ASSERT_EQ(rig.platform().faults().size(), 1u);
  EXPECT_EQ(rig.platform().faults()[0].check, "spurious");
}

TEST(WdmPlatform, FullySpecifiedConnectChecksItsResources) {
  Rig rig(test_config(2));
  PKINTERRUPT object = nullptr;
  LineIsrFn isr = [](PKINTERRUPT) { return TRUE; };
  rig.at(0, 0, [&] {
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_FULLY_SPECIFIED;
    p.FullySpecified.InterruptObject = &object;
    p.FullySpecified.ServiceRoutine = &line_isr_trampoline;
    p.FullySpecified.ServiceContext = &isr;
    p.FullySpecified.Vector = 0x71;
    p.FullySpecified.Irql = 6;  // not the vector's IRQL
    p.FullySpecified.SynchronizeIrql = 7;
    p.FullySpecified.ProcessorEnableMask = 1;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);
    p.FullySpecified.Irql = 7;
    p.FullySpecified.ProcessorEnableMask = KAFFINITY{1} << 5;  // no such CPU
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);
    p.FullySpecified.ProcessorEnableMask = 3;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    PKINTERRUPT second = nullptr;
    p.FullySpecified.InterruptObject = &second;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);  // taken, not shared
    p.FullySpecified.ShareVector = TRUE;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    p.Version = CONNECT_MESSAGE_BASED_PASSIVE;
    EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_NOT_SUPPORTED);
  });
  rig.run(5 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
}

TEST(WdmPlatform, MmGetSystemRoutineAddressFindsOnlyModelledRoutines) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, L"KeFlushQueuedDpcs");
    EXPECT_EQ(name.Length, 17 * sizeof(WCHAR));
    EXPECT_EQ(name.MaximumLength, 18 * sizeof(WCHAR));
    EXPECT_EQ(MmGetSystemRoutineAddress(&name), reinterpret_cast<PVOID>(&KeFlushQueuedDpcs));
    RtlInitUnicodeString(&name, L"KeIpiGenericCall");
    EXPECT_EQ(MmGetSystemRoutineAddress(&name), reinterpret_cast<PVOID>(&KeIpiGenericCall));
    RtlInitUnicodeString(&name, L"KeBugCheckEx");
    EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
    RtlInitUnicodeString(&name, L"InterlockedIncrement");  // an intrinsic, not an export
    EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
    RtlInitUnicodeString(&name, L"KeFlushQueuedDpc");  // a prefix is not a match
    EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
    RtlInitUnicodeString(&name, nullptr);
    EXPECT_EQ(name.Length, 0);
    EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
    rig.mark("done");
  });
  rig.run(5 * kUs);
  EXPECT_EQ(rig.marks("done").size(), 1u);
}

// In-stack queued spin locks are granted in the order the waiters came.
TEST(WdmPlatform, QueuedSpinLockIsGrantedInArrivalOrder) {
  Rig rig(test_config(4));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  auto hold = [&](const char* name, ULONG us) {
    return [&rig, &lock, name, us] {
      KLOCK_QUEUE_HANDLE handle;
      KeAcquireInStackQueuedSpinLock(&lock, &handle);
      rig.mark(name);
      EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
      KeStallExecutionProcessor(us);
      KeReleaseInStackQueuedSpinLock(&handle);
      EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    };
  };
  rig.at(0, 0, hold("first", 10));
  rig.at(3 * kUs, 3, hold("second", 1));
  rig.at(4 * kUs, 1, hold("third", 1));
  rig.at(5 * kUs, 2, hold("fourth", 1));
  rig.run(30 * kUs);
  ASSERT_EQ(rig.marks().size(), 4u);
  EXPECT_EQ(rig.marks()[1].what, "second");
  EXPECT_EQ(rig.marks()[1].ps, 10 * kUs);
  EXPECT_EQ(rig.marks()[2].what, "third");
  EXPECT_EQ(rig.marks()[3].what, "fourth");
  EXPECT_EQ(lock, 0u);
}

// KeSynchronizeExecution holds the interrupt spin lock at the ISR's SynchronizeIrql: the ISR waits.
TEST(WdmPlatform, SynchronizeExecutionHoldsOffTheIsr) {
  Rig rig(test_config(2));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  KSPIN_LOCK shared;
  KeInitializeSpinLock(&shared);
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    return TRUE;
  };
  auto routine = [](PVOID context) -> BOOLEAN {
    auto* r = static_cast<Rig*>(context);
    r->mark("synchronized");
    KeStallExecutionProcessor(10);
    return TRUE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr, &shared); });
  rig.at(1 * kUs, 0, [&] {
    EXPECT_TRUE(KeSynchronizeExecution(table->MessageInfo[1].InterruptObject, routine, &rig));
  });
  rig.device().add_message(2 * kUs, 1);  // to CPU 1, same spin lock
  rig.run(30 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].what, "synchronized");
  EXPECT_EQ(rig.marks()[0].irql, table->UnifiedIrql);
  EXPECT_EQ(rig.marks()[1].what, "isr");
  EXPECT_EQ(rig.marks()[1].ps, 11 * kUs);
}

TEST(WdmPlatform, InterruptSpinLockOfAStrayPointerIsAFault) {
  Rig rig(test_config(1));
  int not_an_interrupt = 0;
  rig.at(0, 0, [&] { KeAcquireInterruptSpinLock(reinterpret_cast<PKINTERRUPT>(&not_an_interrupt)); });
  rig.run(5 * kUs);
  ASSERT_EQ(rig.platform().faults().size(), 1u);
  EXPECT_EQ(rig.platform().faults()[0].rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
}

// MmUnmapIoSpace with another size than the mapping's is a violation (the mapping is released).
TEST(WdmPlatform, UnmappingWithAnotherSizeIsAViolation) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    PHYSICAL_ADDRESS bar;
    bar.QuadPart = static_cast<LONGLONG>(rig.platform().bar0_physical());
    PVOID regs = MmMapIoSpace(bar, 0x1000, MmNonCached);
    ASSERT_NE(regs, nullptr);
    MmUnmapIoSpace(regs, 0x2000);
    rig.mark("unmapped");
  });
  rig.run(5 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_NE(faults[0].detail.find("MmUnmapIoSpace of 8192 bytes"), std::string::npos) << faults[0].detail;
  EXPECT_NE(faults[0].detail.find("mapped with 4096 bytes"), std::string::npos) << faults[0].detail;
  EXPECT_TRUE(rig.marks().empty());
}

// A simulation thread that is no CPU (a testbench) calling the WDK is outside any CPU's context,
// even right after a CPU ran driver code.
class NotACpu : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(NotACpu);
  NotACpu(const sc_core::sc_module_name& name, Platform& platform) : sc_module(name), platform_(platform) {
    SC_THREAD(run);
  }
  sc_core::sc_event go;
  ULONG seen = ~0u;

 private:
  void run() {
    wait(go);  // the moment CPU 1's code yields, before any other thread ran
    platform_.guard([this] { seen = KeGetCurrentProcessorNumber(); });
  }
  Platform& platform_;
};

TEST(WdmPlatform, WdkCallFromAThreadThatIsNoCpuIsAViolation) {
  Rig rig(test_config(2));
  NotACpu bench("bench", rig.platform());
  rig.at(2 * kUs, 1, [&] {
    rig.mark("cpu 1 ran");
    bench.go.notify();
  });
  rig.run(5 * kUs);
  EXPECT_EQ(rig.marks("cpu 1 ran").size(), 1u);
  EXPECT_EQ(bench.seen, ~0u);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].cpu, -1);
  EXPECT_NE(faults[0].detail.find("outside any CPU's context"), std::string::npos) << faults[0].detail;
}

// READ_/WRITE_REGISTER_BUFFER_* move Count elements to and from consecutive registers.
TEST(WdmPlatform, RegisterBuffersUseConsecutiveRegisters) {
  Rig rig(test_config(1));
  rig.at(0, 0, [&] {
    PHYSICAL_ADDRESS bar;
    bar.QuadPart = static_cast<LONGLONG>(rig.platform().bar0_physical());
    auto* regs = static_cast<PUCHAR>(MmMapIoSpace(bar, 1u << 16, MmNonCached));
    ASSERT_NE(regs, nullptr);
    ULONG out[2] = {0x11223344, 0x55667788};
    // RING_BASE_LO and RING_BASE_HI are consecutive: one buffer write sets both.
    WRITE_REGISTER_BUFFER_ULONG(reinterpret_cast<volatile ULONG*>(regs + regs::RING_BASE_LO), out, 2);
    ULONG in[2] = {};
    READ_REGISTER_BUFFER_ULONG(reinterpret_cast<volatile ULONG*>(regs + regs::RING_BASE_LO), in, 2);
    EXPECT_EQ(in[0], out[0]);
    EXPECT_EQ(in[1], out[1]);
    ULONG64 both = 0;
    READ_REGISTER_BUFFER_ULONG64(reinterpret_cast<volatile ULONG64*>(regs + regs::RING_BASE_LO), &both, 1);
    EXPECT_EQ(both, 0x5566778811223344ull);
    MmUnmapIoSpace(regs, 1u << 16);
    rig.mark("done");
  });
  rig.run(5 * kUs);
  EXPECT_EQ(rig.marks("done").size(), 1u);
}

// The Interlocked family and barriers are inline on the compiler's atomics: no platform needed.
TEST(WdmInline, InterlockedFamily) {
  volatile LONG v = 5;
  EXPECT_EQ(InterlockedIncrement(&v), 6);
  EXPECT_EQ(InterlockedDecrement(&v), 5);
  EXPECT_EQ(InterlockedExchange(&v, 9), 5);
  EXPECT_EQ(InterlockedCompareExchange(&v, 1, 8), 9);  // no match: unchanged, returns the old value
  EXPECT_EQ(v, 9);
  EXPECT_EQ(InterlockedCompareExchange(&v, 1, 9), 9);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(InterlockedAdd(&v, 4), 5);
  EXPECT_EQ(InterlockedExchangeAdd(&v, 4), 5);
  EXPECT_EQ(InterlockedOr(&v, 0x10), 9);
  EXPECT_EQ(InterlockedAnd(&v, 0x18), 0x19);
  EXPECT_EQ(InterlockedXor(&v, 0x18), 0x18);
  EXPECT_EQ(v, 0);
  volatile LONG64 w = 1LL << 40;
  EXPECT_EQ(InterlockedIncrement64(&w), (1LL << 40) + 1);
  EXPECT_EQ(InterlockedDecrement64(&w), 1LL << 40);
  EXPECT_EQ(InterlockedAdd64(&w, 1LL << 40), 1LL << 41);
  EXPECT_EQ(InterlockedExchangeAdd64(&w, 1), 1LL << 41);
  EXPECT_EQ(InterlockedExchange64(&w, 7), (1LL << 41) + 1);
  EXPECT_EQ(InterlockedCompareExchange64(&w, 8, 7), 7);
  EXPECT_EQ(InterlockedOr64(&w, 1), 8);
  EXPECT_EQ(InterlockedAnd64(&w, 1), 9);
  EXPECT_EQ(InterlockedXor64(&w, 1), 1);
  int a = 0, b = 0;
  PVOID volatile p = &a;
  EXPECT_EQ(InterlockedExchangePointer(&p, &b), &a);
  EXPECT_EQ(InterlockedCompareExchangePointer(&p, &a, &a), &b);  // no match
  EXPECT_EQ(InterlockedCompareExchangePointer(&p, &a, &b), &b);
  EXPECT_EQ(p, &a);
  KeMemoryBarrier();
  KeMemoryBarrierWithoutFence();
}

// Per-CPU time is split by what ran: ISRs, DPCs, IPI workers and other PASSIVE work.
TEST(WdmPlatform, PerCpuTimeByRoutine) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn fn = [](PKDPC, PVOID, PVOID) { KeStallExecutionProcessor(3); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    KeStallExecutionProcessor(2);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    rig.connect_messages(&isr);
  });
  rig.at(20 * kUs, 0, [&] { KeStallExecutionProcessor(4); });
  rig.at(30 * kUs, 0, [&] { KeIpiGenericCall([](ULONG_PTR) -> ULONG_PTR { KeStallExecutionProcessor(5); return 0; }, 0); });
  rig.device().add_message(1 * kUs, 0);
  rig.run(50 * kUs);
  const CpuStats s = rig.platform().cpu(0).stats();
  EXPECT_EQ(s.isr_ps, 2 * kUs + 100 * kNs);
  EXPECT_EQ(s.dpc_ps, 3 * kUs + 200 * kNs);
  EXPECT_EQ(s.ipi_ps, 5 * kUs);
  EXPECT_EQ(s.other_ps, 4 * kUs);
}

// The built-in reference driver (C) drains every event on the synthetic device, with its DPC as the
// parameters ask: threaded or not, any importance, a fixed target or the ISR's CPU.
class ReferenceDriverOnSyntheticDevice : public ::testing::TestWithParam<std::tuple<bool, KDPC_IMPORTANCE, LONG>> {};

TEST_P(ReferenceDriverOnSyntheticDevice, ProcessesEveryEventOnce) {
  const auto [threaded, importance, target] = GetParam();
  PlatformConfig config = test_config(4);
  config.clock_tick_ps = 100 * kUs;
  config.costs = RoutineCosts{500, 800, 50, 800, 100};
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    IRQRIG_RESOURCES res{};
    res.Bar0.QuadPart = static_cast<LONGLONG>(rig.platform().bar0_physical());
    res.Bar0Length = 1u << 16;
    res.MessageCount = 4;
    res.CommonBuffer = rig.platform().common_buffer();
    res.CommonBufferLogical.QuadPart = static_cast<LONGLONG>(rig.platform().config().dma_base);
    res.CommonBufferLength = static_cast<ULONG>(rig.platform().common_buffer_size());
    res.RingEntries = rig.platform().config().ring_entries;
    res.Parameters.DpcImportance = importance;
    res.Parameters.DpcTargetProcessor = target;
    res.Parameters.ThreadedDpc = threaded ? TRUE : FALSE;
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  rig.device().add_burst(10 * kUs, 2000, 200 * kNs, {0, 1, 2, 3});
  rig.at(2 * kMs, 0, [&] { IrqrigReferenceDriver.StopDevice(context); });
  rig.run(3 * kMs);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
  const Accounting& a = rig.platform().accounting();
  EXPECT_EQ(a.written(), 2000u);
  EXPECT_EQ(a.processed(), 2000u);
  EXPECT_EQ(a.duplicated(), 0u);
  EXPECT_EQ(a.outstanding(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Parameters, ReferenceDriverOnSyntheticDevice,
                         ::testing::Values(std::make_tuple(false, MediumImportance, -1),
                                           std::make_tuple(true, MediumImportance, -1),
                                           std::make_tuple(false, LowImportance, -1),
                                           std::make_tuple(false, HighImportance, 2),
                                           std::make_tuple(false, MediumImportance, 3),
                                           std::make_tuple(true, LowImportance, 1)));

}  // namespace
}  // namespace irqrig::host::testing

#include "tests/host/platform/c_snippet.h"

namespace irqrig::host::testing {
namespace {

// A driver snippet written in C99 runs on the platform: timer, threaded DPC, queued lock, routine
// lookup, IPI broadcast, flush and the Interlocked family.
TEST(WdmPlatform, CDriverSnippet) {
  Rig rig(test_config(2));
  C_SNIPPET snippet{};
  rig.at(0, 1, [&] { CSnippetStart(&snippet); });
  rig.at(3500 * kUs, 1, [&] { CSnippetStop(&snippet); });
  rig.run(5 * kMs);
  EXPECT_TRUE(rig.platform().faults().empty());
  EXPECT_EQ(snippet.Runs, 4);  // 0.1, 1.1, 2.1 and 3.1 ms
  EXPECT_EQ(snippet.Sum, 40);
  EXPECT_EQ(snippet.DpcIrql, PASSIVE_LEVEL);
  EXPECT_EQ(snippet.Workers, 2);
  EXPECT_EQ(snippet.WorkerIrql, IPI_LEVEL);
  EXPECT_TRUE(snippet.WasSet);  // KeCancelTimer: the periodic timer was still set
}

}  // namespace
}  // namespace irqrig::host::testing
