// A CardPort with no kernel and no card: any sim::Device (the Verilated RTL) plays the card, a
// plain buffer plays the IOMMU-mapped DMA memory, and this class plays the kernel's MSI/MSI-X side.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/vfio/card_port.h"
#include "sim/device/device.h"

namespace irqrig::host::vfio {

struct LoopbackOptions {
  std::string name = "loopback";
  std::uint64_t dma_iova = 0x8000'0000ull;
  std::size_t dma_bytes = std::size_t{1} << 20;  ///< rings up to 2^15 records
};

/// The VFIO transport with the card replaced by a device model, so that VfioDevice's logic runs
/// without a card: BAR and config accesses go to the device, its writes into the DMA window land
/// in the buffer, and its messages to the addresses this "kernel" programmed become arrivals of
/// the vector whose entry they hit, at the device's time. A write anywhere else is what an IOMMU
/// would fault on: it throws sim::DeviceError.
class LoopbackCardPort final : public CardPort {
 public:
  /// Where the fake kernel points the card's MSI-X entries and its MSI capability.
  static constexpr std::uint64_t kMsixAddress = 0xFEE0'0000ull, kMsiAddress = 0xFEE0'1000ull;
  static constexpr std::uint32_t kMsixDataBase = 0x4000, kMsiDataBase = 0x4100;

  explicit LoopbackCardPort(std::unique_ptr<sim::Device> card, LoopbackOptions options = {});
  ~LoopbackCardPort() override;

  const std::string& name() const override { return options_.name; }
  std::uint16_t requester_id() const override { return 0x0100; }
  std::uint32_t config_read(std::uint16_t offset, unsigned size) override;
  void config_write(std::uint16_t offset, std::uint32_t value, unsigned size) override;
  std::uint64_t bar_read(std::uint64_t offset, unsigned size) override { return card_->bar_read(0, offset, size); }
  void bar_write(std::uint64_t offset, std::uint64_t value, unsigned size) override {
    card_->bar_write(0, offset, value, size);
  }
  std::span<std::byte> dma() override { return {reinterpret_cast<std::byte*>(memory_.data()), options_.dma_bytes}; }
  std::uint64_t dma_iova() const override { return options_.dma_iova; }
  void set_irqs(CardIrqMode mode, unsigned count) override;
  CardIrqMode irq_mode() const override { return mode_; }
  std::uint64_t now_ps() override { return card_->now_ps() - open_ps_; }
  void run_until(std::uint64_t time_ps, std::vector<CardArrival>& arrivals) override;

  sim::Device& card() { return *card_; }
  /// How many VFIO_DEVICE_SET_IRQS the fake kernel carried out, and with which count last.
  unsigned set_irqs_calls() const { return set_irqs_calls_; }
  unsigned irq_count() const { return count_; }

 private:
  void on_write(sim::UpstreamWrite&& w);

  std::unique_ptr<sim::Device> card_;
  LoopbackOptions options_;
  std::vector<std::uint64_t> memory_;  // 8-byte words: aligned like the pages of a real buffer
  std::uint64_t open_ps_ = 0;
  CardIrqMode mode_ = CardIrqMode::kNone;
  unsigned count_ = 0;
  unsigned set_irqs_calls_ = 0;
  std::vector<CardArrival> arrived_;  // since the last run_until
};

}  // namespace irqrig::host::vfio
