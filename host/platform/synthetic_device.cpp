#include "host/platform/synthetic_device.h"

#include <stdexcept>

#include <fmt/format.h>

#include "irqrig/regs.h"

namespace irqrig::host {
namespace {

constexpr std::uint8_t kMsixCapabilityId = 0x11;

}  // namespace

SyntheticDevice::SyntheticDevice() : SyntheticDevice(Options{}) {}

SyntheticDevice::SyntheticDevice(Options options)
    : options_(options), table_(options.table_size), pending_(options.table_size, false) {
  if (options.table_size == 0 || options.table_size > 2048)
    throw std::invalid_argument(fmt::format("an MSI-X table of {} entries (1-2048)", options.table_size));
  if (options.cycle_ps == 0) throw std::invalid_argument("a device clock of 0 ps");
}

void SyntheticDevice::schedule(std::uint64_t time_ps, Item item) {
  schedule_.emplace(std::make_pair(time_ps, order_++), std::move(item));
}

void SyntheticDevice::add_event(std::uint64_t time_ps, unsigned message) {
  schedule(time_ps, Item{Kind::kEvent, message, {}});
}

void SyntheticDevice::add_message(std::uint64_t time_ps, unsigned message) {
  schedule(time_ps, Item{Kind::kMessage, message, {}});
}

void SyntheticDevice::add_raw(sim::UpstreamWrite write) {
  const std::uint64_t at = write.time_ps;
  schedule(at, Item{Kind::kRaw, 0, std::move(write)});
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
      Item item{burst->records ? Kind::kEvent : Kind::kMessage, burst->messages[burst->index], {}};
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

bool SyntheticDevice::masked(unsigned message) const {
  return !msix_enable_ || function_mask_ || (table_[message].control & 1);
}

void SyntheticDevice::signal(std::uint64_t time_ps, unsigned message) {
  if (message >= table_.size()) throw sim::DeviceError(fmt::format("message {} beyond the {}-entry MSI-X table", message, table_.size()));
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

void SyntheticDevice::send_pending(std::uint64_t time_ps) {
  for (unsigned k = 0; k < pending_.size(); ++k) {
    if (!pending_[k] || masked(k)) continue;
    pending_[k] = false;
    signal(time_ps, k);
  }
}

std::uint32_t SyntheticDevice::config_read(std::uint16_t offset) {
  if (offset == regs::kCfgMsixCap) {
    const std::uint32_t control = (options_.table_size - 1) | (function_mask_ ? 0x4000u : 0) | (msix_enable_ ? 0x8000u : 0);
    return control << 16 | kMsixCapabilityId;
  }
  if (offset == 0) return std::uint32_t{regs::kDeviceId} << 16 | regs::kVendorId;
  return 0;
}

void SyntheticDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  if (offset != regs::kCfgMsixCap || (byte_enable & 0x8) == 0) return;
  msix_enable_ = value >> 31 & 1;
  function_mask_ = value >> 30 & 1;
  send_pending(now_ps_);
}

std::uint64_t SyntheticDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  if (bar != 0) return 0;
  if (size == 8) return bar_read(bar, offset, 4) | bar_read(bar, offset + 4, 4) << 32;
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
