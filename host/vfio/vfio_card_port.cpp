#include "host/vfio/vfio_card_port.h"

#include <linux/vfio.h>

#include <thread>

#include "host/vfio/error.h"

namespace irqrig::host::vfio {
namespace {

std::uint16_t requester_id_of(const std::string& bdf) {
  // "dddd:bb:dd.f": bus 8 bits, device 5, function 3.
  const unsigned bus = static_cast<unsigned>(std::stoul(bdf.substr(5, 2), nullptr, 16));
  const unsigned dev = static_cast<unsigned>(std::stoul(bdf.substr(8, 2), nullptr, 16));
  const unsigned fn = static_cast<unsigned>(std::stoul(bdf.substr(11, 1), nullptr, 16));
  return static_cast<std::uint16_t>(bus << 8 | dev << 3 | fn);
}

Region bar0_of(const PciDevice& device) {
  return Region(device.fd(), device.region_info(VFIO_PCI_BAR0_REGION_INDEX), "BAR0 of " + device.bdf());
}

PciDevice& reset_if_possible(PciDevice& device) {
  // A card from an earlier session starts from its reset state where the kernel can reset it.
  if (device.can_reset()) device.reset();
  return device;
}

}  // namespace

std::uint64_t choose_iova(const std::vector<IovaRange>& ranges, std::uint64_t preferred, std::uint64_t size) {
  if (ranges.empty()) return preferred;
  for (const IovaRange& r : ranges)
    if (preferred >= r.start && preferred + size - 1 <= r.end) return preferred;
  constexpr std::uint64_t kAlign = std::uint64_t{2} << 20;
  for (const IovaRange& r : ranges) {
    const std::uint64_t start = (r.start + kAlign - 1) / kAlign * kAlign;
    if (start >= r.start && start + size - 1 <= r.end && start + size - 1 >= start) return start;
  }
  throw VfioError("the IOMMU reports no I/O virtual address range that holds a DMA buffer of " + std::to_string(size) +
                  " bytes");
}

VfioCardPort::VfioCardPort(const std::string& bdf, VfioCardPortOptions options)
    : bdf_(canonical_bdf(bdf)),
      session_(bdf_, options.paths),
      config_(reset_if_possible(session_.device())),
      bar0_(bar0_of(session_.device())),
      requester_id_(requester_id_of(bdf_)),
      open_ns_(ArrivalLoop::now_ns()) {
  const std::uint64_t iova = choose_iova(session_.container().iommu_info().iova_ranges, options.dma_iova,
                                         options.dma_bytes);
  dma_ = std::make_unique<DmaBuffer>(session_.container(), iova, options.dma_bytes);
}

VfioCardPort::~VfioCardPort() {
  // Vectors and the loop go before the DMA mapping and the session (member order does the rest).
  loop_.reset();
  vectors_.reset();
}

void VfioCardPort::set_irqs(CardIrqMode mode, unsigned count) {
  // What already fired under the old setting is kept: its eventfds close now.
  if (loop_) poll(std::chrono::milliseconds(0), carried_);
  loop_.reset();
  vectors_.reset();
  mode_ = CardIrqMode::kNone;
  if (mode == CardIrqMode::kNone) return;
  vectors_ = std::make_unique<InterruptVectors>(session_.device(), mode == CardIrqMode::kMsi ? IrqKind::kMsi : IrqKind::kMsix,
                                                count);
  loop_ = std::make_unique<ArrivalLoop>();
  loop_->watch(*vectors_);
  mode_ = mode;
}

std::uint64_t VfioCardPort::now_ps() { return (ArrivalLoop::now_ns() - open_ns_) * 1000; }

void VfioCardPort::poll(std::chrono::milliseconds timeout, std::vector<CardArrival>& out) {
  for (const Arrival& a : loop_->wait(timeout))
    out.push_back({a.vector, a.count, (a.time_ns - open_ns_) * 1000, mode_});
}

void VfioCardPort::run_until(std::uint64_t time_ps, std::vector<CardArrival>& arrivals) {
  arrivals.insert(arrivals.end(), carried_.begin(), carried_.end());
  carried_.clear();
  const std::uint64_t deadline_ns = open_ns_ + (time_ps + 999) / 1000;
  for (;;) {
    const std::uint64_t now = ArrivalLoop::now_ns();
    if (now >= deadline_ns) {
      if (loop_) poll(std::chrono::milliseconds(0), arrivals);
      return;
    }
    // epoll counts in milliseconds: sleep in it while more than 2 ms remain, then poll without
    // blocking, which also timestamps the last arrivals closest to their real time.
    const std::uint64_t remaining = deadline_ns - now;
    const std::chrono::milliseconds timeout(remaining >= 2'000'000 ? remaining / 1'000'000 - 1 : 0);
    if (loop_) {
      poll(timeout, arrivals);
    } else if (timeout.count() > 0) {
      std::this_thread::sleep_for(timeout);
    }
  }
}

}  // namespace irqrig::host::vfio
