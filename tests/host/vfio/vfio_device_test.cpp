// VfioDevice over the loopback port (the Verilated RTL as the card): the event ring redirected
// into the DMA buffer and back to the simulated addresses, the interrupt shadow with its host-side
// masks (SEMANTICS A4/A6), the order of records and messages, the clock, and the refusals at open.
#include "host/vfio/vfio_device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/run/targets.h"
#include "host/vfio/error.h"
#include "host/vfio/loopback_card_port.h"
#include "host/vfio/vfio_card_port.h"
#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "sim/verilated/verilated_device.h"
#include "tests/host/vfio/fake_sysfs.h"

namespace irqrig::host::vfio {
namespace {

using ::testing::HasSubstr;

constexpr std::uint64_t kRing = 0x1'0000'0000ull;
constexpr unsigned kRingLog2 = 6;
constexpr std::uint64_t kProducer = kRing + (1u << kRingLog2) * 16;
constexpr std::uint64_t kMsi = 0xFEE00000u;

std::uint64_t msix_address(unsigned k) { return kMsi | (std::uint64_t{k} << 12); }

// Everything a device handed to the host, in the order it did, with a consumer that keeps up.
struct Stream {
  std::vector<sim::UpstreamWrite> all, records, producers, messages;
  sim::Endpoint* endpoint = nullptr;
  bool consume = true;

  void take(sim::UpstreamWrite&& w) {
    if (w.address == kProducer) {
      producers.push_back(w);
      if (consume) endpoint->set_ring_consumer(w.data.at(0));
    } else if (w.address >= kRing && w.address < kProducer) {
      records.push_back(w);
    } else {
      messages.push_back(w);
    }
    all.push_back(std::move(w));
  }
  // Position in `all` of the first write to `address` carrying `dw0`.
  std::size_t position(std::uint64_t address, std::uint32_t dw0) const {
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i].address == address && all[i].data.at(0) == dw0) return i;
    return all.size();
  }
};

// A VfioDevice over the loopback with its stream wired up and the ring programmed.
struct Rig {
  LoopbackCardPort* port = nullptr;
  std::unique_ptr<VfioDevice> device;
  std::unique_ptr<sim::Endpoint> endpoint;
  Stream stream;

  explicit Rig(sim::VerilatedDeviceOptions o = {}) {
    auto owned = std::make_unique<LoopbackCardPort>(std::make_unique<sim::VerilatedDevice>(o));
    port = owned.get();
    device = std::make_unique<VfioDevice>(std::move(owned));
    endpoint = std::make_unique<sim::Endpoint>(*device);
    stream.endpoint = endpoint.get();
    device->set_upstream_sink([this](sim::UpstreamWrite&& w) { stream.take(std::move(w)); });
    endpoint->set_ring(kRing, kRingLog2, kProducer);
    endpoint->set_ring_consumer(endpoint->ring_producer());
  }
  void enable_msix(unsigned n) {
    for (unsigned k = 0; k < n; ++k) endpoint->program_message(k, msix_address(k), 0x40 + k);
    endpoint->set_msix_enable(true);
  }
  void run_ns(std::uint64_t ns) { device->advance_to(device->now_ps() + ns * 1000); }
  void events(std::vector<std::uint32_t> vectors, std::uint32_t n, std::uint32_t gap_cycles = 50) {
    sim::BurstProgram b;
    b.events = n;
    b.gap_cycles = gap_cycles;
    b.vectors = std::move(vectors);
    endpoint->start_burst(b);
    for (int i = 0; i < 100000 && endpoint->busy(); ++i) device->advance_to(device->now_ps() + 64 * device->cycle_ps());
    run_ns(2000);
  }
  // What the card itself holds, past the backend: raw accesses through the port.
  std::uint32_t card_bar(std::uint64_t offset) { return static_cast<std::uint32_t>(port->bar_read(offset, 4)); }
};

// Drives one device like the platform does: quanta of 64 cycles until idle, then a little more.
void run_burst(sim::Device& d, sim::Endpoint& e, const sim::BurstProgram& b) {
  e.start_burst(b);
  for (int i = 0; i < 100000 && e.busy(); ++i) d.advance_to(d.now_ps() + 64 * d.cycle_ps());
  d.advance_to(d.now_ps() + 4000 * d.cycle_ps());
}

// ---- The ring ----------------------------------------------------------------------------------

TEST(VfioDeviceTest, HandsOverWhatTheRtlWritesWriteForWrite) {
  // The same program on the RTL in-process and on the RTL behind the backend: the same records,
  // producer writes and messages; each record and its producer write before the message.
  sim::VerilatedDevice direct;
  Rig rig;
  Stream a;
  sim::Endpoint ea(direct);
  a.endpoint = &ea;
  direct.set_upstream_sink([&](sim::UpstreamWrite&& w) { a.take(std::move(w)); });
  ea.set_ring(kRing, kRingLog2, kProducer);
  for (unsigned k = 0; k < 4; ++k) ea.program_message(k, msix_address(k), 0x40 + k);
  ea.set_msix_enable(true);
  rig.enable_msix(4);
  sim::BurstProgram burst;
  burst.events = 300;  // the 64-record ring wraps several times
  burst.gap_cycles = 50;
  burst.vectors = {0, 1, 2, 3};
  run_burst(direct, ea, burst);
  run_burst(*rig.device, *rig.endpoint, burst);

  const Stream& b = rig.stream;
  ASSERT_EQ(a.records.size(), 300u);
  ASSERT_EQ(b.records.size(), 300u);
  ASSERT_EQ(b.producers.size(), 300u);
  ASSERT_EQ(b.messages.size(), 300u);
  for (std::size_t i = 0; i < 300; ++i) {
    EXPECT_EQ(a.records[i].address, b.records[i].address) << i;
    EXPECT_EQ(a.records[i].data[0], b.records[i].data[0]) << i;  // sequence number
    EXPECT_EQ(a.records[i].data[1], b.records[i].data[1]) << i;  // vector, flags
    EXPECT_EQ(a.producers[i].data, b.producers[i].data) << i;
    EXPECT_EQ(a.messages[i].address, b.messages[i].address) << i;
    EXPECT_EQ(a.messages[i].data, b.messages[i].data) << i;
    // The card's order: record, producer write, message.
    const std::size_t rec = b.position(b.records[i].address, b.records[i].data[0]);
    const std::size_t prod = b.position(kProducer, b.producers[i].data[0]);
    EXPECT_LT(rec, prod) << i;
    // The message of event i is the i-th: a record may overtake a message, never follow it.
    std::size_t msg = 0, seen = 0;
    for (; msg < b.all.size(); ++msg)
      if (b.all[msg].address >= kMsi && b.all[msg].address < kMsi + 0x100000 && seen++ == i) break;
    EXPECT_LT(prod, msg) << i;
    // TIMESTAMP is translated to device cycles: event -> message as the RTL has it, give or take
    // the clock anchor's error (half a register read, a few cycles).
    const auto event_ps = [](const sim::UpstreamWrite& r, std::uint64_t cycle) {
      return (r.data[2] | std::uint64_t{r.data[3]} << 32) * cycle;
    };
    const auto lag_a = static_cast<std::int64_t>(a.messages[i].time_ps - event_ps(a.records[i], direct.cycle_ps()));
    const auto lag_b = static_cast<std::int64_t>(b.messages[i].time_ps - event_ps(b.records[i], rig.device->cycle_ps()));
    EXPECT_LE(std::abs(lag_a - lag_b), 48'000) << i;
  }
  // Handed over in time order, as the platform requires.
  for (std::size_t i = 1; i < b.all.size(); ++i) EXPECT_LE(b.all[i - 1].time_ps, b.all[i].time_ps) << i;
  EXPECT_EQ(rig.device->stats().records, 300u);
}

TEST(VfioDeviceTest, TheModelSeesItsRingAddressesTheCardWritesTheDmaBuffer) {
  Rig rig;
  EXPECT_EQ(rig.device->bar_read32(0, regs::RING_BASE_LO), static_cast<std::uint32_t>(kRing));
  EXPECT_EQ(rig.device->bar_read32(0, regs::RING_BASE_HI), kRing >> 32);
  EXPECT_EQ(rig.device->bar_read32(0, regs::RING_PROD_ADDR_LO), static_cast<std::uint32_t>(kProducer));
  EXPECT_EQ(rig.device->bar_read32(0, regs::RING_PROD_ADDR_HI), kProducer >> 32);
  // The card itself points into the buffer.
  EXPECT_EQ(rig.card_bar(regs::RING_BASE_LO), static_cast<std::uint32_t>(rig.port->dma_iova()));
  EXPECT_EQ(rig.card_bar(regs::RING_BASE_HI), rig.port->dma_iova() >> 32);
  EXPECT_EQ(rig.card_bar(regs::RING_PROD_ADDR_LO),
            static_cast<std::uint32_t>(rig.port->dma_iova() + rig.port->dma().size() - 4096));
  EXPECT_EQ(rig.card_bar(regs::RING_LOG2), kRingLog2);
  // The masks the RTL applies: base 16-byte, producer address DW aligned.
  rig.device->bar_write(0, regs::RING_BASE_LO, 0x0000000A'1234567Full, 8);  // one 8-byte write, both halves
  EXPECT_EQ(rig.device->bar_read(0, regs::RING_BASE_LO, 8), 0x0000000A'12345670ull);
  rig.device->bar_write32(0, regs::RING_PROD_ADDR_LO, 0x8765432B);
  EXPECT_EQ(rig.device->bar_read32(0, regs::RING_PROD_ADDR_LO), 0x87654328u);
  rig.device->bar_write(0, regs::RING_PROD_ADDR_LO + 1, 0xAB, 1);  // one byte lane
  EXPECT_EQ(rig.device->bar_read32(0, regs::RING_PROD_ADDR_LO), 0x8765AB28u);
  EXPECT_EQ(rig.card_bar(regs::RING_BASE_LO), static_cast<std::uint32_t>(rig.port->dma_iova()));
}

TEST(VfioDeviceTest, NoProducerAddressMeansNoProducerWrites) {
  Rig rig;
  rig.endpoint->set_ring(kRing, kRingLog2, 0);
  rig.enable_msix(1);
  rig.stream.consume = false;
  rig.events({0}, 5);
  EXPECT_EQ(rig.stream.records.size(), 5u);
  EXPECT_EQ(rig.stream.producers.size(), 0u);
  EXPECT_EQ(rig.stream.messages.size(), 5u);
  EXPECT_EQ(rig.endpoint->ring_producer(), 5u);
}

TEST(VfioDeviceTest, RingProducerReadFlushesTheRecordsBeforeIt) {
  // A read completion never passes the card's DMA writes: once RING_PROD reads n, every record
  // below n has been handed over (the driver's ISR relies on it).
  Rig rig;
  rig.enable_msix(1);
  sim::BurstProgram b;
  b.events = 40;
  b.gap_cycles = 20;
  b.vectors = {0};
  rig.endpoint->start_burst(b);
  for (int i = 0; i < 200; ++i) {
    const std::uint32_t producer = rig.endpoint->ring_producer();
    EXPECT_GE(rig.stream.records.size(), producer) << i;
    if (producer == 40) break;
  }
  rig.run_ns(2000);
  EXPECT_EQ(rig.stream.records.size(), 40u);
  EXPECT_EQ(rig.stream.producers.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(rig.stream.producers[i].data.at(0), i + 1);
}

TEST(VfioDeviceTest, RingLargerThanTheDmaBufferIsRefused) {
  Rig rig;
  EXPECT_EQ(rig.device->max_ring_log2(), 15u);  // 1 MiB less the producer page, 16-byte records
  try {
    rig.endpoint->set_ring(kRing, 16, kProducer);
    FAIL() << "a ring of 2^16 records was accepted";
  } catch (const sim::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("does not fit the DMA buffer"));
    EXPECT_THAT(e.what(), HasSubstr("loopback"));
  }
}

// ---- The interrupt shadow ----------------------------------------------------------------------

TEST(VfioDeviceTest, MsixTableIsAShadowAndTheCardCarriesTheKernelsEntries) {
  Rig rig;
  rig.endpoint->program_message(2, 0xFEE0A000u, 0xBEEF);
  // Not on the card: its entry is as reset (masked), the model reads its own.
  EXPECT_EQ(rig.card_bar(regs::kMsixTableOffset + 32 + 12) & 1u, 1u);
  EXPECT_EQ(rig.device->bar_read32(0, regs::kMsixTableOffset + 32), 0xFEE0A000u);
  EXPECT_EQ(rig.device->bar_read32(0, regs::kMsixTableOffset + 32 + 8), 0xBEEFu);
  EXPECT_EQ(rig.port->irq_mode(), CardIrqMode::kNone);
  rig.endpoint->set_msix_enable(true);
  // The kernel's side: three vectors (0..2, the highest programmed entry), its own addresses.
  EXPECT_EQ(rig.port->irq_mode(), CardIrqMode::kMsix);
  EXPECT_EQ(rig.port->irq_count(), 3u);
  EXPECT_EQ(rig.card_bar(regs::kMsixTableOffset + 32), LoopbackCardPort::kMsixAddress);
  EXPECT_EQ(rig.card_bar(regs::kMsixTableOffset + 32 + 8), LoopbackCardPort::kMsixDataBase + 2);
  rig.events({2}, 2);
  ASSERT_EQ(rig.stream.messages.size(), 2u);
  EXPECT_EQ(rig.stream.messages[0].address, 0xFEE0A000u);
  EXPECT_EQ(rig.stream.messages[0].data, std::vector<std::uint32_t>{0xBEEF});
  // An entry past the enabled ones, programmed while enabled: the vectors are set again.
  const unsigned calls = rig.port->set_irqs_calls();
  rig.endpoint->program_message(9, msix_address(9), 0x49);
  EXPECT_EQ(rig.port->irq_count(), 10u);
  EXPECT_EQ(rig.port->set_irqs_calls(), calls + 1);
  rig.events({9}, 1);
  ASSERT_EQ(rig.stream.messages.size(), 3u);
  EXPECT_EQ(rig.stream.messages[2].address, msix_address(9));
  rig.endpoint->set_msix_enable(false);
  EXPECT_EQ(rig.port->irq_mode(), CardIrqMode::kNone);
}

TEST(VfioDeviceTest, A6_HostSideMaskPendsAndUnmaskReleasesOnceNow) {
  // SEMANTICS A6, emulated on the host's side: the card sends (the kernel's entry is unmasked),
  // the shadow holds it in its PBA; the counters say what the host model saw.
  Rig rig;
  rig.enable_msix(2);
  rig.endpoint->set_message_mask(1, true);
  rig.events({1}, 3);
  EXPECT_EQ(rig.stream.messages.size(), 0u);
  EXPECT_TRUE(rig.endpoint->msix_pending(1));
  EXPECT_EQ(rig.card_bar(regs::kMsixPbaOffset), 0u);  // the card's own PBA: nothing held there
  EXPECT_EQ(rig.card_bar(regs::CNT_MSI_SENT), 3u);    // the card sent all three
  sim::EndpointCounters c = rig.endpoint->counters();
  EXPECT_EQ(c.msi_sent, 0u);
  EXPECT_EQ(c.msi_pending_on_mask, 3u);
  EXPECT_EQ(rig.device->stats().pended, 3u);
  const std::uint64_t before_unmask = rig.device->now_ps();
  rig.endpoint->set_message_mask(1, false);
  ASSERT_EQ(rig.stream.messages.size(), 1u);  // released by the write itself
  EXPECT_EQ(rig.stream.messages[0].address, msix_address(1));
  EXPECT_GE(rig.stream.messages[0].time_ps, before_unmask);
  EXPECT_FALSE(rig.endpoint->msix_pending(1));
  c = rig.endpoint->counters();
  EXPECT_EQ(c.msi_sent, 1u);
  EXPECT_EQ(c.msi_pending_on_mask, 3u);
  EXPECT_EQ(rig.device->stats().released, 1u);
  // CLEAR zeroes the card's counters and what the shadow added to them.
  rig.endpoint->clear_counters();
  c = rig.endpoint->counters();
  EXPECT_EQ(c.msi_sent, 0u);
  EXPECT_EQ(c.msi_pending_on_mask, 0u);
}

TEST(VfioDeviceTest, A6_FunctionMaskHoldsEveryVectorAndKeepsTheEntries) {
  Rig rig;
  rig.enable_msix(2);
  rig.endpoint->set_msix_function_mask(true);
  rig.events({0, 1}, 4);
  EXPECT_EQ(rig.stream.messages.size(), 0u);
  EXPECT_TRUE(rig.endpoint->msix_pending(0));
  EXPECT_TRUE(rig.endpoint->msix_pending(1));
  EXPECT_FALSE(rig.endpoint->message_masked(0));
  rig.endpoint->set_msix_function_mask(false);
  ASSERT_EQ(rig.stream.messages.size(), 2u);  // one per pending vector, in vector order
  EXPECT_EQ(rig.stream.messages[0].address, msix_address(0));
  EXPECT_EQ(rig.stream.messages[1].address, msix_address(1));
}

TEST(VfioDeviceTest, A4_MsiShadowMasksPendsAndSubstitutesTheMessageNumber) {
  // SEMANTICS A2 and A4 through the MSI shadow: the card's message number arrives on its
  // eventfd, the host model gets its own address and data with the number in the low bits.
  Rig rig;
  rig.endpoint->program_msi({0xFEE0300Cu, 0x4920, 4});
  rig.endpoint->set_msi_enable(true);
  EXPECT_EQ(rig.port->irq_mode(), CardIrqMode::kMsi);
  EXPECT_EQ(rig.port->irq_count(), 4u);
  rig.endpoint->set_msi_mask(3, true);
  rig.events({1, 7}, 4);  // vector 7 is message 3 under four messages
  ASSERT_EQ(rig.stream.messages.size(), 2u);
  EXPECT_EQ(rig.stream.messages[0].address, 0xFEE0300Cu);
  EXPECT_EQ(rig.stream.messages[0].data, std::vector<std::uint32_t>{0x4921});
  EXPECT_EQ(rig.endpoint->msi_pending_bits(), 1u << 3);
  rig.endpoint->set_msi_mask(3, false);
  ASSERT_EQ(rig.stream.messages.size(), 3u);
  EXPECT_EQ(rig.stream.messages[2].data, std::vector<std::uint32_t>{0x4923});
  EXPECT_EQ(rig.endpoint->msi_pending_bits(), 0u);
  // A new message count while enabled sets the kernel's vectors again.
  rig.endpoint->program_msi({0xFEE0300Cu, 0x4920, 8});
  EXPECT_EQ(rig.port->irq_count(), 8u);
  rig.events({7}, 1);
  ASSERT_EQ(rig.stream.messages.size(), 4u);
  EXPECT_EQ(rig.stream.messages[3].data, std::vector<std::uint32_t>{0x4927});
}

TEST(VfioDeviceTest, MsiMultipleMessageEnableAboveCapableIsClamped) {
  Rig rig;
  const std::uint32_t control = rig.device->config_read(regs::kCfgMsiCap);
  rig.device->config_write(regs::kCfgMsiCap, control | 7u << 20, 0x4);  // MME 7 (128 messages)
  EXPECT_EQ((rig.device->config_read(regs::kCfgMsiCap) >> 20) & 7u, 5u);  // clamped to 32
}

// ---- Time --------------------------------------------------------------------------------------

TEST(VfioDeviceTest, TimeRegisterCountsDeviceCyclesSinceTheSessionOpened) {
  Rig rig;
  rig.run_ns(10'000);
  const std::uint64_t lo = rig.device->bar_read32(0, regs::TIME_LO);
  const std::uint64_t hi = rig.device->bar_read32(0, regs::TIME_HI);
  const std::uint64_t cycles = hi << 32 | lo;
  EXPECT_NEAR(static_cast<double>(cycles), static_cast<double>(rig.device->cycles()), 16.0);
  EXPECT_EQ(rig.device->cycle_ps(), 4000u);  // CAPS.CLK_MHZ 250
}

TEST(VfioDeviceTest, AdvanceFarAheadOfTheCardIsRefused) {
  auto owned = std::make_unique<LoopbackCardPort>(std::make_unique<sim::VerilatedDevice>());
  VfioDeviceOptions o;
  o.max_wait_ps = 1'000'000;  // 1 us
  VfioDevice d(std::move(owned), o);
  d.advance_to(d.now_ps() + 500'000);
  try {
    d.advance_to(d.now_ps() + 5'000'000);
    FAIL() << "a 5 us jump was accepted";
  } catch (const sim::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("waits at most 1 us"));
  }
}

// ---- Refusals ----------------------------------------------------------------------------------

// The loopback with one register or config word answering something else: a card that is not an
// irqrig card of this build.
class AlteredPort final : public CardPort {
 public:
  using Hook = std::function<std::optional<std::uint64_t>(std::uint64_t offset)>;
  AlteredPort(Hook config, Hook bar)
      : inner_(std::make_unique<sim::VerilatedDevice>(), LoopbackOptions{"0000:03:00.0"}),
        config_(std::move(config)), bar_(std::move(bar)) {}
  const std::string& name() const override { return inner_.name(); }
  std::uint16_t requester_id() const override { return inner_.requester_id(); }
  std::uint32_t config_read(std::uint16_t offset, unsigned size) override {
    if (auto v = config_(offset)) return static_cast<std::uint32_t>(*v);
    return inner_.config_read(offset, size);
  }
  void config_write(std::uint16_t offset, std::uint32_t value, unsigned size) override {
    inner_.config_write(offset, value, size);
  }
  std::uint64_t bar_read(std::uint64_t offset, unsigned size) override {
    if (auto v = bar_(offset)) return *v;
    return inner_.bar_read(offset, size);
  }
  void bar_write(std::uint64_t offset, std::uint64_t value, unsigned size) override { inner_.bar_write(offset, value, size); }
  std::span<std::byte> dma() override { return inner_.dma(); }
  std::uint64_t dma_iova() const override { return inner_.dma_iova(); }
  void set_irqs(CardIrqMode mode, unsigned count) override { inner_.set_irqs(mode, count); }
  CardIrqMode irq_mode() const override { return inner_.irq_mode(); }
  std::uint64_t now_ps() override { return inner_.now_ps(); }
  void run_until(std::uint64_t t, std::vector<CardArrival>& a) override {
    inner_.run_until(t, a);
    a.insert(a.end(), injected.begin(), injected.end());
    injected.clear();
  }

  /// Arrivals handed over with the next run_until, as a real kernel's eventfds would.
  std::vector<CardArrival> injected;

 private:
  LoopbackCardPort inner_;
  Hook config_, bar_;
};

std::string refusal(AlteredPort::Hook config, AlteredPort::Hook bar) {
  try {
    VfioDevice d(std::make_unique<AlteredPort>(std::move(config), std::move(bar)));
  } catch (const sim::DeviceError& e) {
    return e.what();
  }
  return "accepted";
}

const AlteredPort::Hook kNone = [](std::uint64_t) { return std::optional<std::uint64_t>{}; };

TEST(VfioDeviceTest, RefusesACardThatIsNotAnIrqrigCard) {
  const std::string nvme = refusal([](std::uint64_t o) { return o == 0 ? std::optional<std::uint64_t>{0x01098086} : std::nullopt; }, kNone);
  EXPECT_THAT(nvme, HasSubstr("0000:03:00.0 is 8086:0109, not an irqrig card (10ee:1a51)"));
  EXPECT_THAT(nvme, HasSubstr("lspci -D -d 10ee:1a51"));
  const std::string no_gateware =
      refusal(kNone, [](std::uint64_t o) { return o == regs::ID ? std::optional<std::uint64_t>{0xFFFFFFFF} : std::nullopt; });
  EXPECT_THAT(no_gateware, HasSubstr("0000:03:00.0: BAR0 ID register reads 0xffffffff"));
  EXPECT_THAT(no_gateware, HasSubstr("docs/firmware.md"));
  const std::string other_build = refusal(
      kNone, [](std::uint64_t o) { return o == regs::REGMAP_HASH ? std::optional<std::uint64_t>{0x12345678} : std::nullopt; });
  EXPECT_THAT(other_build, HasSubstr("REGMAP_HASH 12345678 differs from this build's"));
  EXPECT_THAT(other_build, HasSubstr("rebuild firmware/"));
  const std::string no_msix = refusal(
      [](std::uint64_t o) { return o == regs::kCfgMsixCap ? std::optional<std::uint64_t>{0x0} : std::nullopt; }, kNone);
  EXPECT_THAT(no_msix, HasSubstr("no MSI-X capability"));
}

TEST(VfioDeviceTest, MergedArrivalsAreEachAMessageAndEachCountsWhenHeld) {
  // An eventfd read with a count of 3: the kernel signalled three times before the rig looked.
  auto owned = std::make_unique<AlteredPort>(kNone, kNone);
  AlteredPort& port = *owned;
  VfioDevice d(std::move(owned));
  sim::Endpoint e(d);
  std::vector<sim::UpstreamWrite> got;
  d.set_upstream_sink([&](sim::UpstreamWrite&& w) { got.push_back(std::move(w)); });
  for (unsigned k = 0; k < 2; ++k) e.program_message(k, msix_address(k), 0x40 + k);
  e.set_msix_enable(true);
  const std::uint64_t t = d.now_ps() + 1000;
  port.injected.push_back({1, 3, t, CardIrqMode::kMsix});
  d.advance_to(t + 1000);
  ASSERT_EQ(got.size(), 3u);
  for (const sim::UpstreamWrite& w : got) {
    EXPECT_EQ(w.address, msix_address(1));
    EXPECT_EQ(w.time_ps, t);
  }
  e.set_message_mask(0, true);
  port.injected.push_back({0, 2, d.now_ps(), CardIrqMode::kMsix});
  d.advance_to(d.now_ps() + 1000);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(e.counters().msi_pending_on_mask, 2u);
  EXPECT_EQ(d.stats().arrivals, 5u);
  // An arrival of a setting the model has left (MSI after MSI-X took over) is held as MSI pending.
  port.injected.push_back({0, 1, d.now_ps(), CardIrqMode::kMsi});
  d.advance_to(d.now_ps() + 1000);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(e.msi_pending_bits(), 1u);
}

TEST(VfioDeviceTest, RefusesAccessesAnIrqrigCardDoesNotHave) {
  Rig rig;
  EXPECT_THROW(rig.device->bar_read(1, 0, 4), sim::DeviceError);
  EXPECT_THROW(rig.device->bar_read(0, 2, 4), sim::DeviceError);
  EXPECT_THROW(rig.device->bar_write(0, 0, 0, 3), sim::DeviceError);
  EXPECT_THROW(rig.device->bar_read(0, 0x10000, 4), sim::DeviceError);
}

TEST(VfioDeviceTest, LoopbackTreatsAWriteOutsideTheBufferAsAnIommuFault) {
  // The card is pointed at the buffer by the backend; pointed elsewhere behind its back, its
  // record lands nowhere the IOMMU maps.
  Rig rig;
  rig.port->bar_write(regs::RING_BASE_HI, 0x7, 4);
  sim::BurstProgram b;
  b.events = 1;
  b.vectors = {0};
  rig.endpoint->start_burst(b);
  try {
    rig.run_ns(5000);
    FAIL() << "the stray write was accepted";
  } catch (const sim::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("an IOMMU fault"));
  }
}

TEST(VfioDeviceTest, OpeningAMissingOrUnboundCardSaysWhatToDo) {
  testing::FakeSysfs fake;
  try {
    open_vfio_device("0000:01:00.0", fake.paths());
    FAIL();
  } catch (const sim::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open the card 0000:01:00.0 through VFIO"));
    EXPECT_THAT(e.what(), HasSubstr("lspci -D"));
  }
  fake.add_device("0000:01:00.0", 7u, "xdma");
  try {
    open_vfio_device("01:00.0", fake.paths());
    FAIL();
  } catch (const sim::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bound to driver xdma, not vfio-pci"));
    EXPECT_THAT(e.what(), HasSubstr("irqrig-vfio bind 0000:01:00.0"));
  }
  testing::FakeSysfs no_iommu;
  no_iommu.add_device("0000:02:00.0", std::nullopt);
  no_iommu.remove_iommu_groups();
  try {
    open_vfio_device("0000:02:00.0", no_iommu.paths());
    FAIL();
  } catch (const sim::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the IOMMU is off"));
    EXPECT_THAT(e.what(), HasSubstr("intel_iommu=on"));
  }
}

TEST(VfioDeviceTest, DmaBufferIovaStaysInsideTheIommusRanges) {
  constexpr std::uint64_t kMiB = 1 << 20;
  // No ranges reported (older kernels): the preferred address.
  EXPECT_EQ(choose_iova({}, kMiB, 4 * kMiB), kMiB);
  // Inside a range: kept.
  EXPECT_EQ(choose_iova({{0, 0xFEDFFFFF}}, kMiB, 4 * kMiB), kMiB);
  // Outside every range (x86's hole at the MSI window, a range starting high): the first range
  // that holds it, 2 MiB aligned.
  EXPECT_EQ(choose_iova({{0x100, 0x1FFFFF}, {0x3000001, 0xFFFFFFFF}}, kMiB, 4 * kMiB), 0x3200000u);
  try {
    choose_iova({{0, 0xFFFFF}}, kMiB, 4 * kMiB);
    FAIL();
  } catch (const VfioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no I/O virtual address range"));
  }
}

// ---- --target vfio:... -------------------------------------------------------------------------

TEST(VfioDeviceTest, TargetParsesTheAddressAndRefusesGarbageAsBadInput) {
  EXPECT_EQ(parse_target("vfio:01:00.0").bdf, "0000:01:00.0");
  EXPECT_EQ(parse_target("vfio:0000:3B:00.1").bdf, "0000:3b:00.1");
  EXPECT_EQ(parse_target("vfio:loopback").bdf, "loopback");
  try {
    parse_target("vfio:garbage");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--target vfio:garbage"));
    EXPECT_THAT(e.what(), HasSubstr("DOMAIN:BUS:DEVICE.FUNCTION"));
  }
  EXPECT_THROW(parse_target("vfio:0000:01:00.8"), std::invalid_argument);
}

TEST(VfioDeviceTest, TargetLoopbackOpensTheBackendWithTheRtlAsTheCard) {
  const std::unique_ptr<sim::Device> d = open_target(parse_target("vfio:loopback"), {});
  ASSERT_NE(dynamic_cast<VfioDevice*>(d.get()), nullptr);
  EXPECT_EQ(d->bar_read32(0, regs::REGMAP_HASH), regs::kRegmapHash);
  EXPECT_THROW(open_target(parse_target("vfio:loopback"), {"waves.fst"}), std::invalid_argument);
}

}  // namespace
}  // namespace irqrig::host::vfio
