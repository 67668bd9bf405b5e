#include "host/vfio/vfio_device.h"

#include <algorithm>
#include <atomic>
#include <bit>

#include <fmt/format.h>

#include "host/vfio/error.h"
#include "host/vfio/vfio_card_port.h"
#include "irqrig/regs.h"
#include "sim/device/pci_caps.h"

namespace irqrig::host::vfio {
namespace {

using namespace sim::pci;

constexpr std::uint32_t kIdValue = 0x49525152u;  // "IRQR", the ID register of every irqrig build
constexpr std::uint16_t kCommandMemoryAndBusMaster = (1u << 1) | (1u << 2);
constexpr std::uint64_t kMsixEntryBytes = 16;
constexpr std::uint64_t kPage = 4096;

void check_access(const CardPort& port, unsigned bar, std::uint64_t offset, unsigned size) {
  if (bar != 0) throw sim::DeviceError(fmt::format("{}: BAR{} does not exist, an irqrig card has BAR0 only", port.name(), bar));
  if (size != 1 && size != 2 && size != 4 && size != 8)
    throw sim::DeviceError(fmt::format("{}: MMIO access of {} bytes: only 1, 2, 4 and 8 exist", port.name(), size));
  if (offset % size)
    throw sim::DeviceError(fmt::format("{}: MMIO access of {} bytes at {:#x} is misaligned", port.name(), size, offset));
  if (offset + size > (std::uint64_t{1} << regs::kBar0SizeLog2))
    throw sim::DeviceError(fmt::format("{}: MMIO access at {:#x} is past BAR0's {:#x} bytes", port.name(), offset,
                                       std::uint64_t{1} << regs::kBar0SizeLog2));
}

// Free-running ring indices: `a` comes before `b`.
bool before(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(b - a) > 0; }

std::uint32_t load32(std::span<std::byte> memory, std::uint64_t offset) {
  // The card writes this memory behind the compiler's back (DMA): load it as shared data.
  auto* word = reinterpret_cast<std::uint32_t*>(memory.data() + offset);
  return std::atomic_ref<std::uint32_t>(*word).load(std::memory_order_acquire);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Opening

VfioDevice::VfioDevice(std::unique_ptr<CardPort> port, VfioDeviceOptions options)
    : port_(std::move(port)), options_(options) {
  check_identity();
  quiesce_and_point_ring();
  calibrate();
  now_ps_ = emitted_ps_ = port_->now_ps();
}

VfioDevice::~VfioDevice() {
  // Leave the card quiet: no burst running on, no vector wired to the eventfds that close now.
  try {
    port_->bar_write(regs::CTRL, regs::CTRL_ABORT_MASK, 4);
    port_->set_irqs(CardIrqMode::kNone, 0);
  } catch (const std::exception&) {
    // A card that failed already (the reason was thrown to the run) cannot be quietened further.
  }
}

void VfioDevice::check_identity() {
  const std::string& name = port_->name();
  const std::uint32_t id = port_->config_read(0x00, 4);
  if ((id & 0xFFFF) != regs::kVendorId || (id >> 16) != regs::kDeviceId)
    throw sim::DeviceError(fmt::format(
        "{} is {:04x}:{:04x}, not an irqrig card ({:04x}:{:04x}): check the address with 'lspci -D -d {:04x}:{:04x}'",
        name, id & 0xFFFF, id >> 16, regs::kVendorId, regs::kDeviceId, regs::kVendorId, regs::kDeviceId));
  // Memory Space and Bus Master Enable: off after binding to vfio-pci, and without them the BAR
  // reads fail and every DMA and MSI is dropped.
  const std::uint32_t command = port_->config_read(regs::kCfgCommand, 2);
  port_->config_write(regs::kCfgCommand, command | kCommandMemoryAndBusMaster, 2);
  const std::uint32_t reg_id = static_cast<std::uint32_t>(port_->bar_read(regs::ID, 4));
  if (reg_id != kIdValue)
    throw sim::DeviceError(fmt::format("{}: BAR0 ID register reads {:#010x}, not 'IRQR' ({:#010x}): the card carries no "
                                       "irqrig gateware; load firmware/ (docs/firmware.md)",
                                       name, reg_id, kIdValue));
  const std::uint32_t hash = static_cast<std::uint32_t>(port_->bar_read(regs::REGMAP_HASH, 4));
  if (hash != regs::kRegmapHash)
    throw sim::DeviceError(fmt::format("{}: REGMAP_HASH {:08x} differs from this build's {:08x}: the gateware was built "
                                       "from another rtl/regs/irqrig_regs.json; rebuild firmware/ from this tree "
                                       "(docs/firmware.md)",
                                       name, hash, regs::kRegmapHash));
  const std::uint32_t caps = static_cast<std::uint32_t>(port_->bar_read(regs::CAPS, 4));
  const std::uint32_t mhz = (caps & regs::CAPS_CLK_MHZ_MASK) >> regs::CAPS_CLK_MHZ_SHIFT;
  if (mhz == 0) throw sim::DeviceError(fmt::format("{}: CAPS.CLK_MHZ reads 0", name));
  cycle_ps_ = 1'000'000 / mhz;

  // The capabilities the shadow stands in for, where the register description puts them.
  const std::uint32_t msix = port_->config_read(regs::kCfgMsixCap, 4);
  const std::uint32_t msi = port_->config_read(regs::kCfgMsiCap, 4);
  if ((msix & 0xFF) != kCapIdMsix || (msi & 0xFF) != kCapIdMsi)
    throw sim::DeviceError(fmt::format("{}: no MSI-X capability at {:#x} or no MSI capability at {:#x}: not the irqrig "
                                       "configuration space",
                                       name, regs::kCfgMsixCap, regs::kCfgMsiCap));
  if (!(msi & kMsi64Bit) || !(msi & kMsiPerVectorMask))
    throw sim::DeviceError(fmt::format("{}: its MSI capability is not 64-bit with per-vector masking", name));
  table_size_ = ((msix >> 16) & 0x7FF) + 1;
  const std::uint32_t table = port_->config_read(regs::kCfgMsixCap + 4, 4);
  const std::uint32_t pba = port_->config_read(regs::kCfgMsixCap + 8, 4);
  if (table != regs::kMsixTableOffset || pba != regs::kMsixPbaOffset)
    throw sim::DeviceError(fmt::format("{}: MSI-X table at {:#x} and PBA at {:#x}, expected BAR0 {:#x} and {:#x}", name,
                                       table, pba, regs::kMsixTableOffset, regs::kMsixPbaOffset));
  msi_capable_log2_ = (msi >> kMsiMmcShift) & 7;
  table_.assign(table_size_, MsixEntry{});
  pba_.assign((table_size_ + 31) / 32, 0);
}

void VfioDevice::quiesce_and_point_ring() {
  // A card may come from an earlier session: no burst, counters from zero, every vector armed.
  port_->bar_write(regs::CTRL, regs::CTRL_ABORT_MASK | regs::CTRL_CLEAR_MASK, 4);
  port_->bar_write(regs::IRQ_CTRL, 0, 4);
  port_->set_irqs(CardIrqMode::kNone, 0);
  applied_mode_ = CardIrqMode::kNone;

  // The DMA buffer: the ring from its start, the producer word on its last page.
  const std::span<std::byte> dma = port_->dma();
  if (dma.size() < 2 * kPage)
    throw sim::DeviceError(fmt::format("{}: a DMA buffer of {} bytes cannot hold a ring", port_->name(), dma.size()));
  producer_offset_ = dma.size() - kPage;
  max_ring_log2_ = static_cast<unsigned>(std::bit_width(producer_offset_ / regs::kRecordBytes) - 1);
  const std::uint64_t iova = port_->dma_iova();
  const std::uint64_t producer_iova = iova + producer_offset_;
  port_->bar_write(regs::RING_BASE_LO, static_cast<std::uint32_t>(iova), 4);
  port_->bar_write(regs::RING_BASE_HI, static_cast<std::uint32_t>(iova >> 32), 4);
  port_->bar_write(regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(producer_iova), 4);
  port_->bar_write(regs::RING_PROD_ADDR_HI, static_cast<std::uint32_t>(producer_iova >> 32), 4);
  ring_log2_ = static_cast<unsigned>(port_->bar_read(regs::RING_LOG2, 4)) & 0x1F;
  if (ring_log2_ > max_ring_log2_) {
    port_->bar_write(regs::RING_LOG2, 0, 4);
    ring_log2_ = 0;
  }
  // RING_PROD is free-running and survives sessions: the hand-over starts where the card is.
  records_emitted_ = producers_emitted_ = static_cast<std::uint32_t>(port_->bar_read(regs::RING_PROD, 4));
  auto* word = reinterpret_cast<std::uint32_t*>(dma.data() + producer_offset_);
  std::atomic_ref<std::uint32_t>(*word).store(records_emitted_, std::memory_order_release);
}

// ---------------------------------------------------------------------------------------------
// Time

void VfioDevice::calibrate() {
  // TIME_LO latches TIME_HI; the read happened somewhere between the two clock readings.
  const std::uint64_t before = port_->now_ps();
  const std::uint64_t lo = port_->bar_read(regs::TIME_LO, 4);
  const std::uint64_t after = port_->now_ps();
  const std::uint64_t hi = port_->bar_read(regs::TIME_HI, 4);
  anchor_cycles_ = hi << 32 | lo;
  anchor_ps_ = before + (after - before) / 2;
}

std::uint64_t VfioDevice::card_cycles_to_ps(std::uint64_t card_cycles) const {
  if (card_cycles >= anchor_cycles_) return anchor_ps_ + (card_cycles - anchor_cycles_) * cycle_ps_;
  const std::uint64_t back = (anchor_cycles_ - card_cycles) * cycle_ps_;
  return back > anchor_ps_ ? 0 : anchor_ps_ - back;
}

std::uint64_t VfioDevice::stamp(std::uint64_t time_ps) {
  // The host model takes the writes in order of their times: never hand one over before the last.
  emitted_ps_ = std::max(emitted_ps_, time_ps);
  return emitted_ps_;
}

void VfioDevice::advance_to(std::uint64_t time_ps) {
  if (time_ps > now_ps_ && time_ps - now_ps_ > options_.max_wait_ps)
    throw sim::DeviceError(fmt::format("{}: the host model asked the card to run {} us ahead; a real card runs in real "
                                       "time and the backend waits at most {} us",
                                       port_->name(), (time_ps - now_ps_) / 1'000'000,
                                       options_.max_wait_ps / 1'000'000));
  if (now_ps_ - anchor_ps_ >= options_.recalibrate_ps) calibrate();
  sync(std::max(time_ps, now_ps_));
}

// ---------------------------------------------------------------------------------------------
// What the card wrote and sent, handed to the host model

std::uint32_t VfioDevice::memory_producer() { return load32(port_->dma(), producer_offset_); }

void VfioDevice::sync(std::uint64_t until_ps, std::optional<std::uint32_t> register_producer) {
  // A sink that accesses the device while it takes a write (a test's consumer writing RING_CONS)
  // comes back here: that access goes to the card, and what it brings is handed over afterwards.
  if (syncing_) return;
  syncing_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{syncing_};
  const std::uint64_t floor = now_ps_;
  port_->run_until(until_ps, arrivals_);
  now_ps_ = std::max(now_ps_, port_->now_ps());

  pending_.clear();
  for (const CardArrival& a : arrivals_) pending_.push_back({std::max(a.time_ps, floor), false, 0, a});
  arrivals_.clear();

  // Records are in memory up to the producer word the card wrote, or up to a RING_PROD just read
  // (a read completion never passes the card's DMA writes; the producer write may still follow).
  const std::uint32_t in_memory = memory_producer();
  std::uint32_t target = in_memory;
  if (register_producer &&
      static_cast<std::uint32_t>(*register_producer - records_emitted_) > static_cast<std::uint32_t>(target - records_emitted_))
    target = *register_producer;
  const std::uint32_t fresh = target - records_emitted_;
  if (fresh > (std::uint32_t{1} << ring_log2_))
    throw sim::DeviceError(fmt::format("{}: the card's producer index jumped by {} records, more than its ring of {} "
                                       "holds: the DMA buffer was written by something else",
                                       port_->name(), fresh, 1u << ring_log2_));
  // Producer writes follow their records, as far as the card has made them (in_memory): those of
  // records handed over earlier ahead of their producer write (RING_PROD) come first.
  const auto producers_up_to = [&](std::uint32_t end, std::uint64_t time_ps) {
    while (producers_emitted_ != end && before(producers_emitted_, in_memory)) emit_producer(++producers_emitted_, time_ps);
  };
  producers_up_to(records_emitted_, floor);

  const std::uint32_t slots = (std::uint32_t{1} << ring_log2_) - 1;
  for (std::uint32_t k = 0; k < fresh; ++k) {
    const std::uint32_t index = records_emitted_ + k;
    const std::uint64_t at = std::uint64_t{index & slots} * regs::kRecordBytes;
    const std::uint64_t stamp_cycles = load32(port_->dma(), at + 8) | std::uint64_t{load32(port_->dma(), at + 12)} << 32;
    const std::uint64_t t = std::clamp(card_cycles_to_ps(stamp_cycles), floor, now_ps_);
    pending_.push_back({t, true, index, {}});
  }
  // The card's order: by time; a record before a message seen at the same time.
  std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
    return a.time_ps != b.time_ps ? a.time_ps < b.time_ps : a.is_record && !b.is_record;
  });
  records_emitted_ = target;
  for (const Pending& p : pending_) {
    if (!p.is_record) {
      on_arrival(p.arrival, p.time_ps);
      continue;
    }
    emit_record(p.index, p.time_ps);
    // Its producer write, once the card has made it (in memory_producer's count).
    producers_up_to(p.index + 1, p.time_ps);
  }
  pending_.clear();
}

void VfioDevice::emit_record(std::uint32_t index, std::uint64_t time_ps) {
  const std::uint32_t slot = index & ((std::uint32_t{1} << ring_log2_) - 1);
  const std::uint64_t at = std::uint64_t{slot} * regs::kRecordBytes;
  const std::span<std::byte> dma = port_->dma();
  sim::UpstreamWrite w;
  w.time_ps = stamp(time_ps);
  w.address = sim_ring_base_ + at;
  w.data = {load32(dma, at), load32(dma, at + 4), 0, 0};
  // TIMESTAMP counts the card's cycles since its reset; the host model reads it as device cycles
  // (since the session opened): translated through the clock anchor.
  const std::uint64_t card_cycles = load32(dma, at + 8) | std::uint64_t{load32(dma, at + 12)} << 32;
  const std::uint64_t device_cycles = card_cycles_to_ps(card_cycles) / cycle_ps_;
  w.data[2] = static_cast<std::uint32_t>(device_cycles);
  w.data[3] = static_cast<std::uint32_t>(device_cycles >> 32);
  w.first_be = 0xF;
  w.last_be = 0xF;
  w.requester_id = port_->requester_id();
  ++stats_.records;
  emit(std::move(w));
}

void VfioDevice::emit_producer(std::uint32_t value, std::uint64_t time_ps) {
  if (sim_producer_address_ == 0) return;  // the host model asked for no producer write
  sim::UpstreamWrite w;
  w.time_ps = stamp(time_ps);
  w.address = sim_producer_address_;
  w.data = {value};
  w.first_be = 0xF;
  w.last_be = 0;
  w.requester_id = port_->requester_id();
  emit(std::move(w));
}

void VfioDevice::emit_message(std::uint64_t address, std::uint32_t data, std::uint64_t time_ps) {
  sim::UpstreamWrite w;
  w.time_ps = stamp(time_ps);
  w.address = address;
  w.data = {data};
  w.first_be = 0xF;
  w.last_be = 0;
  w.requester_id = port_->requester_id();
  ++stats_.messages;
  emit(std::move(w));
}

void VfioDevice::on_arrival(const CardArrival& a, std::uint64_t time_ps) {
  stats_.arrivals += a.count;
  const auto count = static_cast<std::uint32_t>(a.count);
  if (a.mode == CardIrqMode::kMsix) {
    if (a.vector >= table_size_) return;  // the kernel has no such entry: cannot happen
    if (msix_deliverable(a.vector)) {
      const MsixEntry& e = table_[a.vector];
      for (std::uint64_t i = 0; i < a.count; ++i)
        emit_message(std::uint64_t{e.address_hi} << 32 | e.address_lo, e.data, time_ps);
      return;
    }
    pba_[a.vector / 32] |= 1u << (a.vector % 32);
  } else if (a.mode == CardIrqMode::kMsi) {
    const unsigned m = a.vector & 31;
    if (msi_active() && !(msi_mask_ >> m & 1)) {
      const std::uint32_t n = 1u << ((msi_control_ >> kMsiMmeShift) & 7);
      const std::uint32_t data = (msi_data_ & ~(n - 1)) | (m & (n - 1));
      for (std::uint64_t i = 0; i < a.count; ++i)
        emit_message(std::uint64_t{msi_address_hi_} << 32 | msi_address_lo_, data, time_ps);
      return;
    }
    msi_pending_ |= 1u << m;
  } else {
    return;
  }
  // Held by the host-side mask: the card counted these as sent, the host model sees them pended.
  sent_delta_ -= count;
  pended_delta_ += count;
  stats_.pended += a.count;
}

// ---------------------------------------------------------------------------------------------
// The interrupt shadow

bool VfioDevice::msix_deliverable(unsigned k) const {
  return msix_enable_ && !msix_function_mask_ && !(table_[k].control & 1u);
}

std::uint32_t VfioDevice::msi_capable_mask() const {
  return msi_capable_log2_ >= 5 ? 0xFFFFFFFFu : (1u << (1u << msi_capable_log2_)) - 1;
}

bool VfioDevice::msi_active() const { return !msix_enable_ && (msi_control_ & kMsiEnable); }

unsigned VfioDevice::msix_vectors_wanted() const { return std::max(1u, msix_highest_used_); }

void VfioDevice::apply_irq_mode() {
  CardIrqMode mode = CardIrqMode::kNone;
  unsigned count = 0;
  if (msix_enable_) {
    mode = CardIrqMode::kMsix;
    count = msix_vectors_wanted();
  } else if (msi_control_ & kMsiEnable) {
    mode = CardIrqMode::kMsi;
    count = 1u << ((msi_control_ >> kMsiMmeShift) & 7);
  }
  if (mode == applied_mode_ && count == applied_count_) return;
  port_->set_irqs(mode, count);
  applied_mode_ = mode;
  applied_count_ = count;
  ++stats_.irq_reconfigs;
}

void VfioDevice::release_pending() {
  // A4/A6: an unmasked vector with its pending bit set sends exactly one message, now.
  if (msix_enable_ && !msix_function_mask_) {
    for (std::size_t w = 0; w < pba_.size(); ++w) {
      for (std::uint32_t bits = pba_[w]; bits; bits &= bits - 1) {
        const unsigned k = static_cast<unsigned>(w * 32 + std::countr_zero(bits));
        if (table_[k].control & 1u) continue;
        pba_[w] &= ~(1u << (k % 32));
        const MsixEntry& e = table_[k];
        emit_message(std::uint64_t{e.address_hi} << 32 | e.address_lo, e.data, now_ps_);
        ++sent_delta_;
        ++stats_.released;
      }
    }
  }
  if (msi_active()) {
    const std::uint32_t n = 1u << ((msi_control_ >> kMsiMmeShift) & 7);
    for (std::uint32_t bits = msi_pending_ & ~msi_mask_; bits; bits &= bits - 1) {
      const unsigned m = static_cast<unsigned>(std::countr_zero(bits));
      msi_pending_ &= ~(1u << m);
      emit_message(std::uint64_t{msi_address_hi_} << 32 | msi_address_lo_, (msi_data_ & ~(n - 1)) | (m & (n - 1)),
                   now_ps_);
      ++sent_delta_;
      ++stats_.released;
    }
  }
}

std::uint32_t VfioDevice::read_msix_cap(unsigned dw) {
  const std::uint32_t card = port_->config_read(static_cast<std::uint16_t>(regs::kCfgMsixCap + 4 * dw), 4);
  if (dw != 0) return card;  // Table and PBA offsets: the card's, read-only
  return (card & ~(kMsixEnable | kMsixFunctionMask)) | (msix_enable_ ? kMsixEnable : 0u) |
         (msix_function_mask_ ? kMsixFunctionMask : 0u);
}

void VfioDevice::write_msix_cap(unsigned dw, std::uint32_t value, std::uint32_t lanes) {
  if (dw != 0) return;
  const std::uint32_t now = read_msix_cap(0);
  const std::uint32_t next = merge(now, value, lanes & (kMsixEnable | kMsixFunctionMask));
  msix_enable_ = next & kMsixEnable;
  msix_function_mask_ = next & kMsixFunctionMask;
  apply_irq_mode();
  release_pending();
}

std::uint32_t VfioDevice::read_msi_cap(unsigned dw) {
  switch (dw) {
    case 0: {
      const std::uint32_t card = port_->config_read(regs::kCfgMsiCap, 4);
      // ID, next pointer, Multiple Message Capable, 64-bit and per-vector masking are the card's.
      return (card & ~(kMsiEnable | 7u << kMsiMmeShift)) | msi_control_;
    }
    case 1: return msi_address_lo_;
    case 2: return msi_address_hi_;
    case 3: return msi_data_;
    case 4: return msi_mask_;
    case 5: return msi_pending_ & msi_capable_mask();
    default: return 0;
  }
}

void VfioDevice::write_msi_cap(unsigned dw, std::uint32_t value, std::uint32_t lanes) {
  switch (dw) {
    case 0: {
      std::uint32_t next = merge(msi_control_, value, lanes & (kMsiEnable | 7u << kMsiMmeShift));
      // Multiple Message Enable above Capable is clamped, as the RTL does (docs/rtl.md).
      const unsigned mme = std::min((next >> kMsiMmeShift) & 7u, msi_capable_log2_);
      next = (next & kMsiEnable) | mme << kMsiMmeShift;
      msi_control_ = next;
      apply_irq_mode();
      release_pending();
      return;
    }
    case 1: msi_address_lo_ = merge(msi_address_lo_, value, lanes) & ~3u; return;
    case 2: msi_address_hi_ = merge(msi_address_hi_, value, lanes); return;
    case 3: msi_data_ = merge(msi_data_, value, lanes) & 0xFFFFu; return;
    case 4:
      msi_mask_ = merge(msi_mask_, value, lanes) & msi_capable_mask();
      release_pending();
      return;
    default: return;  // Pending is read-only
  }
}

std::uint32_t VfioDevice::read_table(std::uint64_t offset) {
  const std::uint64_t rel = offset - regs::kMsixTableOffset;
  const MsixEntry& e = table_[rel / kMsixEntryBytes];
  switch (rel % kMsixEntryBytes / 4) {
    case 0: return e.address_lo;
    case 1: return e.address_hi;
    case 2: return e.data;
    default: return e.control;
  }
}

void VfioDevice::write_table(std::uint64_t offset, std::uint32_t value, std::uint32_t lanes) {
  const std::uint64_t rel = offset - regs::kMsixTableOffset;
  const auto k = static_cast<unsigned>(rel / kMsixEntryBytes);
  MsixEntry& e = table_[k];
  bool unmasked = false;
  switch (rel % kMsixEntryBytes / 4) {
    case 0: e.address_lo = merge(e.address_lo, value, lanes) & ~3u; break;
    case 1: e.address_hi = merge(e.address_hi, value, lanes); break;
    case 2: e.data = merge(e.data, value, lanes); break;
    default:
      e.control = merge(e.control, value, lanes) & 1u;
      unmasked = !(e.control & 1u);
      break;
  }
  // The card gets an eventfd per entry the host model uses: one programmed or unmasked.
  if ((e.address_lo | e.address_hi) != 0 || unmasked) msix_highest_used_ = std::max(msix_highest_used_, k + 1);
  if (msix_enable_) apply_irq_mode();
  if (unmasked) release_pending();
}

std::uint32_t VfioDevice::read_pba(std::uint64_t offset) {
  // The shadow's bits (host-side masks) and the card's own (a message it held while its MSI-X was
  // off, A7, which it sends once the kernel enables it).
  const auto card = static_cast<std::uint32_t>(port_->bar_read(offset, 4));
  const std::uint64_t word = (offset - regs::kMsixPbaOffset) / 4;
  return card | (word < pba_.size() ? pba_[word] : 0u);
}

// ---------------------------------------------------------------------------------------------
// Configuration space

std::uint32_t VfioDevice::config_read(std::uint16_t offset) {
  const std::uint16_t dw = offset & ~3u;
  sync(port_->now_ps());
  if (dw >= regs::kCfgMsixCap && dw < regs::kCfgMsixCap + 12) return read_msix_cap((dw - regs::kCfgMsixCap) / 4);
  if (dw >= regs::kCfgMsiCap && dw < regs::kCfgMsiCap + 0x18) return read_msi_cap((dw - regs::kCfgMsiCap) / 4);
  const std::uint32_t value = port_->config_read(dw, 4);
  sync(port_->now_ps());
  return value;
}

void VfioDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  const std::uint16_t dw = offset & ~3u;
  // Arrivals up to now meet the capability as it was before this write.
  sync(port_->now_ps());
  if (dw >= regs::kCfgMsixCap && dw < regs::kCfgMsixCap + 12) {
    write_msix_cap((dw - regs::kCfgMsixCap) / 4, value, lanes_of(byte_enable));
  } else if (dw >= regs::kCfgMsiCap && dw < regs::kCfgMsiCap + 0x18) {
    write_msi_cap((dw - regs::kCfgMsiCap) / 4, value, lanes_of(byte_enable));
  } else {
    config_forward(dw, value, byte_enable);
  }
  sync(port_->now_ps());
}

void VfioDevice::config_forward(std::uint16_t dw, std::uint32_t value, std::uint8_t byte_enable) {
  if ((byte_enable & 0xF) == 0xF) {
    port_->config_write(dw, value, 4);
  } else if ((byte_enable & 0xF) == 0x3 || (byte_enable & 0xF) == 0xC) {
    const unsigned at = (byte_enable & 0xF) == 0x3 ? 0 : 2;
    port_->config_write(static_cast<std::uint16_t>(dw + at), value >> (8 * at) & 0xFFFF, 2);
  } else {
    for (unsigned b = 0; b < 4; ++b)
      if (byte_enable >> b & 1) port_->config_write(static_cast<std::uint16_t>(dw + b), value >> (8 * b) & 0xFF, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// BAR0

bool VfioDevice::intercepted(std::uint64_t dw) const {
  switch (dw) {
    case regs::RING_BASE_LO:
    case regs::RING_BASE_HI:
    case regs::RING_PROD_ADDR_LO:
    case regs::RING_PROD_ADDR_HI:
    case regs::RING_LOG2:
    case regs::RING_PROD:
    case regs::CTRL:
    case regs::CNT_MSI_SENT:
    case regs::CNT_MSI_PENDED:
    case regs::TIME_LO:
    case regs::TIME_HI:
      return true;
    default:
      break;
  }
  if (dw >= regs::kMsixTableOffset && dw < regs::kMsixTableOffset + kMsixEntryBytes * table_size_) return true;
  return dw >= regs::kMsixPbaOffset && dw < regs::kMsixPbaOffset + regs::kMsixPbaSize;
}

std::uint32_t VfioDevice::read_dw(std::uint64_t dw) {
  if (dw >= regs::kMsixTableOffset && dw < regs::kMsixTableOffset + kMsixEntryBytes * table_size_) {
    sync(port_->now_ps());
    return read_table(dw);
  }
  if (dw >= regs::kMsixPbaOffset && dw < regs::kMsixPbaOffset + regs::kMsixPbaSize) {
    sync(port_->now_ps());
    const std::uint32_t value = read_pba(dw);
    sync(port_->now_ps());
    return value;
  }
  switch (dw) {
    case regs::RING_BASE_LO: return static_cast<std::uint32_t>(sim_ring_base_);
    case regs::RING_BASE_HI: return static_cast<std::uint32_t>(sim_ring_base_ >> 32);
    case regs::RING_PROD_ADDR_LO: return static_cast<std::uint32_t>(sim_producer_address_);
    case regs::RING_PROD_ADDR_HI: return static_cast<std::uint32_t>(sim_producer_address_ >> 32);
    case regs::TIME_LO: {
      const std::uint64_t lo = port_->bar_read(regs::TIME_LO, 4);
      const std::uint64_t hi = port_->bar_read(regs::TIME_HI, 4);
      sync(port_->now_ps());
      const std::uint64_t device_cycles = card_cycles_to_ps(hi << 32 | lo) / cycle_ps_;
      time_hi_latch_ = device_cycles >> 32;
      return static_cast<std::uint32_t>(device_cycles);
    }
    case regs::TIME_HI: return static_cast<std::uint32_t>(time_hi_latch_);
    case regs::RING_PROD: {
      const auto value = static_cast<std::uint32_t>(port_->bar_read(dw, 4));
      sync(port_->now_ps(), value);
      return value;
    }
    default: break;
  }
  // The MSI counters as the host model sees them: read after the arrivals up to the read are in.
  const auto card = static_cast<std::uint32_t>(port_->bar_read(dw, 4));
  sync(port_->now_ps());
  if (dw == regs::CNT_MSI_SENT) return card + sent_delta_;
  if (dw == regs::CNT_MSI_PENDED) return card + pended_delta_;
  return card;
}

void VfioDevice::write_dw(std::uint64_t dw, std::uint32_t value, std::uint32_t lanes) {
  sync(port_->now_ps());
  if (dw >= regs::kMsixTableOffset && dw < regs::kMsixTableOffset + kMsixEntryBytes * table_size_) {
    write_table(dw, value, lanes);
    return;
  }
  if (dw >= regs::kMsixPbaOffset && dw < regs::kMsixPbaOffset + regs::kMsixPbaSize) return;  // read-only
  switch (dw) {
    case regs::RING_BASE_LO:
      sim_ring_base_ = (sim_ring_base_ & ~0xFFFFFFFFull) | (merge(static_cast<std::uint32_t>(sim_ring_base_), value, lanes) & 0xFFFFFFF0u);
      return;
    case regs::RING_BASE_HI:
      sim_ring_base_ = (sim_ring_base_ & 0xFFFFFFFFull) |
                       std::uint64_t{merge(static_cast<std::uint32_t>(sim_ring_base_ >> 32), value, lanes)} << 32;
      return;
    case regs::RING_PROD_ADDR_LO:
      sim_producer_address_ = (sim_producer_address_ & ~0xFFFFFFFFull) |
                              (merge(static_cast<std::uint32_t>(sim_producer_address_), value, lanes) & 0xFFFFFFFCu);
      return;
    case regs::RING_PROD_ADDR_HI:
      sim_producer_address_ = (sim_producer_address_ & 0xFFFFFFFFull) |
                              std::uint64_t{merge(static_cast<std::uint32_t>(sim_producer_address_ >> 32), value, lanes)} << 32;
      return;
    case regs::RING_LOG2: {
      const unsigned log2 = merge(ring_log2_, value, lanes) & 0x1Fu;
      if (log2 > max_ring_log2_)
        throw sim::DeviceError(fmt::format("{}: an event ring of 2^{} records does not fit the DMA buffer, which holds "
                                           "2^{}",
                                           port_->name(), log2, max_ring_log2_));
      port_->bar_write(regs::RING_LOG2, log2, 4);
      ring_log2_ = log2;
      break;
    }
    case regs::CTRL:
      port_->bar_write(regs::CTRL, value & lanes, 4);
      // CLEAR zeroes the card's counters: what the shadow added goes with them.
      if (value & lanes & regs::CTRL_CLEAR_MASK) sent_delta_ = pended_delta_ = 0;
      break;
    default:
      port_->bar_write(dw, value & lanes, 4);  // read-only on the card: it ignores the write
      break;
  }
  sync(port_->now_ps());
}

std::uint64_t VfioDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  check_access(*port_, bar, offset, size);
  const std::uint64_t dw = offset & ~std::uint64_t{3};
  if (size == 8 && (intercepted(offset) || intercepted(offset + 4))) {
    // In order: the low DW first, as a CPU's split read does (TIME_LO latches TIME_HI).
    const std::uint64_t lo = bar_read(bar, offset, 4);
    const std::uint64_t hi = bar_read(bar, offset + 4, 4);
    return lo | hi << 32;
  }
  if (intercepted(dw)) {
    const unsigned shift = 8 * static_cast<unsigned>(offset & 3);
    const std::uint64_t mask = size == 4 ? 0xFFFFFFFFull : (std::uint64_t{1} << (8 * size)) - 1;
    return (read_dw(dw) >> shift) & mask;
  }
  const std::uint64_t value = port_->bar_read(offset, size);
  sync(port_->now_ps());
  return value;
}

void VfioDevice::bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) {
  check_access(*port_, bar, offset, size);
  const std::uint64_t dw = offset & ~std::uint64_t{3};
  if (size == 8 && (intercepted(offset) || intercepted(offset + 4))) {
    bar_write(bar, offset, value & 0xFFFFFFFFu, 4);
    bar_write(bar, offset + 4, value >> 32, 4);
    return;
  }
  if (intercepted(dw)) {
    const unsigned shift = 8 * static_cast<unsigned>(offset & 3);
    const std::uint32_t lanes = (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1)) << shift;
    write_dw(dw, static_cast<std::uint32_t>(value << shift), lanes);
    return;
  }
  port_->bar_write(offset, value, size);
  sync(port_->now_ps());
}

// ---------------------------------------------------------------------------------------------

std::unique_ptr<VfioDevice> open_vfio_device(const std::string& bdf, const HostPaths& paths, VfioDeviceOptions options) {
  try {
    return std::make_unique<VfioDevice>(std::make_unique<VfioCardPort>(bdf, VfioCardPortOptions{paths}), options);
  } catch (const sim::DeviceError& e) {
    throw VfioError(fmt::format("cannot open the card {} through VFIO: {}", bdf, e.what()));
  }
}

}  // namespace irqrig::host::vfio
