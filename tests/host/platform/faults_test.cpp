// Fault injection on the platform (docs/faults.md): MSI jitter and drops in the root complex, the
// hardware-loss verdict, CPU holds, IPI storms and MSI-X entry rewrites, on the synthetic device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "host/drivers/reference/reference_driver.h"
#include "host/platform/fault_injection.h"
#include "host/core/msi.h"
#include "sim/device/endpoint.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

// The fault timeline starts at 0 (the runner starts it with the first burst).
class Timeline {
 public:
  Timeline(Rig& rig, FaultPlan plan)
      : injector_("faults", rig.platform(), std::move(plan), start_) {
    rig.at(0, 0, [this] { start_.notify(); });
  }

 private:
  sc_core::sc_event start_;
  FaultInjector injector_;
};

IsrFn marking_isr(Rig& rig) {
  return [&rig](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return TRUE;
  };
}

// Each message reaches its APIC 0..jitter later: the ISR of a message sent alone at t runs from
// t + entry to t + jitter + entry, the delays differ, and msi_jittered counts the delayed ones.
TEST(FaultInjection, JitterDelaysEachMessageWithinTheBound) {
  PlatformConfig config = test_config(1);
  config.msi_faults.jitter_ps = 2 * kUs;
  config.msi_faults.seed = 5;
  Rig rig(config);
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  constexpr unsigned kMessages = 20;
  for (unsigned i = 0; i < kMessages; ++i) rig.device().add_message((1 + 10 * i) * kUs, 0);
  rig.run(300 * kUs);
  const auto isrs = rig.marks("isr0");
  ASSERT_EQ(isrs.size(), kMessages);
  std::vector<std::uint64_t> delays;
  for (unsigned i = 0; i < kMessages; ++i) {
    const std::uint64_t sent = (1 + 10 * i) * kUs, entry = 100 * kNs;
    ASSERT_GE(isrs[i].ps, sent + entry);
    delays.push_back(isrs[i].ps - sent - entry);
    EXPECT_LE(delays.back(), 2 * kUs);
  }
  EXPECT_GT(*std::max_element(delays.begin(), delays.end()), *std::min_element(delays.begin(), delays.end()));
  const auto delayed = static_cast<std::uint64_t>(std::count_if(delays.begin(), delays.end(), [](auto d) { return d > 0; }));
  EXPECT_EQ(rig.platform().fault_counters().msi_jittered, delayed);
  // MSI->ISR runs from the root complex: the jitter is in it.
  EXPECT_EQ(rig.platform().msi_to_isr().max(), (*std::max_element(delays.begin(), delays.end()) + 100 * kNs) / 1000);
}

// PCIe ordering: a delayed message never reaches its CPU before the DMA writes ahead of it, and a
// later message never overtakes it. Records every 100 ns with up to 5 us of jitter: whenever an
// ISR runs, the producer index already counts every message the APIC has received.
TEST(FaultInjection, JitteredMessagesKeepTheirOrderAfterTheirRecords) {
  PlatformConfig config = test_config(1);
  config.msi_faults.jitter_ps = 5 * kUs;
  Rig rig(config);
  Platform& p = rig.platform();
  std::uint64_t checks = 0;
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    std::uint32_t producer = 0;
    std::memcpy(&producer, p.common_buffer() + std::size_t{p.config().ring_entries} * 16, sizeof producer);
    EXPECT_GE(producer, p.cpu(0).msi_accepted() + p.cpu(0).msi_merged());
    ++checks;
    return TRUE;
  };
  rig.at(0, 0, [&] {
    rig.connect_messages(&isr);
    // The device's ring, as a driver programs it.
    sim::Endpoint(p.device()).set_ring(p.config().dma_base, 10, p.config().dma_base + 1024 * 16);
  });
  rig.device().add_burst(2 * kUs, 200, 100 * kNs, {0});
  rig.run(100 * kUs);
  EXPECT_GT(checks, 0u);
  EXPECT_EQ(p.cpu(0).msi_accepted() + p.cpu(0).msi_merged(), 200u);
  EXPECT_GT(p.fault_counters().msi_jittered, 100u);
  EXPECT_TRUE(p.faults().empty()) << p.faults()[0].describe();
}

TEST(FaultInjection, DropByNumberNeverReachesTheApic) {
  PlatformConfig config = test_config(1);
  config.msi_faults.drop_nth = {2, 4};
  Rig rig(config);
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  for (unsigned i = 0; i < 5; ++i) rig.device().add_message((1 + 5 * i) * kUs, 0);
  rig.run(50 * kUs);
  const auto isrs = rig.marks("isr0");
  ASSERT_EQ(isrs.size(), 3u);
  EXPECT_EQ(isrs[1].ps, 11 * kUs + 100 * kNs);  // the third message; the second was dropped
  EXPECT_EQ(rig.platform().fault_counters().msi_dropped, 2u);
  EXPECT_EQ(rig.platform().cpu(0).msi_accepted(), 3u);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
}

TEST(FaultInjection, DropProbabilityOneDropsEveryMessage) {
  PlatformConfig config = test_config(2);
  config.msi_faults.drop_probability = 1.0;
  Rig rig(config);
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_burst(1 * kUs, 50, 1 * kUs, {0, 1}, false);
  rig.run(100 * kUs);
  EXPECT_TRUE(rig.marks().empty());
  EXPECT_EQ(rig.platform().fault_counters().msi_dropped, 50u);
}

IRQRIG_RESOURCES reference_resources(Rig& rig, KDPC_IMPORTANCE importance, LONG target) {
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

// Three events on one message, the reference driver. A dropped middle message costs nothing (the
// next one's DPC drains the ring); a dropped last one strands its event: the hardware's loss.
void run_three_events_dropping(std::uint64_t nth, std::uint64_t expect_outstanding, std::uint64_t expect_hardware) {
  PlatformConfig config = test_config(1);
  config.affinity = {0};
  config.msi_faults.drop_nth = {nth};
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = reference_resources(rig, MediumImportance, -1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  for (unsigned i = 0; i < 3; ++i) rig.device().add_event((10 + 10 * i) * kUs, 0);
  rig.run(100 * kUs);
  Platform& p = rig.platform();
  EXPECT_EQ(p.accounting().written(), 3u);
  EXPECT_EQ(p.accounting().outstanding(), expect_outstanding);
  EXPECT_EQ(p.lost_to_dropped_msi(), expect_hardware);
  EXPECT_EQ(p.fault_counters().msi_dropped, 1u);
  EXPECT_TRUE(p.faults().empty()) << p.faults()[0].describe();
}

TEST(FaultInjection, DroppedMiddleMessageLosesNothingWithTheReferenceDriver) { run_three_events_dropping(2, 0, 0); }
TEST(FaultInjection, DroppedLastMessageStrandsItsEventAsHardwareLoss) { run_three_events_dropping(3, 1, 1); }

// Hardware loss is keyed on the message a dropped write came from, not on its (CPU, vector) chain.
// Three messages on CPU 0 from vector 0xCE: messages 0 and 2 share 0xCE (D3), message 1 has 0xCF.
// Message 2's event pends behind its mask (no MSI); message 0's and message 1's MSIs are dropped.
// Message 1's stranded event is the hardware's; message 0's drop cannot be told from message 2's
// at the root complex, so it moves neither's event: both stay the driver's loss.
TEST(FaultInjection, ADroppedMsiOnASharedVectorMovesNoOtherMessagesLossToTheHardware) {
  PlatformConfig config = test_config(2);
  config.affinity = {0, 0, 0};
  config.first_vector = 0xCE;
  config.msi_faults.drop_nth = {1, 2};
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = reference_resources(rig, MediumImportance, -1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  rig.at(5 * kUs, 0, [&] { sim::Endpoint(rig.device()).set_message_mask(2, true); });
  rig.device().add_event(10 * kUs, 2);
  rig.device().add_event(20 * kUs, 0);
  rig.device().add_event(30 * kUs, 1);
  rig.run(100 * kUs);
  Platform& p = rig.platform();
  EXPECT_EQ(p.fault_counters().msi_dropped, 2u);
  EXPECT_EQ(p.accounting().outstanding(), 3u);
  EXPECT_EQ(p.lost_to_dropped_msi(), 1u);
}

// Events whose messages were delivered but not yet handled are the driver's, not the hardware's:
// the DPC waits on CPU 1 for its clock tick (Medium importance, another CPU: no IPI, E8), so all
// three are outstanding, and only the one whose message was dropped is hardware loss.
TEST(FaultInjection, UnhandledEventsWithDeliveredMessagesAreNotHardwareLoss) {
  PlatformConfig config = test_config(2);
  config.affinity = {0};
  config.msi_faults.drop_nth = {3};
  Rig rig(config);
  PVOID context = nullptr;
  rig.at(0, 0, [&] {
    const IRQRIG_RESOURCES res = reference_resources(rig, MediumImportance, 1);
    ASSERT_EQ(IrqrigReferenceDriver.StartDevice(&res, &context), STATUS_SUCCESS);
  });
  for (unsigned i = 0; i < 3; ++i) rig.device().add_event((10 + 10 * i) * kUs, 0);
  rig.run(100 * kUs);
  EXPECT_EQ(rig.platform().accounting().outstanding(), 3u);
  EXPECT_EQ(rig.platform().lost_to_dropped_msi(), 1u);
}

// A hold at HIGH_LEVEL keeps the CPU's interrupts waiting until it ends; its time is held_ns.
TEST(FaultInjection, HoldAtHighLevelDelaysInterruptsUntilItEnds) {
  Rig rig(test_config(2));
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  FaultPlan plan;
  plan.holds.push_back({1, kHighLevel, 10 * kUs, 20 * kUs});
  Timeline timeline(rig, plan);
  rig.device().add_message(15 * kUs, 1);
  rig.device().add_message(15 * kUs, 0);  // CPU 0 is not held
  rig.run(50 * kUs);
  ASSERT_EQ(rig.marks("isr1").size(), 1u);
  EXPECT_EQ(rig.marks("isr1")[0].ps, 30 * kUs + 100 * kNs);
  EXPECT_EQ(rig.marks("isr0")[0].ps, 15 * kUs + 100 * kNs);
  EXPECT_EQ(rig.platform().cpu(1).stats().held_ps, 20 * kUs);
  EXPECT_EQ(rig.platform().cpu(0).stats().held_ps, 0u);
  EXPECT_EQ(rig.platform().fault_counters().cpu_holds, 1u);
}

// SEMANTICS C3 for a hold: at IRQL 5 a device interrupt at IRQL 6 preempts it, a DPC waits for it
// to end, and the preempting ISR's time is not the hold's.
TEST(FaultInjection, HoldAtDeviceIrqlIsPreemptedByHigherInterruptsOnly) {
  Rig rig(test_config(1));
  KDPC dpc;
  DpcFn dpc_fn = [&](PKDPC, PVOID, PVOID) { rig.mark("dpc"); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &dpc_fn);
    rig.connect_messages(&isr);  // vector 0x60: IRQL 6
  });
  FaultPlan plan;
  plan.holds.push_back({0, 5, 10 * kUs, 20 * kUs});
  Timeline timeline(rig, plan);
  rig.device().add_message(15 * kUs, 0);
  rig.run(50 * kUs);
  ASSERT_EQ(rig.marks("isr").size(), 1u);
  EXPECT_EQ(rig.marks("isr")[0].ps, 15 * kUs + 100 * kNs);
  EXPECT_EQ(rig.marks("isr")[0].irql, 6);
  ASSERT_EQ(rig.marks("dpc").size(), 1u);
  EXPECT_EQ(rig.marks("dpc")[0].ps, 30 * kUs + 200 * kNs);
  EXPECT_EQ(rig.platform().cpu(0).stats().held_ps, 20 * kUs - 100 * kNs);
}

// The DPC watchdog measures the driver's time at DISPATCH_LEVEL and above (docs/checks.md): a
// hold's time is the rig's. CPU 0 is held at DISPATCH_LEVEL past the cumulative bound and runs a
// DPC after it; CPU 1's hold at HIGH_LEVEL preempts a 40 us DPC, whose run goes on after the hold.
TEST(FaultInjection, HoldTimeIsNotCountedTowardsTheDpcWatchdog) {
  PlatformConfig config = test_config(2);
  config.checks.dpc_cumulative_ps = 200 * kUs;
  Rig rig(config);
  KDPC dpc0, dpc1;
  DpcFn work = [&](PKDPC, PVOID, PVOID) {
    KeStallExecutionProcessor(40);
    rig.mark("dpc");
  };
  rig.at(1 * kUs, 0, [&] {
    KeInitializeDpc(&dpc0, &dpc_trampoline, &work);
    KeInsertQueueDpc(&dpc0, nullptr, nullptr);  // 1..41 us, before CPU 0's hold
  });
  rig.at(5 * kUs, 1, [&] {
    KeInitializeDpc(&dpc1, &dpc_trampoline, &work);
    KeInsertQueueDpc(&dpc1, nullptr, nullptr);  // from 5 us, preempted by CPU 1's hold at 20 us
  });
  FaultPlan plan;
  plan.holds.push_back({0, kDispatchLevel, 50 * kUs, 300 * kUs});
  plan.holds.push_back({1, kHighLevel, 20 * kUs, 300 * kUs});
  Timeline timeline(rig, plan);
  rig.run(1 * kMs);
  for (const Fault& f : rig.platform().faults()) ADD_FAILURE() << f.describe();
  EXPECT_EQ(rig.marks("dpc").size(), 2u);
  EXPECT_EQ(rig.platform().fault_counters().cpu_holds, 2u);
  for (unsigned c = 0; c < 2; ++c) {
    EXPECT_GE(rig.platform().cpu(c).max_dispatch_run_ps(), 40 * kUs) << c;
    EXPECT_LT(rig.platform().cpu(c).max_dispatch_run_ps(), 50 * kUs) << c;
  }
}

TEST(FaultInjection, IpiStormBroadcastsAtItsPeriodDuringTheWindow) {
  Rig rig(test_config(4));
  FaultPlan plan;
  plan.storm = FaultPlan::Storm{10 * kUs, 20 * kUs, 2 * kUs, 500 * kNs, 0};
  Timeline timeline(rig, plan);
  rig.run(100 * kUs);
  EXPECT_EQ(rig.platform().fault_counters().ipi_storm_broadcasts, 10u);
  EXPECT_EQ(rig.platform().counters().ipi_broadcasts, 10u);
  EXPECT_EQ(rig.platform().counters().ipi_worker_calls, 40u);
  for (unsigned c = 0; c < 4; ++c) EXPECT_GE(rig.platform().cpu(c).stats().ipi_ps, 10 * 500 * kNs) << c;
}

// An affinity change moves message 1 from CPU 1 to CPU 3: a message the old CPU holds in its IRR
// (held at HIGH_LEVEL meanwhile) still finds its ISR there; one sent while the entry is masked pends
// in the PBA and goes to CPU 3 on unmask; later ones go to CPU 3. Same MessageID throughout.
TEST(FaultInjection, AffinityChangeMovesTheMessageAndKeepsTheOldEntryForMessagesInFlight) {
  Rig rig(test_config(4));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  FaultPlan plan;
  plan.holds.push_back({1, kHighLevel, 5 * kUs, 15 * kUs});
  plan.rewrites.push_back({10 * kUs, 1, 3u});
  Timeline timeline(rig, plan);
  rig.device().add_message(8 * kUs, 1);                 // waits in CPU 1's IRR behind the hold
  rig.device().add_message(10 * kUs + 500 * kNs, 1);    // entry masked: pends in the PBA
  rig.device().add_message(30 * kUs, 1);
  rig.run(50 * kUs);
  const auto isrs = rig.marks("isr1");
  ASSERT_EQ(isrs.size(), 3u);
  EXPECT_EQ(isrs[0].cpu, 3u);  // the PBA's message, sent on unmask at 11 us (the device's time: up to a quantum on)
  EXPECT_GE(isrs[0].ps, 11 * kUs + 100 * kNs);
  EXPECT_LE(isrs[0].ps, 11 * kUs + 500 * kNs);
  EXPECT_EQ(isrs[1].cpu, 1u);  // the one in flight, once the hold ends
  EXPECT_EQ(isrs[1].ps, 20 * kUs + 100 * kNs);
  EXPECT_EQ(isrs[2].cpu, 3u);
  EXPECT_EQ(rig.device().msi_pended(), 1u);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageInfo[1].TargetProcessorSet, KAFFINITY{1} << 3);
  EXPECT_EQ(table->MessageInfo[1].MessageAddress.QuadPart, 0xFEE03000);
  EXPECT_EQ(rig.platform().fault_counters().affinity_changes, 1u);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
}

// Disconnecting a moved message removes its old IDT entry too: a message to the old CPU and vector
// afterwards finds no ISR there (spurious).
TEST(FaultInjection, DisconnectRemovesTheEntryAnAffinityChangeKept) {
  Rig rig(test_config(4));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  FaultPlan plan;
  plan.rewrites.push_back({10 * kUs, 1, 3u});
  Timeline timeline(rig, plan);
  rig.at(20 * kUs, 0, [&] {
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_MESSAGE_BASED;
    d.ConnectionContext.InterruptMessageTable = table;
    IoDisconnectInterruptEx(&d);
  });
  sim::UpstreamWrite w;
  w.time_ps = 30 * kUs;
  w.address = msi_address(1);  // message 1's first destination: CPU 1, vector 0x60
  w.data = {msi_data(0x60)};
  w.first_be = 0xF;
  rig.device().add_raw(w);
  rig.run(40 * kUs);
  EXPECT_TRUE(rig.marks().empty());
  ASSERT_EQ(rig.platform().faults().size(), 1u);
  EXPECT_EQ(rig.platform().faults()[0].check, "spurious");
}

// A rebalance that keeps the CPU: mask, write the same address and data, unmask. A message sent
// meanwhile pends and is sent once on unmask, to the same CPU and vector.
TEST(FaultInjection, TableRewriteInPlaceLosesNothing) {
  Rig rig(test_config(2));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = marking_isr(rig);
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  FaultPlan plan;
  plan.rewrites.push_back({10 * kUs, 0, std::nullopt});
  Timeline timeline(rig, plan);
  rig.device().add_message(10 * kUs + 400 * kNs, 0);  // after the mask reaches the device (a quantum on)
  rig.device().add_message(10 * kUs + 600 * kNs, 0);
  rig.device().add_message(20 * kUs, 0);
  rig.run(40 * kUs);
  const auto isrs = rig.marks("isr0");
  ASSERT_EQ(isrs.size(), 2u);  // two pended into one PBA bit (A6), then the third
  EXPECT_GE(isrs[0].ps, 11 * kUs + 100 * kNs);  // sent on unmask, at the device's time
  EXPECT_LE(isrs[0].ps, 11 * kUs + 500 * kNs);
  EXPECT_EQ(isrs[0].cpu, 0u);
  EXPECT_EQ(table->MessageInfo[0].Vector, 0x60u);
  EXPECT_EQ(rig.platform().fault_counters().table_rewrites, 1u);
  EXPECT_TRUE(rig.platform().faults().empty()) << rig.platform().faults()[0].describe();
}

TEST(FaultInjection, RewriteOfAMessageNobodyConnectedIsAFault) {
  Rig rig(test_config(2));
  FaultPlan plan;
  plan.rewrites.push_back({1 * kUs, 0, 1u});
  Timeline timeline(rig, plan);
  rig.run(10 * kUs);
  ASSERT_EQ(rig.platform().faults().size(), 1u);
  EXPECT_EQ(rig.platform().faults()[0].check, "faults");
  EXPECT_NE(rig.platform().faults()[0].detail.find("no MSI-X connection"), std::string::npos);
}

}  // namespace
}  // namespace irqrig::host::testing
