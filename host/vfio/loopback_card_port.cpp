#include "host/vfio/loopback_card_port.h"

#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "irqrig/regs.h"
#include "sim/device/pci_caps.h"

namespace irqrig::host::vfio {
namespace {

using namespace sim::pci;

// A Device takes DW config writes with byte enables; the port's sized access is one of them.
std::uint8_t enables(std::uint16_t offset, unsigned size) {
  return static_cast<std::uint8_t>(((1u << size) - 1) << (offset & 3));
}

}  // namespace

LoopbackCardPort::LoopbackCardPort(std::unique_ptr<sim::Device> card, LoopbackOptions options)
    : card_(std::move(card)), options_(std::move(options)), memory_((options_.dma_bytes + 7) / 8, 0) {
  open_ps_ = card_->now_ps();
  card_->set_upstream_sink([this](sim::UpstreamWrite&& w) { on_write(std::move(w)); });
}

LoopbackCardPort::~LoopbackCardPort() { card_->set_upstream_sink({}); }

std::uint32_t LoopbackCardPort::config_read(std::uint16_t offset, unsigned size) {
  const std::uint32_t dw = card_->config_read(offset & ~3u);
  return size == 4 ? dw : (dw >> (8 * (offset & 3))) & ((1u << (8 * size)) - 1);
}

void LoopbackCardPort::config_write(std::uint16_t offset, std::uint32_t value, unsigned size) {
  card_->config_write(offset & ~3u, value << (8 * (offset & 3)), enables(offset, size));
}

void LoopbackCardPort::on_write(sim::UpstreamWrite&& w) {
  const std::uint64_t bytes = w.data.size() * 4;
  if (w.address >= options_.dma_iova && bytes <= options_.dma_bytes &&
      w.address - options_.dma_iova <= options_.dma_bytes - bytes) {
    auto* memory = reinterpret_cast<std::uint8_t*>(memory_.data());
    const std::uint64_t off = w.address - options_.dma_iova;
    for (std::size_t i = 0; i < w.data.size(); ++i) {
      std::uint8_t be = 0xF;
      if (i == 0) be = w.first_be;
      else if (i + 1 == w.data.size()) be = w.last_be;
      for (unsigned b = 0; b < 4; ++b)
        if (be >> b & 1) memory[off + i * 4 + b] = static_cast<std::uint8_t>(w.data[i] >> (8 * b));
    }
    return;
  }
  const std::uint64_t t = w.time_ps - open_ps_;
  if (w.address == kMsixAddress && w.data.size() == 1 && mode_ == CardIrqMode::kMsix &&
      w.data[0] - kMsixDataBase < count_) {
    arrived_.push_back({w.data[0] - kMsixDataBase, 1, t, CardIrqMode::kMsix});
    return;
  }
  if (w.address == kMsiAddress && w.data.size() == 1 && mode_ == CardIrqMode::kMsi &&
      (w.data[0] & ~(count_ - 1)) == kMsiDataBase) {
    arrived_.push_back({w.data[0] & (count_ - 1), 1, t, CardIrqMode::kMsi});
    return;
  }
  throw sim::DeviceError(fmt::format("{}: the card wrote {} bytes ({:#x}) at {:#x}, outside the DMA buffer at IOVA "
                                     "{:#x}+{:#x} and not a message the kernel programmed: an IOMMU fault",
                                     options_.name, bytes, w.data.empty() ? 0u : w.data[0], w.address,
                                     options_.dma_iova, options_.dma_bytes));
}

void LoopbackCardPort::set_irqs(CardIrqMode mode, unsigned count) {
  ++set_irqs_calls_;
  const std::uint32_t msix = card_->config_read(regs::kCfgMsixCap);
  const std::uint32_t msi = card_->config_read(regs::kCfgMsiCap);
  const unsigned table_size = ((msix >> 16) & 0x7FF) + 1;
  const unsigned msi_capable = 1u << ((msi >> kMsiMmcShift) & 7);
  // vfio-pci's refusals, before anything changes.
  if (mode == CardIrqMode::kMsix && (count == 0 || count > table_size))
    throw sim::DeviceError(fmt::format("{} offers {} MSI-X vectors, {} were asked for", options_.name, table_size, count));
  if (mode == CardIrqMode::kMsi && (count == 0 || count > msi_capable || !std::has_single_bit(count)))
    throw sim::DeviceError(fmt::format("{} offers {} MSI vectors, {} were asked for", options_.name, msi_capable, count));
  // Disable what is on, as the kernel does before it changes the setting.
  card_->config_write(regs::kCfgMsixCap, msix & ~(kMsixEnable | kMsixFunctionMask), 0xC);
  card_->config_write(regs::kCfgMsiCap, msi & ~kMsiEnable, 0x4);
  if (mode == CardIrqMode::kMsix) {
    // Entries the kernel used before and uses no more are masked again.
    for (unsigned k = count; k < count_ && mode_ == CardIrqMode::kMsix; ++k)
      card_->bar_write(0, regs::kMsixTableOffset + 16ull * k + 12, 1, 4);
    for (unsigned k = 0; k < count; ++k) {
      const std::uint64_t entry = regs::kMsixTableOffset + 16ull * k;
      card_->bar_write(0, entry, kMsixAddress, 8);
      card_->bar_write(0, entry + 8, kMsixDataBase + k, 8);  // data, and vector control 0: unmasked
    }
    card_->config_write(regs::kCfgMsixCap, (msix & ~kMsixFunctionMask) | kMsixEnable, 0xC);
  } else if (mode == CardIrqMode::kMsi) {
    card_->config_write(regs::kCfgMsiCap + kMsiAddressLo, static_cast<std::uint32_t>(kMsiAddress));
    card_->config_write(regs::kCfgMsiCap + kMsiAddressHi, static_cast<std::uint32_t>(kMsiAddress >> 32));
    card_->config_write(regs::kCfgMsiCap + kMsiData, kMsiDataBase);
    card_->config_write(regs::kCfgMsiCap + kMsiMask, 0);
    const std::uint32_t mme = static_cast<std::uint32_t>(std::countr_zero(count));
    card_->config_write(regs::kCfgMsiCap, (msi & ~(7u << kMsiMmeShift)) | mme << kMsiMmeShift | kMsiEnable, 0x4);
  }
  mode_ = mode;
  count_ = mode == CardIrqMode::kNone ? 0 : count;
}

void LoopbackCardPort::run_until(std::uint64_t time_ps, std::vector<CardArrival>& arrivals) {
  if (open_ps_ + time_ps > card_->now_ps()) card_->advance_to(open_ps_ + time_ps);
  arrivals.insert(arrivals.end(), arrived_.begin(), arrived_.end());
  arrived_.clear();
}

}  // namespace irqrig::host::vfio
