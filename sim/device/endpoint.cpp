#include "sim/device/endpoint.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "irqrig/regs.h"

namespace irqrig::sim {
namespace {

// Offsets and bits fixed by the PCI Local Bus Spec 3.0 6.8 (Linux pci_regs.h names), relative to
// the capability; the register description places the capabilities.
constexpr std::uint16_t kMsiAddressLo = 0x4, kMsiAddressHi = 0x8, kMsiData = 0xC, kMsiMask = 0x10,
                        kMsiPending = 0x14;
constexpr std::uint32_t kMsiEnable = 1u << 0, kMsiQmaskShift = 1, kMsiQsizeShift = 4;
constexpr std::uint32_t kMsixEnable = 1u << 15, kMsixFunctionMask = 1u << 14;
constexpr std::uint32_t kMsixEntryBytes = 16, kMsixVectorControl = 12;
// One ITR unit of MOD_ITR.
constexpr std::uint32_t kItrUnitNs = 256;

std::uint32_t field(std::uint32_t reg, std::uint32_t mask, std::uint32_t shift) { return (reg & mask) >> shift; }

}  // namespace

// ---- MSI-X ------------------------------------------------------------------------------------

unsigned Endpoint::msix_table_size() {
  if (!table_size_) table_size_ = ((device_.config_read(regs::kCfgMsixCap) >> 16) & 0x7FF) + 1;
  return *table_size_;
}

unsigned Endpoint::checked_vector(unsigned k) {
  if (k >= msix_table_size())
    throw EndpointError(fmt::format("vector {} is past the device's {} vectors", k, msix_table_size()));
  return k;
}

void Endpoint::program_message(unsigned k, std::uint64_t address, std::uint32_t data, bool masked) {
  const std::uint64_t entry = regs::kMsixTableOffset + std::uint64_t{kMsixEntryBytes} * checked_vector(k);
  device_.bar_write32(0, entry + 0, static_cast<std::uint32_t>(address));
  device_.bar_write32(0, entry + 4, static_cast<std::uint32_t>(address >> 32));
  device_.bar_write32(0, entry + 8, data);
  set_message_mask(k, masked);
}

void Endpoint::set_message_mask(unsigned k, bool masked) {
  const std::uint64_t entry = regs::kMsixTableOffset + std::uint64_t{kMsixEntryBytes} * checked_vector(k);
  device_.bar_write32(0, entry + kMsixVectorControl, masked ? 1u : 0u);
}

bool Endpoint::message_masked(unsigned k) {
  const std::uint64_t entry = regs::kMsixTableOffset + std::uint64_t{kMsixEntryBytes} * checked_vector(k);
  return (device_.bar_read32(0, entry + kMsixVectorControl) & 1u) != 0;
}

void Endpoint::set_msix_enable(bool enable) {
  // Message Control is the upper half of the capability's first DW: write just those bytes.
  const std::uint32_t control = device_.config_read(regs::kCfgMsixCap) >> 16;
  const std::uint32_t next = enable ? (control | kMsixEnable) : (control & ~kMsixEnable);
  device_.config_write(regs::kCfgMsixCap, next << 16, 0xC);
}

void Endpoint::set_msix_function_mask(bool masked) {
  const std::uint32_t control = device_.config_read(regs::kCfgMsixCap) >> 16;
  const std::uint32_t next = masked ? (control | kMsixFunctionMask) : (control & ~kMsixFunctionMask);
  device_.config_write(regs::kCfgMsixCap, next << 16, 0xC);
}

bool Endpoint::msix_pending(unsigned k) {
  const std::uint32_t word = device_.bar_read32(0, regs::kMsixPbaOffset + 4ull * (checked_vector(k) / 32));
  return (word >> (k % 32)) & 1u;
}

// ---- MSI --------------------------------------------------------------------------------------

std::uint32_t Endpoint::msi_control() { return device_.config_read(regs::kCfgMsiCap) >> 16; }

void Endpoint::write_msi_control(std::uint32_t control) {
  // Enable and Multiple Message Enable sit in Message Control's low byte (byte 2 of the DW).
  device_.config_write(regs::kCfgMsiCap, control << 16, 0x4);
}

unsigned Endpoint::msi_vectors_capable() { return 1u << ((msi_control() >> kMsiQmaskShift) & 0x7); }

void Endpoint::program_msi(const MsiProgram& msi) {
  const unsigned capable = msi_vectors_capable();
  if (msi.vectors == 0 || !std::has_single_bit(msi.vectors) || msi.vectors > capable)
    throw EndpointError(fmt::format("MSI vectors {}: must be a power of two from 1 to the device's {}", msi.vectors,
                                    capable));
  if (msi.address & 3) throw EndpointError(fmt::format("MSI address {:#x} is not DW-aligned", msi.address));
  device_.config_write(regs::kCfgMsiCap + kMsiAddressLo, static_cast<std::uint32_t>(msi.address));
  device_.config_write(regs::kCfgMsiCap + kMsiAddressHi, static_cast<std::uint32_t>(msi.address >> 32));
  device_.config_write(regs::kCfgMsiCap + kMsiData, msi.data);
  const std::uint32_t mme = static_cast<std::uint32_t>(std::countr_zero(msi.vectors));
  write_msi_control((msi_control() & ~(0x7u << kMsiQsizeShift)) | mme << kMsiQsizeShift);
}

void Endpoint::set_msi_enable(bool enable) {
  const std::uint32_t control = msi_control();
  write_msi_control(enable ? (control | kMsiEnable) : (control & ~kMsiEnable));
}

void Endpoint::set_msi_mask(unsigned k, bool masked) {
  if (k >= msi_vectors_capable())
    throw EndpointError(fmt::format("MSI vector {} is past the device's {} capable", k, msi_vectors_capable()));
  const std::uint32_t bits = msi_mask_bits();
  device_.config_write(regs::kCfgMsiCap + kMsiMask, masked ? (bits | 1u << k) : (bits & ~(1u << k)));
}

std::uint32_t Endpoint::msi_mask_bits() { return device_.config_read(regs::kCfgMsiCap + kMsiMask); }

std::uint32_t Endpoint::msi_pending_bits() { return device_.config_read(regs::kCfgMsiCap + kMsiPending); }

// ---- Moderation -------------------------------------------------------------------------------

void Endpoint::set_moderation(unsigned vector, const Moderation& m) {
  checked_vector(vector);
  std::uint32_t itr_units = 0;
  if (m.itr_ns > 0) {
    itr_units = std::max<std::uint32_t>(1, (m.itr_ns + kItrUnitNs / 2) / kItrUnitNs);
    if (itr_units > 0xFFFF)
      throw EndpointError(fmt::format("itr_ns {} is longer than the device's {} ns", m.itr_ns, 0xFFFFu * kItrUnitNs));
  } else {
    if (m.frames == 0 && m.usecs == 0)
      throw EndpointError("moderation frames 0 with usecs 0 is illegal (ethtool): use frames 1 for off");
    if (m.frames > 0xFFFF || m.usecs > 0xFFFF)
      throw EndpointError(fmt::format("moderation frames {} / usecs {}: each must be at most 65535", m.frames,
                                      m.usecs));
  }
  device_.bar_write32(0, regs::MOD_IDX, vector);
  // Throttling first off, then the new coalescing, then ITR: the vector never runs a mix.
  device_.bar_write32(0, regs::MOD_ITR, 0);
  const std::uint32_t frames = m.itr_ns > 0 ? 1 : m.frames, usecs = m.itr_ns > 0 ? 0 : m.usecs;
  device_.bar_write32(0, regs::MOD_CFG,
                      frames << regs::MOD_CFG_FRAMES_SHIFT | usecs << regs::MOD_CFG_USECS_SHIFT);
  if (itr_units) device_.bar_write32(0, regs::MOD_ITR, itr_units << regs::MOD_ITR_INTERVAL_SHIFT);
}

Moderation Endpoint::moderation(unsigned vector) {
  checked_vector(vector);
  device_.bar_write32(0, regs::MOD_IDX, vector);
  const std::uint32_t cfg = device_.bar_read32(0, regs::MOD_CFG);
  const std::uint32_t itr = device_.bar_read32(0, regs::MOD_ITR);
  return {field(cfg, regs::MOD_CFG_FRAMES_MASK, regs::MOD_CFG_FRAMES_SHIFT),
          field(cfg, regs::MOD_CFG_USECS_MASK, regs::MOD_CFG_USECS_SHIFT),
          field(itr, regs::MOD_ITR_INTERVAL_MASK, regs::MOD_ITR_INTERVAL_SHIFT) * kItrUnitNs};
}

// ---- Acknowledge mode -------------------------------------------------------------------------

void Endpoint::set_ack_mode(bool on) {
  device_.bar_write32(0, regs::IRQ_CTRL, on ? regs::IRQ_CTRL_ACK_MODE_MASK : 0u);
}

bool Endpoint::ack_mode() { return (device_.bar_read32(0, regs::IRQ_CTRL) & regs::IRQ_CTRL_ACK_MODE_MASK) != 0; }

void Endpoint::acknowledge(unsigned vector) { device_.bar_write32(0, regs::IRQ_ACK, checked_vector(vector)); }

// ---- Event ring -------------------------------------------------------------------------------

void Endpoint::set_ring(std::uint64_t base, unsigned log2, std::uint64_t producer_address, RingFull on_full) {
  if (log2 > 27) throw EndpointError(fmt::format("ring of 2^{} records: at most 2^27", log2));
  if (base % regs::kRecordBytes) throw EndpointError(fmt::format("ring base {:#x} is not 16-byte aligned", base));
  if (producer_address & 3)
    throw EndpointError(fmt::format("producer address {:#x} is not DW-aligned", producer_address));
  device_.bar_write32(0, regs::RING_BASE_LO, static_cast<std::uint32_t>(base));
  device_.bar_write32(0, regs::RING_BASE_HI, static_cast<std::uint32_t>(base >> 32));
  device_.bar_write32(0, regs::RING_LOG2, log2);
  device_.bar_write32(0, regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(producer_address));
  device_.bar_write32(0, regs::RING_PROD_ADDR_HI, static_cast<std::uint32_t>(producer_address >> 32));
  set_ring_on_full(on_full);
}

void Endpoint::set_ring_on_full(RingFull on_full) {
  device_.bar_write32(0, regs::RING_CTRL, on_full == RingFull::kDrop ? regs::RING_CTRL_DROP_ON_FULL_MASK : 0u);
}

void Endpoint::set_ring_consumer(std::uint32_t consumer) { device_.bar_write32(0, regs::RING_CONS, consumer); }

std::uint32_t Endpoint::ring_producer() { return device_.bar_read32(0, regs::RING_PROD); }

// ---- Burst engine -----------------------------------------------------------------------------

void Endpoint::start_burst(const BurstProgram& b) {
  if (b.vectors.empty() || b.vectors.size() > 64)
    throw EndpointError(fmt::format("a burst lists 1 to 64 vectors, not {}", b.vectors.size()));
  if (b.pattern > 2) throw EndpointError(fmt::format("burst pattern {}: 0, 1 or 2", b.pattern));
  for (std::uint32_t v : b.vectors) {
    if (v > 0xFFFF) throw EndpointError(fmt::format("burst vector {} does not fit the record's 16 bits", v));
  }
  device_.bar_write32(0, regs::BURST_EVENTS, b.events);
  device_.bar_write32(0, regs::BURST_GAP, b.gap_cycles);
  device_.bar_write32(0, regs::BURST_PATTERN, b.pattern);
  device_.bar_write32(0, regs::BURST_SEED, b.seed);
  device_.bar_write32(0, regs::BURST_REPEAT, b.repeat);
  device_.bar_write32(0, regs::BURST_PAUSE, b.pause_cycles);
  device_.bar_write32(0, regs::VLIST_LEN, static_cast<std::uint32_t>(b.vectors.size()));
  device_.bar_write32(0, regs::VLIST_IDX, 0);
  for (std::uint32_t v : b.vectors) device_.bar_write32(0, regs::VLIST_DATA, v);
  device_.bar_write32(0, regs::CTRL, regs::CTRL_START_MASK);
}

void Endpoint::stop() { device_.bar_write32(0, regs::CTRL, regs::CTRL_STOP_MASK); }

void Endpoint::abort() { device_.bar_write32(0, regs::CTRL, regs::CTRL_ABORT_MASK); }

bool Endpoint::busy() { return device_.bar_read32(0, regs::STATUS) & regs::STATUS_BUSY_MASK; }

EndpointStatus Endpoint::status() {
  const std::uint32_t s = device_.bar_read32(0, regs::STATUS);
  return {(s & regs::STATUS_BUSY_MASK) != 0, (s & regs::STATUS_RING_FULL_MASK) != 0,
          (s & regs::STATUS_RING_OVERFLOW_MASK) != 0, (s & regs::STATUS_GENERATING_MASK) != 0,
          (s & regs::STATUS_MOD_HELD_MASK) != 0};
}

EndpointCounters Endpoint::counters() {
  auto rd = [this](std::uint32_t offset) -> std::uint64_t { return device_.bar_read32(0, offset); };
  EndpointCounters c;
  c.events = rd(regs::CNT_EVENTS);
  c.msi_sent = rd(regs::CNT_MSI_SENT);
  c.msi_pending_on_mask = rd(regs::CNT_MSI_PENDED);
  c.moderation_coalesced = rd(regs::CNT_MOD_COALESCED);
  c.moderation_fired = rd(regs::CNT_MOD_FIRED);
  c.ring_full_stalls = rd(regs::CNT_RING_FULL);
  c.ring_overflows = rd(regs::CNT_RING_OVERFLOW);
  c.dma_writes = rd(regs::CNT_DMA_WRITES);
  c.aborted = rd(regs::CNT_ABORTED);
  c.bad_vector = rd(regs::CNT_BAD_VECTOR);
  c.ack_suppressed = rd(regs::CNT_ACK_SUPPRESSED);
  return c;
}

void Endpoint::clear_counters() { device_.bar_write32(0, regs::CTRL, regs::CTRL_CLEAR_MASK); }

}  // namespace irqrig::sim
