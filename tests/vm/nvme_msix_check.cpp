// The VM test's MSI-X half (tests/vm/run_vfio_vm.sh): QEMU's NVMe controller through the rig's VFIO
// layer - admin and I/O queues in DMA buffers, completions signalled on two MSI-X vectors, each
// received through its own eventfd. Prints one "irqrig-vm-result: nvme" line the script checks.
#include <linux/vfio.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "host/vfio/arrival_loop.h"
#include "host/vfio/config_space.h"
#include "host/vfio/dma_buffer.h"
#include "host/vfio/interrupts.h"
#include "host/vfio/region.h"
#include "host/vfio/session.h"
#include "tests/vm/guest_check.h"

namespace {

using namespace irqrig::host::vfio;
using namespace std::chrono_literals;
using irqrig::vm::hex;
using irqrig::vm::require;

// NVMe 1.4 controller registers (BAR0) and the few commands used.
constexpr std::uint64_t kRegCap = 0x00;
constexpr std::uint64_t kRegCc = 0x14;
constexpr std::uint64_t kRegCsts = 0x1C;
constexpr std::uint64_t kRegAqa = 0x24;
constexpr std::uint64_t kRegAsq = 0x28;
constexpr std::uint64_t kRegAcq = 0x30;
constexpr std::uint64_t kDoorbells = 0x1000;
constexpr std::uint8_t kAdminCreateSq = 0x01, kAdminCreateCq = 0x05, kAdminIdentify = 0x06, kIoFlush = 0x00;
constexpr std::uint16_t kQueueEntries = 16;  // small queues: the phase bit flips during the run
constexpr std::size_t kPage = 4096;
// One DMA buffer, one page each: admin SQ, admin CQ, identify data, I/O SQ, I/O CQ.
constexpr std::uint64_t kIovaBase = 0x0010'0000;
enum Page : std::uint64_t { kAdminSq, kAdminCq, kIdentify, kIoSq, kIoCq, kPages };

struct Sqe {
  std::uint32_t cdw0, nsid, cdw2, cdw3;
  std::uint64_t mptr, prp1, prp2;
  std::uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
static_assert(sizeof(Sqe) == 64, "an NVMe submission entry is 64 bytes");
struct Cqe {
  std::uint32_t dw0, dw1;
  std::uint16_t sq_head, sq_id, cid, status_phase;
};
static_assert(sizeof(Cqe) == 16, "an NVMe completion entry is 16 bytes");

// One submission/completion queue pair whose completions raise one MSI-X vector.
class QueuePair {
 public:
  QueuePair(Region& bar0, std::uint64_t stride, std::uint16_t qid, std::byte* sq, std::byte* cq, unsigned vector)
      : bar0_(bar0), stride_(stride), qid_(qid), sq_(sq), cq_(cq), vector_(vector) {}

  /// Submits one command; returns its command ID.
  std::uint16_t submit(Sqe sqe) {
    const std::uint16_t cid = next_cid_++;
    sqe.cdw0 |= static_cast<std::uint32_t>(cid) << 16;
    std::memcpy(sq_ + sq_tail_ * sizeof(Sqe), &sqe, sizeof(Sqe));
    sq_tail_ = static_cast<std::uint16_t>((sq_tail_ + 1) % kQueueEntries);
    bar0_.write32(kDoorbells + (2u * qid_) * stride_, sq_tail_);  // Region::write orders the entry first
    return cid;
  }

  /// Waits for the completion of `cid` through the arrival loop: it must come on this pair's
  /// vector, carry the expected phase and a success status. Returns the arrival.
  Arrival complete(ArrivalLoop& loop, std::uint16_t cid, const std::string& what) {
    const auto arrivals = loop.wait(5000ms);
    require(arrivals.size() == 1, "no MSI-X arrived for " + what + " within 5 s");
    require(arrivals[0].vector == vector_, what + " completed on MSI-X vector " + std::to_string(arrivals[0].vector) +
                                               ", its queue uses vector " + std::to_string(vector_));
    Cqe cqe{};
    std::atomic_thread_fence(std::memory_order_acquire);
    std::memcpy(&cqe, cq_ + cq_head_ * sizeof(Cqe), sizeof(Cqe));
    require((cqe.status_phase & 1u) == phase_, what + ": the completion entry's phase bit is stale");
    require(cqe.cid == cid,
            what + ": completion for command " + std::to_string(cqe.cid) + ", expected " + std::to_string(cid));
    require((cqe.status_phase >> 1) == 0, what + " failed with NVMe status " + hex(cqe.status_phase >> 1));
    cq_head_ = static_cast<std::uint16_t>((cq_head_ + 1) % kQueueEntries);
    if (cq_head_ == 0) phase_ ^= 1u;
    bar0_.write32(kDoorbells + (2u * qid_ + 1u) * stride_, cq_head_);
    return arrivals[0];
  }

 private:
  Region& bar0_;
  std::uint64_t stride_;
  std::uint16_t qid_;
  std::byte* sq_;
  std::byte* cq_;
  unsigned vector_;
  std::uint16_t sq_tail_ = 0, cq_head_ = 0, next_cid_ = 1;
  std::uint32_t phase_ = 1;
};

void wait_ready(const Region& bar0, bool ready, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (((bar0.read32(kRegCsts) & 1u) != 0) != ready) {
    require(std::chrono::steady_clock::now() < deadline, std::string("CSTS.RDY did not become ") + (ready ? "1" : "0"));
    std::this_thread::sleep_for(1ms);
  }
}

std::string run(const std::string& bdf, const std::string& serial, unsigned commands) {
  Session session(bdf);
  PciDevice& device = session.device();
  ConfigSpace config(device);
  require(config.find_capability(ConfigSpace::kCapMsix).has_value(), "the controller shows no MSI-X capability");
  config.enable_memory_and_bus_master();
  Region bar0(device.fd(), device.region_info(VFIO_PCI_BAR0_REGION_INDEX), "BAR0 of " + device.bdf());

  const std::uint64_t cap = bar0.read64(kRegCap);
  const std::uint64_t stride = 4u << ((cap >> 32) & 0xF);
  const auto timeout = std::chrono::milliseconds(500 * ((cap >> 24) & 0xFF) + 500);
  bar0.write32(kRegCc, 0);
  wait_ready(bar0, false, timeout);

  InterruptVectors msix(device, IrqKind::kMsix, 2);
  ArrivalLoop loop;
  loop.watch(msix);

  DmaBuffer memory(session.container(), kIovaBase, kPages * kPage);
  std::byte* base = memory.bytes().data();
  const auto iova = [&](Page p) { return memory.iova() + p * kPage; };
  bar0.write32(kRegAqa, (kQueueEntries - 1u) << 16 | (kQueueEntries - 1u));
  bar0.write64(kRegAsq, iova(kAdminSq));
  bar0.write64(kRegAcq, iova(kAdminCq));
  // Enable; NVM command set, 4 KiB pages, 64-byte SQ entries (2^6), 16-byte CQ entries (2^4).
  bar0.write32(kRegCc, 1u | 6u << 16 | 4u << 20);
  wait_ready(bar0, true, timeout);

  // The admin queue's completions use MSI-X vector 0.
  QueuePair admin(bar0, stride, 0, base + kAdminSq * kPage, base + kAdminCq * kPage, 0);
  Sqe identify{};
  identify.cdw0 = kAdminIdentify;
  identify.prp1 = iova(kIdentify);
  identify.cdw10 = 1;  // CNS 1: the controller
  // Every completion is counted on the vector it arrived on, set-up commands included.
  std::uint64_t per_vector[2] = {0, 0}, merged = 0;
  const auto count = [&](const Arrival& a) {
    per_vector[a.vector] += a.count;
    merged += a.count - 1;
    return a;
  };
  count(admin.complete(loop, admin.submit(identify), "Identify Controller"));
  std::uint16_t vid = 0;
  std::memcpy(&vid, base + kIdentify * kPage, sizeof(vid));
  const std::string sn(reinterpret_cast<const char*>(base + kIdentify * kPage + 4), 20);
  require(vid == config.vendor_id(), "Identify's PCI vendor ID " + hex(vid) + " differs from config space's");
  require(sn.rfind(serial, 0) == 0, "Identify's serial number '" + sn + "' is not '" + serial + "' (DMA went wrong)");

  // An I/O queue pair whose completions use MSI-X vector 1.
  Sqe create_cq{};
  create_cq.cdw0 = kAdminCreateCq;
  create_cq.prp1 = iova(kIoCq);
  create_cq.cdw10 = (kQueueEntries - 1u) << 16 | 1u;
  create_cq.cdw11 = 1u << 16 | 0x3u;  // interrupt vector 1, interrupts enabled, physically contiguous
  count(admin.complete(loop, admin.submit(create_cq), "Create I/O Completion Queue"));
  Sqe create_sq{};
  create_sq.cdw0 = kAdminCreateSq;
  create_sq.prp1 = iova(kIoSq);
  create_sq.cdw10 = (kQueueEntries - 1u) << 16 | 1u;
  create_sq.cdw11 = 1u << 16 | 0x1u;  // completion queue 1, physically contiguous
  count(admin.complete(loop, admin.submit(create_sq), "Create I/O Submission Queue"));
  QueuePair io(bar0, stride, 1, base + kIoSq * kPage, base + kIoCq * kPage, 1);

  // Alternate the queues: each completion must arrive on its own queue's vector, counted once.
  std::vector<std::uint64_t> latency;
  Sqe flush{};
  flush.cdw0 = kIoFlush;
  flush.nsid = 1;
  for (unsigned i = 0; i < commands; ++i) {
    const bool on_io = i % 2 == 0;
    const std::uint64_t submitted = ArrivalLoop::now_ns();
    const Arrival a = count(on_io ? io.complete(loop, io.submit(flush), "Flush " + std::to_string(i))
                                  : admin.complete(loop, admin.submit(identify), "Identify " + std::to_string(i)));
    latency.push_back(a.time_ns - submitted);
  }
  require(loop.wait(200ms).empty(), "an MSI-X arrived that no command caused");
  const std::uint64_t io_commands = (commands + 1) / 2, admin_commands = 3 + commands / 2;
  require(per_vector[0] == admin_commands && per_vector[1] == io_commands,
          "vector 0 counted " + std::to_string(per_vector[0]) + " of " + std::to_string(admin_commands) +
              " admin completions, vector 1 " + std::to_string(per_vector[1]) + " of " + std::to_string(io_commands) +
              " I/O completions");
  bar0.write32(kRegCc, 0);

  std::ostringstream line;
  line << "vid=" << hex(vid, 4) << " bar0=" << (bar0.mapped() ? "mmap" : "pread") << " msix_vectors=" << msix.count()
       << " vector0=" << per_vector[0] << " vector1=" << per_vector[1] << " merged=" << merged
       << " submit_to_eventfd_ns " << irqrig::vm::spread(latency);
  return line.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"NVMe through VFIO, MSI-X: the guest side of irqrig's VM test"};
  std::string bdf, serial = "irqrig-vm";
  unsigned commands = 40;
  app.add_option("BDF", bdf, "PCI address of the NVMe controller")->required();
  app.add_option("--serial", serial, "the serial number QEMU was given");
  app.add_option("--commands", commands, "commands after set-up, alternating I/O and admin queue")
      ->check(CLI::Range(2u, 100000u));
  CLI11_PARSE(app, argc, argv);
  return irqrig::vm::report("nvme", [&] { return run(bdf, serial, commands); });
}
