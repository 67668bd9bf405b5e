// The platform's message-based connect in MSI mode (PlatformConfig::message_mode): what pci.sys
// programs into an MSI capability, and the ISRs the messages then reach (SEMANTICS A2, D1, D2).
#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "sim/verilated/verilated_device.h"
#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

PlatformConfig msi_config(unsigned cpus, std::vector<unsigned> affinity) {
  PlatformConfig c = test_config(cpus);
  c.affinity = std::move(affinity);
  c.message_mode = MessageMode::kMsi;
  return c;
}

std::uint32_t msi_control(sim::Device& device) { return device.config_read(regs::kCfgMsiCap) >> 16; }
bool msix_enabled(sim::Device& device) { return device.config_read(regs::kCfgMsixCap) >> 31 & 1; }

// SEMANTICS A2, D1, D2: four MSI messages are one Message Address (the CPU of message 0; the other
// affinities are not used), one data value (the base of an aligned block of four IDT vectors: the
// device puts the message number in its low two bits), MME 2, MSI Enable set and MSI-X left off;
// MessageInfo[k] is base + k at one IRQL, and message k reaches the ISR as MessageID k.
TEST(MsiModeConformance, A2_D1_D2_OneAddressAnAlignedVectorBlock) {
  PlatformConfig config = msi_config(4, {2, 0, 1, 3});
  config.first_vector = 0x62;  // the block is aligned to its size: 0x64-0x67
  Rig rig(config);
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return TRUE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  for (unsigned k = 0; k < 4; ++k) rig.device().add_message((1 + k) * kUs, 3 - k);
  rig.device().add_message(6 * kUs, 6);  // device vector 6 is message 6 mod 4 = 2 (A2)
  rig.run(10 * kUs);

  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageCount, 4u);
  EXPECT_EQ(table->UnifiedIrql, 6);
  for (unsigned k = 0; k < 4; ++k) {
    const IO_INTERRUPT_MESSAGE_INFO_ENTRY& e = table->MessageInfo[k];
    EXPECT_EQ(e.Vector, 0x64u + k);
    EXPECT_EQ(e.MessageData, 0x64u + k);
    EXPECT_EQ(e.Irql, 6);
    EXPECT_EQ(e.MessageAddress.QuadPart, 0xFEE02000);  // APIC ID 2 for every message
    EXPECT_EQ(e.TargetProcessorSet, KAFFINITY{1} << 2);
  }
  sim::Endpoint endpoint(rig.device());
  const std::uint32_t control = msi_control(rig.device());
  EXPECT_EQ(control & 1, 1u) << "MSI Enable";
  EXPECT_EQ(control >> 4 & 7, 2u) << "Multiple Message Enable = log2(4)";
  EXPECT_EQ(rig.device().config_read(regs::kCfgMsiCap + 0x4), 0xFEE02000u);
  EXPECT_EQ(rig.device().config_read(regs::kCfgMsiCap + 0x8), 0u);
  EXPECT_EQ(rig.device().config_read(regs::kCfgMsiCap + 0xC), 0x64u);
  EXPECT_EQ(endpoint.msi_mask_bits() & 0xF, 0u);
  EXPECT_FALSE(msix_enabled(rig.device()));

  ASSERT_EQ(rig.marks().size(), 5u);
  for (unsigned k = 0; k < 4; ++k) {
    EXPECT_EQ(rig.marks()[k].what, "isr" + std::to_string(3 - k));
    EXPECT_EQ(rig.marks()[k].cpu, 2u);
    EXPECT_EQ(rig.marks()[k].irql, 6);
  }
  EXPECT_EQ(rig.marks()[4].what, "isr2");
  EXPECT_EQ(rig.platform().cpu(2).msi_accepted(), 5u);
}

// SEMANTICS A2, D1: 32 messages, the most MSI has, take a 32-aligned block; it spans two priority
// classes, so the entries report IRQLs 6 and 7 and every ISR runs at UnifiedIrql 7.
TEST(MsiModeConformance, A2_D1_ThirtyTwoMessagesRunAtTheUnifiedIrql) {
  PlatformConfig config = msi_config(2, std::vector<unsigned>(32, 1));
  Rig rig(config);
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = [&](PKINTERRUPT, ULONG id) {
    rig.mark("isr" + std::to_string(id));
    return TRUE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 0);
  rig.device().add_message(2 * kUs, 31);
  rig.run(10 * kUs);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageCount, 32u);
  EXPECT_EQ(table->MessageInfo[0].Vector, 0x60u);
  EXPECT_EQ(table->MessageInfo[31].Vector, 0x7Fu);
  EXPECT_EQ(table->MessageInfo[0].Irql, 6);
  EXPECT_EQ(table->MessageInfo[31].Irql, 7);
  EXPECT_EQ(table->UnifiedIrql, 7);
  EXPECT_EQ(msi_control(rig.device()) >> 4 & 7, 5u);
  ASSERT_EQ(rig.marks().size(), 2u);
  EXPECT_EQ(rig.marks()[0].what, "isr0");
  EXPECT_EQ(rig.marks()[0].irql, 7);
  EXPECT_EQ(rig.marks()[1].what, "isr31");
  EXPECT_EQ(rig.marks()[0].cpu, 1u);
}

// SEMANTICS A2: the block skips vectors another connection holds on that CPU.
TEST(MsiModeConformance, A2_TheBlockAvoidsTakenVectors) {
  Rig rig(msi_config(1, {0, 0}));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  PKINTERRUPT other = nullptr;
  LineIsrFn line_isr = [](PKINTERRUPT) { return TRUE; };
  IsrFn isr = [](PKINTERRUPT, ULONG) { return TRUE; };
  rig.at(0, 0, [&] {
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_FULLY_SPECIFIED;
    p.FullySpecified.InterruptObject = &other;
    p.FullySpecified.ServiceRoutine = &line_isr_trampoline;
    p.FullySpecified.ServiceContext = &line_isr;
    p.FullySpecified.Vector = 0x61;
    p.FullySpecified.Irql = 6;
    p.FullySpecified.SynchronizeIrql = 6;
    p.FullySpecified.ProcessorEnableMask = 1;
    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    table = rig.connect_messages(&isr);
  });
  rig.run(1 * kUs);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->MessageInfo[0].Vector, 0x62u);
  EXPECT_EQ(table->MessageInfo[1].Vector, 0x63u);
}

// Disconnecting clears MSI Enable: a later event sends nothing (A3).
TEST(MsiModeConformance, A3_DisconnectClearsMsiEnable) {
  Rig rig(msi_config(1, {0}));
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    rig.mark("isr");
    return TRUE;
  };
  rig.at(0, 0, [&] { table = rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 0);
  rig.at(2 * kUs, 0, [&] {
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_MESSAGE_BASED;
    d.ConnectionContext.InterruptMessageTable = table;
    IoDisconnectInterruptEx(&d);
  });
  rig.device().add_message(3 * kUs, 0);
  rig.run(10 * kUs);
  EXPECT_EQ(msi_control(rig.device()) & 1, 0u);
  EXPECT_FALSE(msix_enabled(rig.device()));
  EXPECT_EQ(rig.marks("isr").size(), 1u);
  EXPECT_EQ(rig.device().msi_sent(), 1u);
  EXPECT_TRUE(rig.platform().faults().empty());
}

// A device whose MSI capability takes fewer messages than granted fails the connect with a fault.
TEST(MsiModeConformance, MoreMessagesThanTheDeviceIsCapableOfFailTheConnect) {
  SyntheticDevice::Options options;
  options.msi_vectors = 2;
  Rig rig(msi_config(1, {0, 0, 0, 0}), options);
  NTSTATUS status = STATUS_SUCCESS;
  IsrFn isr = [](PKINTERRUPT, ULONG) { return TRUE; };
  rig.at(0, 0, [&] {
    PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_MESSAGE_BASED;
    p.MessageBased.ConnectionContext.InterruptMessageTable = &table;
    p.MessageBased.MessageServiceRoutine = &isr_trampoline;
    p.MessageBased.ServiceContext = &isr;
    status = IoConnectInterruptEx(&p);
  });
  rig.run(1 * kUs);
  EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES);
  const auto& faults = rig.platform().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].check, "connect");
  EXPECT_NE(faults[0].detail.find("Multiple Message Capable"), std::string::npos) << faults[0].detail;
  EXPECT_EQ(msi_control(rig.device()) & 1, 0u);
}

// SEMANTICS A2: MSI grants a power of two up to 32 messages; anything else is refused when the
// platform is built.
TEST(MsiModeConformance, A2_MessageCountsThatAreNoPowerOfTwoOrAbove32AreRefused) {
  SyntheticDevice device;
  for (unsigned n : {3u, 6u, 33u, 64u}) {
    PlatformConfig config = msi_config(1, std::vector<unsigned>(n, 0));
    try {
      Platform platform("bad_msi", config, device);
      ADD_FAILURE() << n << " MSI messages accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("power of two from 1 to 32"), std::string::npos) << e.what();
    }
  }
  // MSI-X takes any count.
  PlatformConfig msix = test_config(1);
  msix.affinity = {0, 0, 0};
  EXPECT_NO_THROW(Platform("msix_three", msix, device));
}

// The endpoint RTL under MSI mode: a burst over device vectors 0-7 with four messages granted
// reaches the ISR as MessageIDs 0-3, 0-3 (A2: vector v is message v mod 4), all on message 0's CPU.
class MsiBurst : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(MsiBurst);
  MsiBurst(const sc_core::sc_module_name& name, Platform& platform, std::function<void()> start)
      : sc_module(name), platform_(platform), start_(std::move(start)) {
    SC_THREAD(run);
  }

 private:
  void run() { platform_.cpu(0).queue_passive(start_); }
  Platform& platform_;
  std::function<void()> start_;
};

struct Seen {
  ULONG message;
  unsigned cpu;
  KIRQL irql;
};

BOOLEAN record_isr(PKINTERRUPT, PVOID context, ULONG message_id) {
  static_cast<std::vector<Seen>*>(context)->push_back(
      Seen{message_id, KeGetCurrentProcessorNumber(), KeGetCurrentIrql()});
  return TRUE;
}

TEST(MsiModeConformance, A2_D2_EndpointRtlSendsMessageVmodN) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sim::VerilatedDevice device;
  PlatformConfig config = msi_config(2, {1, 1, 1, 1});
  Platform platform("host", config, device);
  std::vector<Seen> seen;
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  MsiBurst bench("bench", platform, [&] {
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_MESSAGE_BASED;
    p.MessageBased.ConnectionContext.InterruptMessageTable = &table;
    p.MessageBased.MessageServiceRoutine = &record_isr;
    p.MessageBased.ServiceContext = &seen;
    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    sim::Endpoint endpoint(device);
    const std::uint64_t ring = platform.config().dma_base;
    endpoint.set_ring(ring, 10, ring + 1024 * 16);
    sim::BurstProgram burst;
    burst.events = 8;
    burst.gap_cycles = 500;  // 2 us apart: every message is its own interrupt
    burst.vectors = {0, 1, 2, 3, 4, 5, 6, 7};
    endpoint.start_burst(burst);
  });
  sc_core::sc_start(sc_core::sc_time(40, sc_core::SC_US));
  for (const Fault& f : platform.faults()) ADD_FAILURE() << f.describe();
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(device.config_read(regs::kCfgMsiCap) >> 16 & 0x71, 0x21u) << "MSI Enable, MME 2";
  EXPECT_FALSE(msix_enabled(device));
  ASSERT_EQ(seen.size(), 8u);
  for (unsigned i = 0; i < 8; ++i) {
    EXPECT_EQ(seen[i].message, i % 4);
    EXPECT_EQ(seen[i].cpu, 1u);
    EXPECT_EQ(seen[i].irql, table->UnifiedIrql);
  }
  EXPECT_EQ(sim::Endpoint(device).counters().msi_sent, 8u);
}

}  // namespace
}  // namespace irqrig::host::testing
