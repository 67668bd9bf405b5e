// The guest side of the VM test (tests/vm/run_vfio_vm.sh): drives QEMU's edu device through the
// rig's VFIO layer - BAR0 mmap, DMA both ways through the emulated IOMMU, MSIs through an eventfd.
// With --record, edu then plays an irqrig card: it DMAs genuine event records into a ring and
// raises an MSI behind each batch, and every arrival goes into a recording (docs/replay.md) that
// the host replays with `irqrig run --replay`. Then the same device through VfioCardPort, the
// transport of `--target vfio:BDF`.
// Prints one "irqrig-vm-result: edu" line that the script checks; exit 0 only when every step held.
#include <linux/vfio.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "host/vfio/arrival_loop.h"
#include "host/vfio/config_space.h"
#include "host/vfio/dma_buffer.h"
#include "host/vfio/error.h"
#include "host/vfio/interrupts.h"
#include "host/vfio/region.h"
#include "host/vfio/session.h"
#include "host/replay/recording.h"
#include "host/vfio/vfio_card_port.h"
#include "tests/vm/guest_check.h"

namespace {

using namespace irqrig::host::vfio;
using namespace std::chrono_literals;
using irqrig::vm::hex;
using irqrig::vm::refused;
using irqrig::vm::require;

// QEMU's edu device (docs/specs/edu.rst in QEMU): registers in BAR0.
constexpr std::uint16_t kEduVendor = 0x1234;
constexpr std::uint16_t kEduDevice = 0x11e8;
constexpr std::uint64_t kRegId = 0x00;        // reads 0x010000ed (version 1.0, "ed")
constexpr std::uint64_t kRegLiveness = 0x04;  // reads back the inverse of what was written
constexpr std::uint64_t kRegIrqStatus = 0x24;
constexpr std::uint64_t kRegIrqRaise = 0x60;
constexpr std::uint64_t kRegIrqAck = 0x64;
constexpr std::uint64_t kRegDmaSrc = 0x80;
constexpr std::uint64_t kRegDmaDst = 0x88;
constexpr std::uint64_t kRegDmaCount = 0x90;
constexpr std::uint64_t kRegDmaCmd = 0x98;
constexpr std::uint64_t kDmaStart = 1, kDmaToRam = 2, kDmaIrq = 4;
constexpr std::uint64_t kEduBuffer = 0x40000;  // the device's own 4 KiB DMA buffer
constexpr std::uint32_t kDmaDoneIrq = 0x100;   // edu's status bit for a finished DMA
// Less than edu's whole 4 KiB buffer: QEMU 7.2's range check rejects a transfer that ends exactly
// at the buffer's end (and stops the VM with a hardware error).
constexpr std::size_t kDmaBytes = 2048;
// edu masks DMA addresses to 28 bits: both IOVAs sit low, page-aligned, apart.
constexpr std::uint64_t kIovaSource = 0x0010'0000;
constexpr std::uint64_t kIovaTarget = 0x0020'0000;

// The recording's ring: 64 records of 16 bytes, in a page of its own.
constexpr std::uint64_t kIovaRing = 0x0030'0000;
constexpr unsigned kRingEntries = 64;
constexpr unsigned kRecordsPerMsi = 4;
constexpr std::uint64_t kCyclePs = 4000;  // the record timestamps' clock, the RTL's 250 MHz

void run_dma(Region& bar0, std::uint64_t src, std::uint64_t dst, std::uint64_t cmd, std::size_t bytes = kDmaBytes) {
  bar0.write64(kRegDmaSrc, src);
  bar0.write64(kRegDmaDst, dst);
  bar0.write64(kRegDmaCount, bytes);
  bar0.write64(kRegDmaCmd, cmd | kDmaStart);
}

// edu runs a DMA 100 ms of guest time after it is started; the start bit clears when it is done.
void wait_dma_done(const Region& bar0) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((bar0.read64(kRegDmaCmd) & kDmaStart) != 0) {
    require(std::chrono::steady_clock::now() < deadline, "edu DMA did not finish within 10 s");
    ::usleep(1000);
  }
}

Arrival wait_one(ArrivalLoop& loop, const std::string& what) {
  const auto arrivals = loop.wait(5000ms);
  require(arrivals.size() == 1, "no MSI arrived for " + what + " within 5 s");
  return arrivals.front();
}

struct RecordOptions {
  std::string path;           ///< the recording to write; empty: no recording phase
  std::string scenario_path;  ///< the scenario a replay runs, kept in the recording's header
  unsigned events = 32;
};

/// edu as an irqrig card: the records (DW0 seq, DW1 {16'h0001, vector 0}, DW2/3 timestamp) go
/// host -> edu's buffer in one DMA, then edu's buffer -> the ring kRecordsPerMsi at a time, each
/// DMA raising an MSI when its bytes are in memory: the records land before their message, as
/// the RTL's do. Each arrival is recorded with the records that came with it, read back from the
/// ring the device wrote. Returns "events/arrivals".
std::string record(Session& session, Region& bar0, ArrivalLoop& loop, DmaBuffer& source, const RecordOptions& o) {
  std::ifstream in(o.scenario_path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read the scenario " + o.scenario_path);
  std::ostringstream text;
  text << in.rdbuf();
  irqrig::host::replay::RecordingHeader h;
  h.target = "vfio:edu (QEMU)";
  h.scenario_name = "edu_replay";
  h.scenario_file = "edu_replay.yaml";
  h.scenario_text = text.str();
  h.driver = "reference";
  h.mode = "msi";
  h.vectors = 1;
  h.ring_entries = kRingEntries;
  h.cycle_ps = kCyclePs;

  DmaBuffer ring(session.container(), kIovaRing, kRingEntries * 16);
  std::memset(ring.bytes().data(), 0, ring.bytes().size());
  irqrig::host::replay::RecordingWriter writer(o.path, h);
  std::vector<std::uint32_t> staged(o.events * 4);
  // Time 0 of the recording: the moment the events are made.
  const std::uint64_t t0 = ArrivalLoop::now_ns();
  for (unsigned i = 0; i < o.events; ++i) {
    const std::uint64_t cycles = (ArrivalLoop::now_ns() - t0) * 1000 / kCyclePs;
    staged[i * 4] = i;
    staged[i * 4 + 1] = 1u << 16;  // vector 0
    staged[i * 4 + 2] = static_cast<std::uint32_t>(cycles);
    staged[i * 4 + 3] = static_cast<std::uint32_t>(cycles >> 32);
  }
  std::memcpy(source.bytes().data(), staged.data(), staged.size() * 4);
  run_dma(bar0, source.iova(), kEduBuffer, 0, staged.size() * 4);
  wait_dma_done(bar0);

  std::uint64_t arrivals = 0, last_ps = 0;
  for (unsigned first = 0; first < o.events; first += kRecordsPerMsi) {
    const unsigned n = std::min(kRecordsPerMsi, o.events - first);
    const unsigned slot = first % kRingEntries;
    require(slot + n <= kRingEntries, "a batch would wrap the ring");
    run_dma(bar0, kEduBuffer + first * 16, ring.iova() + slot * 16, kDmaToRam | kDmaIrq, n * 16);
    const Arrival a = wait_one(loop, "the records from " + std::to_string(first));
    require((bar0.read32(kRegIrqStatus) & kDmaDoneIrq) != 0, "a record MSI without edu's DMA-done bit");
    bar0.write32(kRegIrqAck, kDmaDoneIrq);
    wait_dma_done(bar0);
    const std::uint64_t at_ps = std::max(last_ps, (a.time_ns - t0) * 1000);
    std::vector<irqrig::host::replay::RingRecord> records(n);
    for (unsigned k = 0; k < n; ++k) {
      // What the device wrote, as the host finds it in the ring when the message is in.
      std::memcpy(records[k].dw.data(), ring.bytes().data() + (slot + k) * 16, 16);
      require(std::memcmp(records[k].dw.data(), &staged[(first + k) * 4], 16) == 0,
              "ring slot " + std::to_string(slot + k) + " differs from the record edu was given");
      records[k].time_ps = records[k].producer_time_ps = at_ps;
    }
    writer.arrival(at_ps, a.vector, records);
    arrivals += a.count;
    last_ps = at_ps;
  }
  // The board is watched a while longer: nothing else may arrive, and the recording's end (where
  // a replay stops at the latest) leaves the host model time to handle the last message.
  require(loop.wait(100ms).empty(), "an MSI arrived after the last batch of records");
  writer.close(std::max(last_ps, (ArrivalLoop::now_ns() - t0) * 1000));
  return std::to_string(o.events) + "/" + std::to_string(arrivals);
}

std::string run(const std::string& bdf, unsigned msis, const RecordOptions& record_options) {
  Session session(bdf);
  PciDevice& device = session.device();
  ConfigSpace config(device);
  require(config.vendor_id() == kEduVendor && config.device_id() == kEduDevice,
          "device " + hex(config.vendor_id()) + ":" + hex(config.device_id()) + " is not edu (1234:11e8)");
  require(config.find_capability(ConfigSpace::kCapMsi).has_value(), "edu shows no MSI capability");
  config.enable_memory_and_bus_master();

  Region bar0(device.fd(), device.region_info(VFIO_PCI_BAR0_REGION_INDEX), "BAR0 of " + device.bdf());
  const std::uint32_t id = bar0.read32(kRegId);
  require(id == 0x010000ed, "edu identification register reads " + hex(id) + ", expected 0x010000ed");
  bar0.write32(kRegLiveness, 0x12345678);
  require(bar0.read32(kRegLiveness) == ~0x12345678u, "edu liveness register did not invert the value written");
  // The same BAR through pread/pwrite, the path for BARs the kernel will not let be mmap'd.
  RegionInfo unmapped = device.region_info(VFIO_PCI_BAR0_REGION_INDEX);
  unmapped.flags &= ~static_cast<std::uint32_t>(VFIO_REGION_INFO_FLAG_MMAP);
  Region bar0_slow(device.fd(), unmapped, "BAR0 of " + device.bdf() + " (pread)");
  require(!bar0_slow.mapped() && bar0_slow.read32(kRegId) == id, "BAR0 through pread does not read the same ID");
  bar0_slow.write32(kRegLiveness, 0x0F0F0F0F);
  require(bar0.read32(kRegLiveness) == 0xF0F0F0F0u, "a pwrite to BAR0 was not seen through the mmap");

  // The real kernel's refusals must come back as VfioErrors that say what is wrong.
  unsigned refusals = 0;
  require(refused([&] { Session again(bdf); }, "Another process holds this group", refusals),
          "a second open of the group was not refused as busy");
  require(refused([&] { InterruptVectors none(device, IrqKind::kMsix, 1); }, "no MSI-X capability", refusals),
          "MSI-X on edu (which has none) was not refused");
  require(refused([&] { InterruptVectors too_many(device, IrqKind::kMsi, 2); }, "offers 1 MSI vectors", refusals),
          "two MSI vectors on edu (which has one) were not refused");

  InterruptVectors msi(device, IrqKind::kMsi, 1);
  ArrivalLoop loop;
  loop.watch(msi);

  // DMA: a pattern goes host -> edu's buffer -> another host page, through the IOMMU both ways.
  const IommuInfo iommu = session.container().iommu_info();
  for (std::uint64_t iova : {kIovaSource, kIovaTarget}) {
    const bool inside = iommu.iova_ranges.empty() ||
                        std::any_of(iommu.iova_ranges.begin(), iommu.iova_ranges.end(), [&](const IovaRange& r) {
                          return r.start <= iova && iova + kDmaBytes - 1 <= r.end;
                        });
    require(inside, "IOVA " + hex(iova) + " lies outside the IOMMU's ranges");
  }
  DmaBuffer source(session.container(), kIovaSource, kDmaBytes);
  DmaBuffer target(session.container(), kIovaTarget, kDmaBytes);
  require(
      refused([&] { DmaBuffer overlap(session.container(), kIovaSource, kDmaBytes); }, "VFIO_IOMMU_MAP_DMA", refusals),
      "a second mapping at the same IOVA was not refused");
  for (std::size_t i = 0; i < kDmaBytes; ++i) source.bytes()[i] = static_cast<std::byte>((i * 7 + 3) & 0xFF);
  run_dma(bar0, source.iova(), kEduBuffer, 0);
  wait_dma_done(bar0);
  run_dma(bar0, kEduBuffer, target.iova(), kDmaToRam | kDmaIrq);
  const Arrival done = wait_one(loop, "the DMA completion");
  require((bar0.read32(kRegIrqStatus) & kDmaDoneIrq) != 0, "MSI arrived but edu's status lacks the DMA-done bit");
  bar0.write32(kRegIrqAck, kDmaDoneIrq);
  wait_dma_done(bar0);
  require(std::memcmp(source.bytes().data(), target.bytes().data(), kDmaBytes) == 0,
          "DMA'd bytes differ from the source");

  // MSIs: each raise is one message; the eventfd must count exactly one per raise.
  std::vector<std::uint64_t> latency;
  std::uint64_t received = 0, merged = 0, last = done.time_ns;
  for (unsigned i = 0; i < msis; ++i) {
    const std::uint32_t bit = 1u << (i % 8);
    const std::uint64_t raised = ArrivalLoop::now_ns();
    bar0.write32(kRegIrqRaise, bit);
    const Arrival a = wait_one(loop, "raise " + std::to_string(i));
    require(a.vector == 0, "MSI on vector " + std::to_string(a.vector) + ", only vector 0 was enabled");
    require(a.time_ns >= last, "arrival timestamps went backwards");
    last = a.time_ns;
    received += a.count;
    merged += a.count - 1;
    latency.push_back(a.time_ns - raised);
    require((bar0.read32(kRegIrqStatus) & bit) != 0, "edu's status lacks the raised bit " + hex(bit));
    bar0.write32(kRegIrqAck, bit);
  }
  require(received == msis, std::to_string(received) + " MSIs counted for " + std::to_string(msis) + " raised");
  require(loop.wait(200ms).empty(), "an MSI arrived that nobody raised");
  const std::string recorded =
      record_options.path.empty() ? std::string("none") : record(session, bar0, loop, source, record_options);

  std::ostringstream line;
  line << "id=" << hex(id, 8) << " bar0=" << (bar0.mapped() ? "mmap" : "pread") << "+pread" << " dma=" << kDmaBytes
       << "B-roundtrip iova_ranges=" << iommu.iova_ranges.size() << " refusals=" << refusals << " msi=" << received
       << "/" << msis << " merged=" << merged << " raise_to_eventfd_ns " << irqrig::vm::spread(latency)
       << " recorded_events/arrivals=" << recorded;
  return line.str();
}

// The backend's real transport on the same device, once the session above is closed: config and
// BAR0 through it, edu's DMA in and out of the port's buffer, MSIs as timed arrivals of run_until.
std::string run_port(const std::string& bdf) {
  VfioCardPortOptions options;
  options.dma_bytes = 64 * 1024;
  options.dma_iova = 0x0030'0000;  // edu masks DMA to 28 bits
  VfioCardPort port(bdf, options);
  require(port.config_read(0x00, 4) == (std::uint32_t{kEduDevice} << 16 | kEduVendor), "the port reads no edu ID");
  const std::uint32_t command = port.config_read(ConfigSpace::kCommand, 2);
  port.config_write(ConfigSpace::kCommand, command | ConfigSpace::kCommandMemory | ConfigSpace::kCommandBusMaster, 2);
  require(port.bar_read(kRegId, 4) == 0x010000ed, "edu's ID through the port reads " + hex(port.bar_read(kRegId, 4)));
  require(port.dma_iova() == options.dma_iova, "the port moved its DMA buffer to " + hex(port.dma_iova()));

  const auto dma = [&](std::uint64_t src, std::uint64_t dst, std::uint64_t cmd) {
    port.bar_write(kRegDmaSrc, src, 8);
    port.bar_write(kRegDmaDst, dst, 8);
    port.bar_write(kRegDmaCount, kDmaBytes, 8);
    port.bar_write(kRegDmaCmd, cmd | kDmaStart, 8);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((port.bar_read(kRegDmaCmd, 8) & kDmaStart) != 0) {
      require(std::chrono::steady_clock::now() < deadline, "edu DMA through the port did not finish within 10 s");
      ::usleep(1000);
    }
  };
  const std::span<std::byte> memory = port.dma();
  for (std::size_t i = 0; i < kDmaBytes; ++i) memory[i] = static_cast<std::byte>((i * 13 + 5) & 0xFF);
  dma(port.dma_iova(), kEduBuffer, 0);
  dma(kEduBuffer, port.dma_iova() + 0x8000, kDmaToRam);
  require(std::memcmp(memory.data(), memory.data() + 0x8000, kDmaBytes) == 0,
          "DMA through the port's buffer came back different");

  port.set_irqs(CardIrqMode::kMsi, 1);
  constexpr unsigned kRaises = 16;
  std::uint64_t received = 0, last = 0;
  std::vector<CardArrival> arrivals;
  for (unsigned i = 0; i < kRaises; ++i) {
    const std::uint32_t bit = 1u << (i % 8);
    port.bar_write(kRegIrqRaise, bit, 4);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    arrivals.clear();
    while (arrivals.empty()) {
      require(std::chrono::steady_clock::now() < deadline, "no arrival through run_until for raise " + std::to_string(i));
      port.run_until(port.now_ps() + 1'000'000'000, arrivals);  // 1 ms of the card's clock
    }
    for (const CardArrival& a : arrivals) {
      require(a.vector == 0 && a.mode == CardIrqMode::kMsi, "an arrival on another vector or setting");
      require(a.time_ps >= last && a.time_ps <= port.now_ps(), "arrival times out of order or in the future");
      last = a.time_ps;
      received += a.count;
    }
    require((port.bar_read(kRegIrqStatus, 4) & bit) != 0, "edu's status lacks the raised bit " + hex(bit));
    port.bar_write(kRegIrqAck, bit, 4);
  }
  require(received == kRaises, std::to_string(received) + " arrivals through the port for " + std::to_string(kRaises));
  port.set_irqs(CardIrqMode::kNone, 0);
  require(port.irq_mode() == CardIrqMode::kNone, "the port's vectors are still on");
  return "port=VfioCardPort dma=" + std::to_string(kDmaBytes) + "B msi=" + std::to_string(received) + "/" +
         std::to_string(kRaises);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edu through VFIO: the guest side of irqrig's VM test"};
  std::string bdf;
  unsigned msis = 64;
  app.add_option("BDF", bdf, "PCI address of the edu device")->required();
  app.add_option("--msis", msis, "MSIs to raise and receive")->check(CLI::Range(1u, 100000u));
  RecordOptions record_options;
  app.add_option("--record", record_options.path, "Then make event records and write a recording here (docs/replay.md)");
  app.add_option("--scenario", record_options.scenario_path, "The scenario the recording names (with --record)");
  app.add_option("--events", record_options.events, "Event records to make (with --record)")
      ->check(CLI::Range(1u, kRingEntries));
  CLI11_PARSE(app, argc, argv);
  return irqrig::vm::report("edu", [&] { return run(bdf, msis, record_options) + " " + run_port(bdf); });
}
