#include "host/platform/synthetic_device.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include <fmt/format.h>

#include "irqrig/regs.h"

namespace irqrig::host {
namespace {

constexpr std::uint8_t kMsixCapabilityId = 0x11, kMsiCapabilityId = 0x05;
// The MSI capability's registers, 64-bit with per-vector masking (SEMANTICS A1), as in the RTL.
constexpr std::uint16_t kMsiAddressLo = regs::kCfgMsiCap + 0x4, kMsiAddressHi = regs::kCfgMsiCap + 0x8,
                        kMsiData = regs::kCfgMsiCap + 0xC, kMsiMask = regs::kCfgMsiCap + 0x10,
                        kMsiPending = regs::kCfgMsiCap + 0x14;

}  // namespace

SyntheticDevice::SyntheticDevice() : SyntheticDevice(Options{}) {}

SyntheticDevice::SyntheticDevice(Options options)
    : options_(options), table_(options.table_size), pending_(options.table_size, false) {
  if (options.table_size == 0 || options.table_size > 2048)
    throw std::invalid_argument(fmt::format("an MSI-X table of {} entries (1-2048)", options.table_size));
  if (options.cycle_ps == 0) throw std::invalid_argument("a device clock of 0 ps");
  if (options.msi_vectors == 0 || options.msi_vectors > 32 || !std::has_single_bit(options.msi_vectors))
    throw std::invalid_argument(fmt::format("{} MSI vectors (a power of two, 1-32)", options.msi_vectors));
}

void SyntheticDevice::schedule(std::uint64_t time_ps, Item item) {
  schedule_.emplace(std::make_pair(time_ps, order_++), std::move(item));
}

void SyntheticDevice::add_event(std::uint64_t time_ps, unsigned message) {
  schedule(time_ps, Item{Kind::kEvent, message, {}, {}, 0, 0});
}

void SyntheticDevice::add_message(std::uint64_t time_ps, unsigned message) {
  schedule(time_ps, Item{Kind::kMessage, message, {}, {}, 0, 0});
}

void SyntheticDevice::add_raw(sim::UpstreamWrite write) {
  const std::uint64_t at = write.time_ps;
  schedule(at, Item{Kind::kRaw, 0, std::move(write), {}, 0, 0});
}

void SyntheticDevice::add_record(std::uint64_t time_ps, const std::array<std::uint32_t, 4>& record,
                                 std::uint64_t producer_time_ps) {
  // The producer write's turn among writes of its time is taken now, right behind the record's: it
  // goes before a message scheduled after the record for the same moment.
  const std::uint64_t record_order = order_++;
  Item item{Kind::kRecord, 0, {}, record, producer_time_ps > time_ps ? producer_time_ps - time_ps : 0, order_++};
  schedule_.emplace(std::make_pair(time_ps, record_order), std::move(item));
}

void SyntheticDevice::add_burst(std::uint64_t start_ps, std::uint64_t count, std::uint64_t gap_ps,
                                std::vector<unsigned> messages, bool records) {
  if (messages.empty()) throw std::invalid_argument("a burst over no messages");
  if (count) bursts_.push_back(Burst{start_ps, count, gap_ps, std::move(messages), records});
}

void SyntheticDevice::advance_to(std::uint64_t time_ps) {
  for (;;) {
    // The next thing due: the schedule's head or a burst's next event, earliest first.
    Burst* burst = nullptr;
    std::size_t burst_index = 0;
    for (std::size_t i = 0; i < bursts_.size(); ++i)
      if (!burst || bursts_[i].next_ps < burst->next_ps) {
        burst = &bursts_[i];
        burst_index = i;
      }
    const bool from_burst =
        burst && burst->next_ps <= time_ps && (schedule_.empty() || burst->next_ps < schedule_.begin()->first.first);
    if (from_burst) {
      Item item{burst->records ? Kind::kEvent : Kind::kMessage, burst->messages[burst->index], {}, {}, 0, 0};
      if (!run(burst->next_ps, item)) break;
      burst->index = (burst->index + 1) % burst->messages.size();
      burst->next_ps += burst->gap_ps;
      if (--burst->remaining == 0) bursts_.erase(bursts_.begin() + static_cast<std::ptrdiff_t>(burst_index));
      continue;
    }
    if (schedule_.empty() || schedule_.begin()->first.first > time_ps) break;
    const auto node = schedule_.begin();
    if (!run(node->first.first, node->second)) break;
    schedule_.erase(node);
  }
  now_ps_ = std::max(now_ps_, time_ps);
}

bool SyntheticDevice::run(std::uint64_t time_ps, Item& item) {
  // What waited for ring space happens when the space appears, not before.
  const std::uint64_t at = std::max(time_ps, now_ps_);
  switch (item.kind) {
    case Kind::kEvent: {
      const std::uint32_t entries = 1u << ring_log2_;
      if (ring_log2_ && producer_ - consumer_ >= entries) return false;
      event(at, item.message);
      return true;
    }
    case Kind::kRecord: {
      const std::uint32_t entries = 1u << ring_log2_;
      if (ring_log2_ && producer_ - consumer_ >= entries) return false;
      record(at, item);
      return true;
    }
    case Kind::kMessage: signal(at, item.message); return true;
    case Kind::kRaw:
      item.raw.time_ps = at;
      emit(std::move(item.raw));
      return true;
  }
  return true;
}

void SyntheticDevice::write_upstream(std::uint64_t time_ps, std::uint64_t address, std::vector<std::uint32_t> data) {
  sim::UpstreamWrite w;
  w.time_ps = time_ps;
  w.address = address;
  w.first_be = 0xF;
  w.last_be = data.size() > 1 ? 0xF : 0;
  w.data = std::move(data);
  emit(std::move(w));
}

void SyntheticDevice::event(std::uint64_t time_ps, unsigned message) {
  const std::uint32_t sequence = static_cast<std::uint32_t>(events_++);
  if (ring_log2_) {
    // The record (layout of IRQRIG_EVENT_RECORD), then the producer index behind it.
    const std::uint64_t stamp = time_ps / options_.cycle_ps;
    const std::uint64_t slot = producer_ & ((1u << ring_log2_) - 1);
    write_upstream(time_ps, ring_base_ + slot * 16,
                   {sequence, (message & 0xFFFFu) | (1u << 16), static_cast<std::uint32_t>(stamp),
                    static_cast<std::uint32_t>(stamp >> 32)});
    ++producer_;
    write_upstream(time_ps, producer_address_, {producer_});
  }
  signal(time_ps, message);
}

void SyntheticDevice::record(std::uint64_t time_ps, const Item& item) {
  ++events_;
  if (!ring_log2_) return;  // no ring programmed: nowhere to write it
  const std::uint64_t slot = producer_ & ((1u << ring_log2_) - 1);
  write_upstream(time_ps, ring_base_ + slot * 16, {item.record.begin(), item.record.end()});
  ++producer_;
  if (item.producer_delay_ps == 0) {
    write_upstream(time_ps, producer_address_, {producer_});
    return;
  }
  // The producer write keeps its recorded distance behind the record (a later schedule item).
  sim::UpstreamWrite w;
  w.time_ps = time_ps + item.producer_delay_ps;
  w.address = producer_address_;
  w.data = {producer_};
  schedule_.emplace(std::make_pair(w.time_ps, item.producer_order), Item{Kind::kRaw, 0, std::move(w), {}, 0, 0});
}

bool SyntheticDevice::masked(unsigned message) const {
  return !msix_enable_ || function_mask_ || (table_[message].control & 1);
}

void SyntheticDevice::signal(std::uint64_t time_ps, unsigned message) {
  if (message >= table_.size()) throw sim::DeviceError(fmt::format("message {} beyond the {}-entry MSI-X table", message, table_.size()));
  if (msi_active()) {
    const unsigned m = message & ((1u << msi_mme_) - 1);
    if (msi_mask_ >> m & 1) {
      // A4: a masked MSI vector sets its Pending bit and sends nothing.
      if (!(msi_pending_ >> m & 1)) ++msi_pended_;
      msi_pending_ |= 1u << m;
      return;
    }
    send_msi(time_ps, m);
    return;
  }
  if (masked(message)) {
    // A6/A7: a masked (or disabled) vector remembers the event in its pending bit.
    if (!pending_[message]) ++msi_pended_;
    pending_[message] = true;
    return;
  }
  const Entry& e = table_[message];
  write_upstream(time_ps, std::uint64_t{e.address_hi} << 32 | e.address_lo, {e.data});
  ++msi_sent_;
}

void SyntheticDevice::send_msi(std::uint64_t time_ps, unsigned m) {
  // A2: message m replaces the low MME bits of Message Data.
  const std::uint32_t low = (1u << msi_mme_) - 1;
  write_upstream(time_ps, msi_address_ & ~std::uint64_t{3}, {(msi_data_ & ~low) | m});
  ++msi_sent_;
}

void SyntheticDevice::send_pending(std::uint64_t time_ps) {
  for (unsigned k = 0; k < pending_.size(); ++k) {
    if (!pending_[k] || masked(k)) continue;
    pending_[k] = false;
    signal(time_ps, k);
  }
  if (!msi_active()) return;
  // A4: unmasking (or enabling) with Pending set sends exactly one message and clears the bit.
  for (unsigned m = 0; m < 32; ++m) {
    if (!(msi_pending_ >> m & 1) || (msi_mask_ >> m & 1)) continue;
    msi_pending_ &= ~(1u << m);
    send_msi(time_ps, m);
  }
}

std::uint32_t SyntheticDevice::msi_bits() const {
  return options_.msi_vectors >= 32 ? ~0u : (1u << options_.msi_vectors) - 1;
}

std::uint32_t SyntheticDevice::msi_control() const {
  const auto mmc = static_cast<std::uint32_t>(std::countr_zero(options_.msi_vectors));
  // Enable 0, Multiple Message Capable 3:1, Enable 6:4, 64-bit 7, per-vector masking 8 (A1).
  return (msi_enable_ ? 1u : 0u) | mmc << 1 | msi_mme_ << 4 | 1u << 7 | 1u << 8;
}

std::uint32_t SyntheticDevice::config_read(std::uint16_t offset) {
  if (offset == regs::kCfgMsixCap) {
    const std::uint32_t control = (options_.table_size - 1) | (function_mask_ ? 0x4000u : 0) | (msix_enable_ ? 0x8000u : 0);
    return control << 16 | kMsixCapabilityId;
  }
  switch (offset) {
    case 0: return std::uint32_t{regs::kDeviceId} << 16 | regs::kVendorId;
    case regs::kCfgMsiCap: return msi_control() << 16 | kMsiCapabilityId;
    case kMsiAddressLo: return static_cast<std::uint32_t>(msi_address_) & ~3u;
    case kMsiAddressHi: return static_cast<std::uint32_t>(msi_address_ >> 32);
    case kMsiData: return msi_data_;
    case kMsiMask: return msi_mask_ & msi_bits();
    case kMsiPending: return msi_pending_;
    default: return 0;
  }
}

void SyntheticDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  // Whole-DW registers take the bytes enabled.
  const auto merge = [&](std::uint32_t old) {
    std::uint32_t bytes = 0;
    for (unsigned b = 0; b < 4; ++b)
      if (byte_enable >> b & 1) bytes |= 0xFFu << (8 * b);
    return (old & ~bytes) | (value & bytes);
  };
  switch (offset) {
    case regs::kCfgMsixCap:
      if ((byte_enable & 0x8) == 0) return;
      msix_enable_ = value >> 31 & 1;
      function_mask_ = value >> 30 & 1;
      break;
    case regs::kCfgMsiCap: {
      if ((byte_enable & 0x4) == 0) return;
      msi_enable_ = value >> 16 & 1;
      // Multiple Message Enable above Capable is clamped, as the RTL (and QEMU) do.
      const unsigned mme = value >> 20 & 7, mmc = static_cast<unsigned>(std::countr_zero(options_.msi_vectors));
      msi_mme_ = std::min(mme, mmc);
      break;
    }
    case kMsiAddressLo:
      msi_address_ = (msi_address_ & ~0xFFFFFFFFull) | (merge(static_cast<std::uint32_t>(msi_address_)) & ~3u);
      return;
    case kMsiAddressHi:
      msi_address_ = (msi_address_ & 0xFFFFFFFFull) | std::uint64_t{merge(static_cast<std::uint32_t>(msi_address_ >> 32))} << 32;
      return;
    case kMsiData: msi_data_ = static_cast<std::uint16_t>(merge(msi_data_)); return;
    case kMsiMask: msi_mask_ = merge(msi_mask_) & msi_bits(); break;
    default: return;
  }
  send_pending(now_ps_);
}

std::uint64_t SyntheticDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  if (bar != 0) return 0;
  if (size == 8) {
    // In order: the low DW first, as a split read does (operands of | have no order).
    const std::uint64_t lo = bar_read(bar, offset, 4);
    const std::uint64_t hi = bar_read(bar, offset + 4, 4);
    return lo | hi << 32;
  }
  if (size != 4) return 0;
  if (offset >= regs::kMsixTableOffset && offset < regs::kMsixTableOffset + 16ull * table_.size()) {
    const Entry& e = table_[(offset - regs::kMsixTableOffset) / 16];
    switch (offset % 16) {
      case 0: return e.address_lo;
      case 4: return e.address_hi;
      case 8: return e.data;
      default: return e.control;
    }
  }
  switch (offset) {
    case regs::ID: return 0x49525152u;
    case regs::CAPS: return options_.table_size | std::uint32_t(1'000'000 / options_.cycle_ps) << 16;
    case regs::SCRATCH: return scratch_;
    case regs::STATUS: return busy() ? regs::STATUS_BUSY_MASK : 0;
    case regs::RING_BASE_LO: return static_cast<std::uint32_t>(ring_base_);
    case regs::RING_BASE_HI: return static_cast<std::uint32_t>(ring_base_ >> 32);
    case regs::RING_LOG2: return ring_log2_;
    case regs::RING_PROD_ADDR_LO: return static_cast<std::uint32_t>(producer_address_);
    case regs::RING_PROD_ADDR_HI: return static_cast<std::uint32_t>(producer_address_ >> 32);
    case regs::RING_CONS: return consumer_;
    case regs::RING_PROD: return producer_;
    case regs::CNT_EVENTS: return static_cast<std::uint32_t>(events_);
    case regs::CNT_MSI_SENT: return static_cast<std::uint32_t>(msi_sent_);
    case regs::CNT_MSI_PENDED: return static_cast<std::uint32_t>(msi_pended_);
    default: return 0;
  }
}

void SyntheticDevice::bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) {
  if (bar != 0) return;
  if (size == 8) {
    bar_write(bar, offset, value & 0xFFFFFFFFu, 4);
    bar_write(bar, offset + 4, value >> 32, 4);
    return;
  }
  if (size != 4) return;
  const auto v = static_cast<std::uint32_t>(value);
  if (offset >= regs::kMsixTableOffset && offset < regs::kMsixTableOffset + 16ull * table_.size()) {
    Entry& e = table_[(offset - regs::kMsixTableOffset) / 16];
    switch (offset % 16) {
      case 0: e.address_lo = v; break;
      case 4: e.address_hi = v; break;
      case 8: e.data = v; break;
      default:
        e.control = v & 1;
        send_pending(now_ps_);
        break;
    }
    return;
  }
  switch (offset) {
    case regs::SCRATCH: scratch_ = v; break;
    case regs::RING_BASE_LO: ring_base_ = (ring_base_ & ~0xFFFFFFFFull) | v; break;
    case regs::RING_BASE_HI: ring_base_ = (ring_base_ & 0xFFFFFFFFull) | std::uint64_t{v} << 32; break;
    case regs::RING_LOG2: ring_log2_ = v & 31; break;
    case regs::RING_PROD_ADDR_LO: producer_address_ = (producer_address_ & ~0xFFFFFFFFull) | v; break;
    case regs::RING_PROD_ADDR_HI: producer_address_ = (producer_address_ & 0xFFFFFFFFull) | std::uint64_t{v} << 32; break;
    case regs::RING_CONS: consumer_ = v; break;
    default: break;
  }
}

}  // namespace irqrig::host
