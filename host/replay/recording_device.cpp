#include "host/replay/recording_device.h"

#include <algorithm>

#include "irqrig/regs.h"
#include "sim/device/pci_caps.h"

namespace irqrig::host::replay {
namespace {

// The MSI capability's 64-bit layout with per-vector masking, as in the RTL.
constexpr std::uint16_t kMsiAddressLo = regs::kCfgMsiCap + sim::pci::kMsiAddressLo,
                        kMsiAddressHi = regs::kCfgMsiCap + sim::pci::kMsiAddressHi,
                        kMsiData = regs::kCfgMsiCap + sim::pci::kMsiData;
constexpr unsigned kMaxTable = 2048;

bool is_msi_address(std::uint64_t address) { return (address & ~std::uint64_t{0xFFFFF}) == 0xFEE00000u; }

std::uint32_t merge(std::uint32_t old, std::uint32_t value, std::uint8_t byte_enable) {
  return sim::pci::merge(old, value, sim::pci::lanes_of(byte_enable));
}

RecordingHeader with_device(RecordingHeader h, const sim::Device& d) {
  h.start_ps = d.now_ps();
  h.cycle_ps = d.cycle_ps();
  return h;
}

}  // namespace

RecordingDevice::RecordingDevice(std::unique_ptr<sim::Device> inner, const std::string& path, RecordingHeader header)
    : inner_(std::move(inner)),
      writer_(path, with_device(header, *inner_)),
      vectors_(header.vectors),
      table_(std::min(header.vectors, kMaxTable)) {
  inner_->set_upstream_sink([this](sim::UpstreamWrite&& w) { observe(std::move(w)); });
}

RecordingDevice::~RecordingDevice() {
  inner_->set_upstream_sink({});
  // Destroyed unfinished: the run stopped on an exception before its end.
  abort("the run stopped before its end");
}

void RecordingDevice::observe(sim::UpstreamWrite&& w) {
  if (in_access_) {
    deferred_.push_back(w);
  } else if (!finished_) {
    record(w);
  }
  emit(std::move(w));
}

void RecordingDevice::record(const sim::UpstreamWrite& w) {
  const std::uint64_t ring_bytes = std::uint64_t{16} << ring_log2_;
  const bool ring_record = ring_base_ && w.address >= ring_base_ && w.address - ring_base_ < ring_bytes &&
                           (w.address - ring_base_) % 16 == 0 && w.data.size() == 4;
  if (ring_record) {
    // A record whose producer write never came (no producer address) keeps its own time.
    awaiting_ = nullptr;
    flush();
    pending_.push_back(RingRecord{w.time_ps, w.time_ps, {w.data[0], w.data[1], w.data[2], w.data[3]}});
    if (producer_address_) awaiting_ = &pending_.back();
    return;
  }
  if (awaiting_ && w.address == producer_address_ && w.data.size() == 1) {
    awaiting_->producer_time_ps = w.time_ps;
    awaiting_ = nullptr;
    flush();
    return;
  }
  replay::Entry e;
  e.time_ps = w.time_ps;
  if (const auto m = w.data.size() == 1 && w.first_be == 0xF && is_msi_address(w.address)
                         ? message_of(w.address, w.data[0])
                         : std::nullopt) {
    e.kind = replay::Entry::Kind::kArrival;
    e.message = m;
    // The vector's buffer moves with it: awaiting_ stays valid (a deque never moves its elements).
    e.records = std::move(pending_);
    pending_ = {};
  } else {
    // Anything else goes byte for byte, after the records sent before it.
    close_records(w.time_ps);
    e.kind = replay::Entry::Kind::kRaw;
    e.raw = RawWrite{w.address, w.data, w.first_be, w.last_be};
  }
  lines_.push_back(std::move(e));
  flush();
}

void RecordingDevice::close_records(std::uint64_t time_ps) {
  if (pending_.empty()) return;
  replay::Entry e;
  e.kind = replay::Entry::Kind::kRecords;
  e.time_ps = time_ps;
  e.records = std::move(pending_);
  pending_ = {};
  lines_.push_back(std::move(e));
}

void RecordingDevice::flush() {
  if (awaiting_) return;
  for (const replay::Entry& e : lines_) write(e);
  lines_.clear();
}

void RecordingDevice::write(const replay::Entry& e) {
  switch (e.kind) {
    case replay::Entry::Kind::kArrival: writer_.arrival(e.time_ps, *e.message, e.records); break;
    case replay::Entry::Kind::kRecords:
      writer_.records(std::max(e.time_ps, e.records.back().producer_time_ps), e.records);
      break;
    case replay::Entry::Kind::kRaw: writer_.raw(e.time_ps, e.raw); break;
    case replay::Entry::Kind::kAccess: writer_.access(e.time_ps, e.access); break;
  }
}

std::optional<unsigned> RecordingDevice::message_of(std::uint64_t address, std::uint32_t data) const {
  if (msix_enable_) {
    // Two entries programmed alike send the same write: the lowest stands for both.
    for (unsigned k = 0; k < table_.size(); ++k)
      if ((std::uint64_t{table_[k].address_hi} << 32 | table_[k].address_lo) == address && table_[k].data == data)
        return k;
    return std::nullopt;
  }
  if (msi_enable_ && address == msi_address_) {
    const std::uint32_t low = (1u << msi_mme_) - 1;
    if ((data & ~low) != (msi_data_ & ~low)) return std::nullopt;
    const unsigned m = data & low;
    if (m < vectors_) return m;
  }
  return std::nullopt;
}

void RecordingDevice::track_bar_write(std::uint64_t offset, std::uint32_t v) {
  if (offset >= regs::kMsixTableOffset && offset < regs::kMsixTableOffset + 16ull * table_.size()) {
    TableEntry& e = table_[(offset - regs::kMsixTableOffset) / 16];
    switch (offset % 16) {
      case 0: e.address_lo = v; break;
      case 4: e.address_hi = v; break;
      case 8: e.data = v; break;
      default: break;
    }
    return;
  }
  switch (offset) {
    case regs::RING_BASE_LO: ring_base_ = (ring_base_ & ~0xFFFFFFFFull) | v; break;
    case regs::RING_BASE_HI: ring_base_ = (ring_base_ & 0xFFFFFFFFull) | std::uint64_t{v} << 32; break;
    case regs::RING_LOG2: ring_log2_ = v & 31; break;
    case regs::RING_PROD_ADDR_LO: producer_address_ = (producer_address_ & ~0xFFFFFFFFull) | v; break;
    case regs::RING_PROD_ADDR_HI: producer_address_ = (producer_address_ & 0xFFFFFFFFull) | std::uint64_t{v} << 32; break;
    default: break;
  }
}

void RecordingDevice::track_config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  switch (offset) {
    case regs::kCfgMsixCap:
      if (byte_enable & 0x8) msix_enable_ = (value & sim::pci::kMsixEnable) != 0;
      break;
    case regs::kCfgMsiCap:
      if (byte_enable & 0x4) {
        msi_enable_ = (value & sim::pci::kMsiEnable) != 0;
        msi_mme_ = std::min(value >> sim::pci::kMsiMmeShift & 7, 5u);
      }
      break;
    case kMsiAddressLo:
      msi_address_ = (msi_address_ & ~0xFFFFFFFFull) |
                     (merge(static_cast<std::uint32_t>(msi_address_), value, byte_enable) & ~3u);
      break;
    case kMsiAddressHi:
      msi_address_ = (msi_address_ & 0xFFFFFFFFull) |
                     std::uint64_t{merge(static_cast<std::uint32_t>(msi_address_ >> 32), value, byte_enable)} << 32;
      break;
    case kMsiData: msi_data_ = merge(msi_data_, value, byte_enable) & 0xFFFF; break;
    default: break;
  }
}

template <typename Body>
auto RecordingDevice::access(Access::Kind kind, unsigned bar, std::uint64_t offset, unsigned size, Body body) {
  const std::uint64_t before = inner_->now_ps();
  in_access_ = true;
  deferred_.clear();
  std::uint64_t value = 0;
  try {
    value = body();
  } catch (...) {
    in_access_ = false;
    throw;
  }
  in_access_ = false;
  if (finished_) return value;
  const std::uint64_t latency = inner_->now_ps() - before;
  // Reads are the device's answers; of a write only the time it took is the device's (the replay
  // makes the write itself).
  const bool read = kind == Access::Kind::kConfigRead || kind == Access::Kind::kBarRead;
  if (read || latency) {
    replay::Entry e;
    e.kind = replay::Entry::Kind::kAccess;
    e.time_ps = before;
    e.access = Access{kind, bar, offset, size, read ? value : 0, latency};
    lines_.push_back(std::move(e));
    flush();
  }
  for (const sim::UpstreamWrite& w : deferred_) record(w);
  deferred_.clear();
  return value;
}

std::uint32_t RecordingDevice::config_read(std::uint16_t offset) {
  return static_cast<std::uint32_t>(
      access(Access::Kind::kConfigRead, 0, offset, 4, [&]() -> std::uint64_t { return inner_->config_read(offset); }));
}

void RecordingDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  access(Access::Kind::kConfigWrite, 0, offset, 4, [&]() -> std::uint64_t {
    inner_->config_write(offset, value, byte_enable);
    return 0;
  });
  track_config_write(offset, value, byte_enable);
}

std::uint64_t RecordingDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  return access(Access::Kind::kBarRead, bar, offset, size, [&] { return inner_->bar_read(bar, offset, size); });
}

void RecordingDevice::bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) {
  access(Access::Kind::kBarWrite, bar, offset, size, [&]() -> std::uint64_t {
    inner_->bar_write(bar, offset, value, size);
    return 0;
  });
  if (bar == 0 && size == 8) {
    track_bar_write(offset, static_cast<std::uint32_t>(value));
    track_bar_write(offset + 4, static_cast<std::uint32_t>(value >> 32));
  } else if (bar == 0 && size == 4) {
    track_bar_write(offset, static_cast<std::uint32_t>(value));
  }
}

void RecordingDevice::finish() {
  if (finished_) return;
  awaiting_ = nullptr;
  close_records(inner_->now_ps());
  flush();
  writer_.close(inner_->now_ps());
  finished_ = true;
}

void RecordingDevice::abort(const std::string& reason) noexcept {
  if (finished_) return;
  finished_ = true;
  try {
    // What was formed is kept for whoever reads the file; the end line says it is not a whole run.
    awaiting_ = nullptr;
    close_records(inner_->now_ps());
    flush();
    writer_.abort(inner_->now_ps(), reason);
  } catch (const std::exception&) {
    // The run's own failure is the one to report; a recording left without an end line is
    // refused as truncated.
  }
}

}  // namespace irqrig::host::replay
