// SEMANTICS C2-C5 and D1-D5 on the platform: ISRs, their IRQL, nesting, the end of an interrupt.
#include <cstring>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

// SEMANTICS C2, C3: an ISR on vector 0x92 sees IRQL 9 (DIRQL); its DPC runs at DISPATCH_LEVEL.
TEST(IrqlPlatformConformance, C2_C3_IsrAtVectorIrqlDpcAtDispatch) {
  PlatformConfig config = test_config(1);
  config.first_vector = 0x92;
  Rig rig(config);
  KDPC dpc;
  DpcFn dpc_fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &dpc_fn);
    rig.connect_messages(&isr);
  });
  rig.device().add_message(1 * kUs, 0);
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].irql, 9);
  EXPECT_EQ(rig.marks()[0].ps, 1 * kUs + 100 * kNs);  // isr_ns charged before the routine
  EXPECT_EQ(rig.marks()[1].what, "dpc");
  EXPECT_EQ(rig.marks()[1].irql, DISPATCH_LEVEL);
  EXPECT_EQ(rig.marks()[1].ps, 1 * kUs + 300 * kNs);
}

// SEMANTICS C2, C3: at IRQL 9, a 0x95 interrupt stays pending and a 0xA1 one preempts at once.
TEST(IrqlPlatformConformance, C3_HigherPreemptsLowerWaits) {
  PlatformConfig config = test_config(1);
  config.affinity = {0, 0};
  config.first_vector = 0x95;
  Rig rig(config);
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark(id == 0 ? "isr95" : "isr96");
    return TRUE;
  };
  IO_CONNECT_INTERRUPT_PARAMETERS high{};
  PKINTERRUPT high_object = nullptr;
  LineIsrFn high_isr = [&](PKINTERRUPT) {
    rig.mark("isrA1");
    return TRUE;
  };
  rig.at(0, 0, [&] {
    rig.connect_messages(&isr);
    high.Version = CONNECT_FULLY_SPECIFIED;
    high.FullySpecified.InterruptObject = &high_object;
    high.FullySpecified.ServiceRoutine = &line_isr_trampoline;
    high.FullySpecified.ServiceContext = &high_isr;
    high.FullySpecified.Vector = 0xA1;
    high.FullySpecified.Irql = 0xA;
    high.FullySpecified.SynchronizeIrql = 0xA;
    high.FullySpecified.ProcessorEnableMask = 1;
    ASSERT_EQ(IoConnectInterruptEx(&high), STATUS_SUCCESS);
  });
  rig.at(1 * kUs, 0, [&] {
    KIRQL old;
    KeRaiseIrql(9, &old);
    rig.mark("raised");
    KeStallExecutionProcessor(10);  // 1..11 us at IRQL 9
    rig.mark("lowering");
    KeLowerIrql(old);
    rig.mark("lowered");
  });
  rig.device().add_message(2 * kUs, 0);  // vector 0x95: held at IRQL 9
  rig.device().add_raw(sim::UpstreamWrite{3 * kUs, 0xFEE00000, {0xA1}, 0xF, 0, 0});
  rig.run(20 * kUs);
  ASSERT_EQ(rig.platform().faults().size(), 0u);
  const auto a1 = rig.marks("isrA1");
  ASSERT_EQ(a1.size(), 1u);
  EXPECT_EQ(a1[0].ps, 3 * kUs + 100 * kNs);  // preempted the stall at once
  EXPECT_EQ(a1[0].irql, 0xA);
  EXPECT_LT(rig.index_of("isrA1"), rig.index_of("lowering"));
  // 0x95 waited for KeLowerIrql, then ran before it returned.
  EXPECT_GT(rig.index_of("isr95"), rig.index_of("lowering"));
  EXPECT_LT(rig.index_of("isr95"), rig.index_of("lowered"));
  // The stall still took its full 10 us: the nested ISR's time is its own.
  EXPECT_EQ(rig.marks("lowering")[0].ps, 11 * kUs + 100 * kNs);
}

// SEMANTICS C4: an ISR preempts a running DPC; the DPC it queues on that CPU starts only after the
// running one returns.
TEST(IrqlPlatformConformance, C4_IsrDuringDpcQueuesAnotherThatRunsAfter) {
  Rig rig(test_config(1));
  KDPC a, b;
  DpcFn a_fn = [&](PKDPC, PVOID, PVOID) {
    rig.mark("a start");
    KeStallExecutionProcessor(10);
    rig.mark("a end");
  };
  DpcFn b_fn = [&](PKDPC, PVOID, PVOID) { rig.mark("b"); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    KeInsertQueueDpc(&b, nullptr, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&a, &dpc_trampoline, &a_fn);
    KeInitializeDpc(&b, &dpc_trampoline, &b_fn);
    rig.connect_messages(&isr);
    KeInsertQueueDpc(&a, nullptr, nullptr);
  });
  rig.device().add_message(5 * kUs, 0);
  rig.run(30 * kUs);
  ASSERT_EQ(rig.marks().size(), 4u);
  EXPECT_EQ(rig.marks()[0].what, "a start");
  EXPECT_EQ(rig.marks()[1].what, "isr");
  EXPECT_EQ(rig.marks()[1].ps, 5 * kUs + 100 * kNs);
  EXPECT_EQ(rig.marks()[2].what, "a end");
  EXPECT_EQ(rig.marks()[2].ps, 10 * kUs + 200 * kNs + 100 * kNs);  // the ISR's 100 ns is not A's
  EXPECT_EQ(rig.marks()[3].what, "b");
  EXPECT_GE(rig.marks()[3].ps, rig.marks()[2].ps);
}

// SEMANTICS C5: at DISPATCH a Medium DPC is not run; KeLowerIrql(PASSIVE) runs it before returning.
TEST(IrqlPlatformConformance, C5_LowerIrqlDrainsTheQueue) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  rig.at(1 * kUs, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
    rig.mark("inserted");
    KeLowerIrql(old);
    rig.mark("lowered");
  });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 3u);
  EXPECT_EQ(rig.marks()[0].what, "inserted");
  EXPECT_EQ(rig.marks()[1].what, "dpc");
  EXPECT_EQ(rig.marks()[2].what, "lowered");
  EXPECT_EQ(rig.marks()[2].irql, PASSIVE_LEVEL);
}

// SEMANTICS C5: the end of an ISR's interrupt is the other place the queue drains.
TEST(IrqlPlatformConformance, C5_DrainAtTheEndOfTheInterrupt) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    rig.mark("isr end");
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    rig.connect_messages(&isr);
  });
  rig.device().add_message(1 * kUs, 0);
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[1].what, "dpc");
  EXPECT_EQ(rig.marks()[1].ps, rig.marks()[0].ps + 200 * kNs);  // straight after, plus dpc_ns
}

// SEMANTICS B4 on the platform: while 0x61's ISR is in service, a message on 0x65 (same class)
// waits for its EOI and one on 0x71 (higher class) preempts it at once.
TEST(LapicPlatformConformance, B4_SameClassWaitsHigherClassPreempts) {
  Rig rig(test_config(1));
  LineIsrFn isr61 = [&](PKINTERRUPT) {
    rig.mark("61 begins");
    KeStallExecutionProcessor(5);
    rig.mark("61 ends");
    return TRUE;
  };
  LineIsrFn isr65 = [&](PKINTERRUPT) {
    rig.mark("65");
    return TRUE;
  };
  LineIsrFn isr71 = [&](PKINTERRUPT) {
    rig.mark("71");
    return TRUE;
  };
  std::vector<PKINTERRUPT> objects(3);
  rig.at(0, 0, [&] {
    const std::pair<ULONG, LineIsrFn*> connections[] = {{0x61, &isr61}, {0x65, &isr65}, {0x71, &isr71}};
    for (std::size_t i = 0; i < 3; ++i) {
      IO_CONNECT_INTERRUPT_PARAMETERS p{};
      p.Version = CONNECT_FULLY_SPECIFIED;
      p.FullySpecified.InterruptObject = &objects[i];
      p.FullySpecified.ServiceRoutine = &line_isr_trampoline;
      p.FullySpecified.ServiceContext = connections[i].second;
      p.FullySpecified.Vector = connections[i].first;
      p.FullySpecified.Irql = static_cast<KIRQL>(connections[i].first >> 4);
      p.FullySpecified.SynchronizeIrql = p.FullySpecified.Irql;
      p.FullySpecified.ProcessorEnableMask = 1;
      ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    }
  });
  rig.device().add_raw(sim::UpstreamWrite{1 * kUs, 0xFEE00000, {0x61}, 0xF, 0, 0});
  rig.device().add_raw(sim::UpstreamWrite{2 * kUs, 0xFEE00000, {0x65}, 0xF, 0, 0});
  rig.device().add_raw(sim::UpstreamWrite{3 * kUs, 0xFEE00000, {0x71}, 0xF, 0, 0});
  rig.run(20 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  ASSERT_EQ(rig.marks().size(), 4u);
  EXPECT_EQ(rig.marks()[0].what, "61 begins");
  EXPECT_EQ(rig.marks()[1].what, "71");
  EXPECT_EQ(rig.marks()[1].ps, 3 * kUs + 100 * kNs);  // at once, plus its entry cost
  EXPECT_EQ(rig.marks()[1].irql, 7);
  EXPECT_EQ(rig.marks()[2].what, "61 ends");
  EXPECT_EQ(rig.marks()[3].what, "65");
  EXPECT_GE(rig.marks()[3].ps, rig.marks()[2].ps);
}

// SEMANTICS D1: UnifiedIrql is the maximum of the messages' IRQLs; every ISR runs at it.
TEST(IsrPlatformConformance, D1_UnifiedIrqlIsTheMaximum) {
  PlatformConfig config = test_config(1);
  config.affinity = {0, 0, 0};
  config.first_vector = 0x5E;  // 0x5E, 0x5F, 0x60: IRQLs 5, 5, 6
  Rig rig(config);
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return TRUE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 0);
  rig.run(10 * kUs);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageCount, 3u);
  EXPECT_EQ(table->UnifiedIrql, 6);
  EXPECT_EQ(table->MessageInfo[0].Irql, 5);
  EXPECT_EQ(table->MessageInfo[2].Irql, 6);
  EXPECT_EQ(table->MessageInfo[1].Vector, 0x5Fu);
  EXPECT_EQ(table->MessageInfo[1].MessageAddress.QuadPart, 0xFEE00000);
  ASSERT_EQ(rig.marks("isr0").size(), 1u);
  EXPECT_EQ(rig.marks("isr0")[0].irql, 6);
}

// SEMANTICS D2: an MSI carrying message k reaches the ISR with MessageID k, on the CPU it targets.
TEST(IsrPlatformConformance, D2_MessageIdIsTheIndex) {
  Rig rig(test_config(4));
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return TRUE;
  };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  for (unsigned k = 0; k < 4; ++k) rig.device().add_message((1 + k) * kUs, 3 - k);
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 4u);
  for (unsigned k = 0; k < 4; ++k) {
    EXPECT_EQ(rig.marks()[k].what, "isr" + std::to_string(3 - k));
    EXPECT_EQ(rig.marks()[k].cpu, 3 - k);  // affinity: message k on CPU k
  }
}

// SEMANTICS D3: messages sharing a vector form a chain; an ISR that declines (FALSE) passes the
// interrupt on and the chain stops at the first TRUE.
TEST(IsrPlatformConformance, D3_SharedVectorChainStopsAtFirstTrue) {
  PlatformConfig config = test_config(1);
  config.affinity = {0, 0};
  config.first_vector = 0xCF;  // the top device vector: the second message wraps onto it too
  Rig rig(config);
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  bool first_claims = false;
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return id == 1 || first_claims ? TRUE : FALSE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 1);
  rig.at(5 * kUs, 0, [&] { first_claims = true; });
  rig.device().add_message(6 * kUs, 1);
  rig.run(10 * kUs);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageInfo[0].Vector, table->MessageInfo[1].Vector);
  ASSERT_EQ(rig.marks().size(), 3u);
  EXPECT_EQ(rig.marks()[0].what, "isr0");  // declined
  EXPECT_EQ(rig.marks()[1].what, "isr1");  // claimed
  EXPECT_EQ(rig.marks()[2].what, "isr0");  // claimed: isr1 never called
  const PlatformCounters& c = rig.platform().counters();
  EXPECT_EQ(c.isr_calls, 3u);
  EXPECT_EQ(c.isr_claimed, 2u);
  EXPECT_EQ(c.isr_declined, 1u);
}

// SEMANTICS D4: identical interrupts close together reach the ISR as one call.
TEST(IsrPlatformConformance, D4_IdenticalInterruptsReachTheIsrOnce) {
  Rig rig(test_config(1));
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    return TRUE;
  };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.at(1 * kUs, 0, [&] {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeStallExecutionProcessor(10);
    KeLowerIrql(old);
  });
  for (unsigned i = 0; i < 4; ++i) rig.device().add_message(2 * kUs + i * 100 * kNs, 0);
  rig.run(20 * kUs);
  EXPECT_EQ(rig.marks("isr").size(), 1u);
  EXPECT_EQ(rig.platform().cpu(0).msi_accepted(), 1u);
  EXPECT_EQ(rig.platform().cpu(0).msi_merged(), 3u);
}

// SEMANTICS D5: one interrupt object connected on two CPUs: its ISR calls never overlap, because
// the interrupt spin lock is held around each at DIRQL.
TEST(IsrPlatformConformance, D5_IsrCallsForOneObjectNeverOverlap) {
  Rig rig(test_config(2));
  PKINTERRUPT object = nullptr;
  int inside = 0, most = 0;
  LineIsrFn isr = [&](PKINTERRUPT) {
    most = std::max(most, ++inside);
    rig.mark("start");
    KeStallExecutionProcessor(5);
    rig.mark("end");
    --inside;
    return TRUE;
  };
  rig.at(0, 0, [&] {
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_FULLY_SPECIFIED;
    p.FullySpecified.InterruptObject = &object;
    p.FullySpecified.ServiceRoutine = &line_isr_trampoline;
    p.FullySpecified.ServiceContext = &isr;
    p.FullySpecified.Vector = 0x70;
    p.FullySpecified.Irql = 7;
    p.FullySpecified.SynchronizeIrql = 7;
    p.FullySpecified.ProcessorEnableMask = 3;
    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  });
  rig.device().add_raw(sim::UpstreamWrite{1 * kUs, 0xFEE00000, {0x70}, 0xF, 0, 0});
  rig.device().add_raw(sim::UpstreamWrite{1 * kUs, 0xFEE01000, {0x70}, 0xF, 0, 0});
  rig.run(30 * kUs);
  ASSERT_EQ(rig.marks("start").size(), 2u);
  EXPECT_EQ(most, 1);
  EXPECT_NE(rig.marks("start")[0].cpu, rig.marks("start")[1].cpu);
  EXPECT_GE(rig.marks("start")[1].ps, rig.marks("end")[0].ps);
}

// SEMANTICS D5: IoDisconnectInterruptEx returns only after an ISR of the connection running on
// another CPU has returned, and no ISR of it starts afterwards.
TEST(IsrPlatformConformance, D5_DisconnectWaitsForARunningIsr) {
  PlatformConfig config = test_config(2);
  config.affinity = {1};
  Rig rig(config);
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr begins");
    KeStallExecutionProcessor(5);
    rig.mark("isr ends");
    return TRUE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 0);  // the ISR runs on CPU 1 from 1.1 us to 6.1 us
  rig.at(2 * kUs, 0, [&] {
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_MESSAGE_BASED;
    d.ConnectionContext.InterruptMessageTable = table;
    IoDisconnectInterruptEx(&d);
    rig.mark("disconnected");
  });
  rig.device().add_message(8 * kUs, 0);  // after the disconnect: masked, never an ISR
  rig.run(20 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  ASSERT_EQ(rig.marks("isr begins").size(), 1u);
  ASSERT_EQ(rig.marks("disconnected").size(), 1u);
  EXPECT_GE(rig.marks("disconnected")[0].ps, rig.marks("isr ends")[0].ps);
  EXPECT_GT(rig.index_of("disconnected"), rig.index_of("isr ends"));
}

// A disconnected message table is freed: disconnecting it again is named as such.
TEST(IsrPlatformConformance, DisconnectingTwiceIsAViolation) {
  Rig rig(test_config(1));
  IsrFn isr = [](PKINTERRUPT, ULONG) { return TRUE; };
  rig.at(0, 0, [&] {
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_MESSAGE_BASED;
    d.ConnectionContext.InterruptMessageTable = rig.connect_messages(&isr);
    IoDisconnectInterruptEx(&d);
    rig.mark("once");
    IoDisconnectInterruptEx(&d);
    rig.mark("twice");
  });
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_NE(faults[0].detail.find("disconnected already"), std::string::npos) << faults[0].detail;
  EXPECT_EQ(rig.marks("once").size(), 1u);
  EXPECT_TRUE(rig.marks("twice").empty());
}

// An interrupt object used after its disconnect (KeAcquireInterruptSpinLock, KeSynchronizeExecution)
// is a violation, and so is KeSynchronizeExecution without a routine.
TEST(IsrPlatformConformance, DisconnectedInterruptObjectIsAViolation) {
  Rig rig(test_config(1));
  LineIsrFn isr = [](PKINTERRUPT) { return TRUE; };
  rig.at(0, 0, [&] {
    PKINTERRUPT object = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_LINE_BASED;
    p.LineBased.InterruptObject = &object;
    p.LineBased.ServiceRoutine = &line_isr_trampoline;
    p.LineBased.ServiceContext = &isr;
    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_LINE_BASED;
    d.ConnectionContext.InterruptObject = object;
    IoDisconnectInterruptEx(&d);
    KeAcquireInterruptSpinLock(object);
  });
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_NE(faults[0].detail.find("KeAcquireInterruptSpinLock: interrupt object"), std::string::npos)
      << faults[0].detail;
  EXPECT_NE(faults[0].detail.find("disconnected"), std::string::npos) << faults[0].detail;
}

TEST(IsrPlatformConformance, SynchronizeExecutionWithoutARoutineIsAViolation) {
  Rig rig(test_config(1));
  LineIsrFn isr = [](PKINTERRUPT) { return TRUE; };
  rig.at(0, 0, [&] {
    PKINTERRUPT object = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_LINE_BASED;
    p.LineBased.InterruptObject = &object;
    p.LineBased.ServiceRoutine = &line_isr_trampoline;
    p.LineBased.ServiceContext = &isr;
    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    KeSynchronizeExecution(object, nullptr, nullptr);
  });
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].rule, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_NE(faults[0].detail.find("SynchronizeRoutine is NULL"), std::string::npos) << faults[0].detail;
}

// PCIe ordering: a register read's completion does not pass the device's posted writes. The
// device runs up to a quantum ahead of the host; once READ_REGISTER_ULONG(RING_PROD) has returned
// a producer index, the records and the producer word it counts are in host memory.
TEST(MsiPlatformConformance, RegisterReadFlushesTheDevicesPostedWrites) {
  PlatformConfig config = test_config(1);
  config.quantum_cycles = 10'000;  // 40 us: the device runs far ahead
  Rig rig(config);
  const std::uint64_t ring = config.dma_base, producer = ring + 16ull * config.ring_entries;
  PUCHAR bar0 = nullptr;
  ULONG seen_producer = 0, record_dw1 = 0, producer_word = 0;
  rig.at(0, 0, [&] {
    PHYSICAL_ADDRESS bar;
    bar.QuadPart = static_cast<LONGLONG>(rig.platform().bar0_physical());
    bar0 = static_cast<PUCHAR>(MmMapIoSpace(bar, 1u << regs::kBar0SizeLog2, MmNonCached));
    WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(bar0 + regs::RING_BASE_LO), static_cast<ULONG>(ring));
    WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(bar0 + regs::RING_BASE_HI), static_cast<ULONG>(ring >> 32));
    WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(bar0 + regs::RING_LOG2), 10);
    WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(bar0 + regs::RING_PROD_ADDR_LO), static_cast<ULONG>(producer));
    WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(bar0 + regs::RING_PROD_ADDR_HI),
                         static_cast<ULONG>(producer >> 32));
  });
  rig.device().add_event(45 * kUs, 3);  // in the device's second quantum, 40-80 us
  rig.at(41 * kUs, 0, [&] {
    seen_producer = READ_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(bar0 + regs::RING_PROD));
    const std::uint8_t* memory = rig.platform().common_buffer();
    std::memcpy(&record_dw1, memory + 4, 4);
    std::memcpy(&producer_word, memory + 16ull * config.ring_entries, 4);
  });
  rig.run(50 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  ASSERT_EQ(seen_producer, 1u);
  EXPECT_EQ(record_dw1, 0x10003u) << "vector 3, valid";
  EXPECT_EQ(producer_word, 1u);
}

}  // namespace
}  // namespace irqrig::host::testing

namespace irqrig::host::testing {
namespace {

// SEMANTICS B5 on the platform: a message taken at once on an idle CPU leaves IRR free: three more on
// the same vector during its handler (here, during its entry cost, which an idle CPU sleeps through
// and replays) merge into exactly one more dispatch after EOI.
TEST(LapicPlatformConformance, B5_ArrivalsDuringTheHandlerGiveOneMoreDispatch) {
  Rig rig(test_config(1));
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    return TRUE;
  };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_message(1000 * kNs, 0);
  for (unsigned i = 1; i <= 3; ++i) rig.device().add_message(1000 * kNs + i * 20 * kNs, 0);
  rig.run(10 * kUs);
  const auto calls = rig.marks("isr");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].ps, 1100 * kNs);
  EXPECT_EQ(calls[1].ps, 1200 * kNs);
  EXPECT_EQ(rig.platform().cpu(0).msi_accepted(), 2u);
  EXPECT_EQ(rig.platform().cpu(0).msi_merged(), 2u);
  // MSI->ISR runs from arrival to the ISR's call: 100 ns for the first (its entry cost); the second
  // arrived at 1020 ns (accepted while the first was being taken) and was called at 1200 ns.
  EXPECT_EQ(rig.platform().msi_to_isr().count(), 2u);
  EXPECT_EQ(rig.platform().msi_to_isr().quantile(0.0), 100u);
  EXPECT_EQ(rig.platform().msi_to_isr().max(), 180u);
}

// SEMANTICS C4 on the platform: a DPC request from another CPU that arrives while an interrupt's
// entry is under way waits for the ISR, exactly as if the CPU had been awake all along.
TEST(IrqlPlatformConformance, C4_RemoteRequestDuringTheIsrEntryWaitsForTheIsr) {
  Rig rig(test_config(2));
  KDPC dpc;
  DpcFn fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    return TRUE;
  };
  rig.at(0, 0, [&] {
    rig.connect_messages(&isr);
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    KeSetImportanceDpc(&dpc, HighImportance);
    KeSetTargetProcessorDpc(&dpc, 1);
  });
  rig.device().add_message(1000 * kNs, 1);
  rig.at(1050 * kNs, 0, [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  rig.run(10 * kUs);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].what, "isr");
  EXPECT_EQ(rig.marks()[0].ps, 1100 * kNs);
  EXPECT_EQ(rig.marks()[1].what, "dpc");
  EXPECT_EQ(rig.marks()[1].ps, 1300 * kNs);
  EXPECT_EQ(rig.platform().cpu(1).stats().isr_ps, 100 * kNs);
}

}  // namespace
}  // namespace irqrig::host::testing

namespace irqrig::host::testing {
namespace {

// SEMANTICS B1-B3 at the root complex: what the model does not deliver is a fault stamped with the
// write's time, and nothing reaches a CPU.
TEST(MsiPlatformConformance, B1_B3_UndeliverableMessagesAreFaults) {
  Rig rig(test_config(2));
  rig.device().add_raw(sim::UpstreamWrite{1 * kUs, 0xFEE00000, {0x0F}, 0xF, 0, 0});   // vector 15
  rig.device().add_raw(sim::UpstreamWrite{2 * kUs, 0xFEE05000, {0x61}, 0xF, 0, 0});   // APIC ID 5
  rig.device().add_raw(sim::UpstreamWrite{3 * kUs, 0xFEE00004, {0x61}, 0xF, 0, 0});   // logical
  rig.device().add_raw(sim::UpstreamWrite{4 * kUs, 0xFEE00000, {0xE1}, 0xF, 0, 0});   // the IPI vector
  rig.device().add_raw(sim::UpstreamWrite{4 * kUs + 500 * kNs, 0xFEE00000, {0xD1}, 0xF, 0, 0});  // the clock's
  rig.device().add_raw(sim::UpstreamWrite{5 * kUs, 0xFEE00000, {0x61, 0}, 0xF, 0xF, 0});  // two DWs
  // B1: just below 0xFEE0_0000 an MSI-shaped write is memory, not an interrupt: outside the window.
  rig.device().add_raw(sim::UpstreamWrite{6 * kUs, 0xFEDF'FFFC, {0x61}, 0xF, 0, 0});
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 7u);
  const std::uint64_t times[] = {1 * kUs, 2 * kUs, 3 * kUs, 4 * kUs, 4 * kUs + 500 * kNs, 5 * kUs};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(faults[i].check, "msi_format") << faults[i].detail;
    EXPECT_EQ(faults[i].time_ps, times[i]);
  }
  EXPECT_NE(faults[3].detail.find("not a device vector"), std::string::npos);
  EXPECT_NE(faults[4].detail.find("not a device vector"), std::string::npos);
  EXPECT_EQ(faults[6].check, "dma_window");
  EXPECT_EQ(rig.platform().cpu(0).msi_accepted() + rig.platform().cpu(1).msi_accepted(), 0u);
}

// A DMA write whose end wraps past 2^64 is outside the window, not a write at a small offset in it.
TEST(MsiPlatformConformance, B1_DmaNearTheTopOfTheAddressSpaceIsOutsideTheWindow) {
  Rig rig(test_config(1));
  rig.device().add_raw(sim::UpstreamWrite{1 * kUs, 0xFFFF'FFFF'FFFF'FFF0ull, std::vector<std::uint32_t>(8, 0xAA), 0xF, 0xF, 0});
  rig.device().add_raw(sim::UpstreamWrite{2 * kUs, rig.platform().config().dma_base - 4, {1, 2}, 0xF, 0xF, 0});
  rig.run(10 * kUs);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 2u);
  for (const Fault& f : faults) EXPECT_EQ(f.check, "dma_window") << f.detail;
  for (std::size_t i = 0; i < rig.platform().common_buffer_size(); ++i)
    ASSERT_EQ(rig.platform().common_buffer()[i], 0) << "byte " << i << " was written";
}

}  // namespace
}  // namespace irqrig::host::testing
