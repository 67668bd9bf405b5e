// The CardPort of a real card: a VFIO Session (container, group, device), BAR0 and config space,
// one DMA buffer in the IOMMU, MSI/MSI-X eventfds through VFIO_DEVICE_SET_IRQS and an ArrivalLoop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/vfio/arrival_loop.h"
#include "host/vfio/card_port.h"
#include "host/vfio/config_space.h"
#include "host/vfio/dma_buffer.h"
#include "host/vfio/interrupts.h"
#include "host/vfio/region.h"
#include "host/vfio/session.h"
#include "host/vfio/sysfs.h"

namespace irqrig::host::vfio {

struct VfioCardPortOptions {
  HostPaths paths;
  /// The DMA buffer: the event ring and the producer word (4 MiB: rings up to 2^17 records).
  std::size_t dma_bytes = std::size_t{4} << 20;
  /// Preferred IOVA of the buffer; moved into the IOMMU's reported ranges when outside them.
  std::uint64_t dma_iova = std::uint64_t{1} << 20;
};

class VfioCardPort final : public CardPort {
 public:
  /// Opens `bdf` (bound to vfio-pci), resets it when the kernel can, maps BAR0 and the DMA buffer.
  /// Throws VfioError with the layer's advice (bind it, IOMMU off, busy, permissions).
  explicit VfioCardPort(const std::string& bdf, VfioCardPortOptions options = {});
  ~VfioCardPort() override;

  const std::string& name() const override { return bdf_; }
  std::uint16_t requester_id() const override { return requester_id_; }
  std::uint32_t config_read(std::uint16_t offset, unsigned size) override { return config_.read(offset, size); }
  void config_write(std::uint16_t offset, std::uint32_t value, unsigned size) override {
    config_.write(offset, value, size);
  }
  std::uint64_t bar_read(std::uint64_t offset, unsigned size) override { return bar0_.read(offset, size); }
  void bar_write(std::uint64_t offset, std::uint64_t value, unsigned size) override { bar0_.write(offset, value, size); }
  std::span<std::byte> dma() override { return dma_->bytes(); }
  std::uint64_t dma_iova() const override { return dma_->iova(); }
  void set_irqs(CardIrqMode mode, unsigned count) override;
  CardIrqMode irq_mode() const override { return mode_; }
  std::uint64_t now_ps() override;
  void run_until(std::uint64_t time_ps, std::vector<CardArrival>& arrivals) override;

 private:
  void poll(std::chrono::milliseconds timeout, std::vector<CardArrival>& out);

  std::string bdf_;
  // Declaration order is the opening order; everything after session_ borrows from it.
  Session session_;
  ConfigSpace config_;
  Region bar0_;
  std::unique_ptr<DmaBuffer> dma_;
  std::unique_ptr<InterruptVectors> vectors_;
  std::unique_ptr<ArrivalLoop> loop_;
  CardIrqMode mode_ = CardIrqMode::kNone;
  std::vector<CardArrival> carried_;  // arrivals drained from a setting that was replaced
  std::uint16_t requester_id_ = 0;
  std::uint64_t open_ns_ = 0;
};

/// The IOVA for a buffer of `size` bytes: `preferred` when inside one of `ranges` (or when the
/// kernel reports none), else the lowest 2 MiB-aligned address inside the first range that fits.
/// Throws VfioError when none does.
std::uint64_t choose_iova(const std::vector<IovaRange>& ranges, std::uint64_t preferred, std::uint64_t size);

}  // namespace irqrig::host::vfio
