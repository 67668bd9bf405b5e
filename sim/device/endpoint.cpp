#include "sim/device/endpoint.h"

#include "irqrig/regs.h"

namespace irqrig::sim {

void Endpoint::program_message(unsigned k, std::uint64_t address, std::uint32_t data, bool masked) {
  const std::uint64_t entry = regs::kMsixTableOffset + 16ull * k;
  device_.bar_write32(0, entry + 0, static_cast<std::uint32_t>(address));
  device_.bar_write32(0, entry + 4, static_cast<std::uint32_t>(address >> 32));
  device_.bar_write32(0, entry + 8, data);
  set_message_mask(k, masked);
}

void Endpoint::set_message_mask(unsigned k, bool masked) {
  device_.bar_write32(0, regs::kMsixTableOffset + 16ull * k + 12, masked ? 1u : 0u);
}

void Endpoint::set_msix_enable(bool enable) {
  // Message Control is the upper half of the capability's first DW: write just those bytes.
  const std::uint32_t control = device_.config_read(regs::kCfgMsixCap) >> 16;
  const std::uint32_t next = enable ? (control | 0x8000u) : (control & ~0x8000u);
  device_.config_write(regs::kCfgMsixCap, next << 16, 0xC);
}

unsigned Endpoint::msix_table_size() { return ((device_.config_read(regs::kCfgMsixCap) >> 16) & 0x7FF) + 1; }

void Endpoint::set_ring(std::uint64_t base, unsigned log2, std::uint64_t producer_address) {
  device_.bar_write32(0, regs::RING_BASE_LO, static_cast<std::uint32_t>(base));
  device_.bar_write32(0, regs::RING_BASE_HI, static_cast<std::uint32_t>(base >> 32));
  device_.bar_write32(0, regs::RING_LOG2, log2);
  device_.bar_write32(0, regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(producer_address));
  device_.bar_write32(0, regs::RING_PROD_ADDR_HI, static_cast<std::uint32_t>(producer_address >> 32));
}

void Endpoint::start_burst(const BurstProgram& b) {
  device_.bar_write32(0, regs::BURST_EVENTS, b.events);
  device_.bar_write32(0, regs::BURST_GAP, b.gap_cycles);
  device_.bar_write32(0, regs::BURST_PATTERN, b.pattern);
  device_.bar_write32(0, regs::BURST_SEED, b.seed);
  device_.bar_write32(0, regs::VLIST_LEN, static_cast<std::uint32_t>(b.vectors.size()));
  device_.bar_write32(0, regs::VLIST_IDX, 0);
  for (std::uint32_t v : b.vectors) device_.bar_write32(0, regs::VLIST_DATA, v);
  device_.bar_write32(0, regs::CTRL, regs::CTRL_START_MASK);
}

bool Endpoint::busy() { return device_.bar_read32(0, regs::STATUS) & regs::STATUS_BUSY_MASK; }

}  // namespace irqrig::sim
