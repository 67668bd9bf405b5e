#include "host/replay/replay_device.h"

#include <algorithm>

namespace irqrig::host::replay {
namespace {

host::SyntheticDevice::Options model_options(const Recording& r, unsigned table_size) {
  host::SyntheticDevice::Options o;
  o.table_size = std::max(table_size, r.header.vectors);
  o.cycle_ps = r.header.cycle_ps;
  o.msi_vectors = 32;
  return o;
}

}  // namespace

ReplayDevice::ReplayDevice(const Recording& r, unsigned table_size)
    : model_(model_options(r, table_size)), posted_write_ps_(r.header.posted_write_ps) {
  model_.set_upstream_sink([this](sim::UpstreamWrite&& w) { emit(std::move(w)); });
  std::map<std::uint64_t, std::uint64_t> latencies[4];
  for (const Entry& e : r.entries) {
    for (const RingRecord& rr : e.records) model_.add_record(rr.time_ps, rr.dw, rr.producer_time_ps);
    switch (e.kind) {
      case Entry::Kind::kArrival: model_.add_message(e.time_ps, *e.message); break;
      case Entry::Kind::kRecords: break;
      case Entry::Kind::kRaw: {
        sim::UpstreamWrite w;
        w.time_ps = e.time_ps;
        w.address = e.raw.address;
        w.data = e.raw.data;
        w.first_be = e.raw.first_be;
        w.last_be = e.raw.last_be;
        model_.add_raw(std::move(w));
        break;
      }
      case Entry::Kind::kAccess: {
        const Access& a = e.access;
        accesses_.emplace(Key{e.time_ps, a.kind, a.bar, a.offset, a.size}, a);
        ++latencies[static_cast<int>(a.kind)][a.latency_ps];
        break;
      }
    }
  }
  for (int k = 0; k < 4; ++k) {
    const auto most = std::max_element(latencies[k].begin(), latencies[k].end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    if (most != latencies[k].end()) usual_latency_ps_[k] = most->first;
  }
  // Device time starts where the recorded device's did when recording began.
  model_.advance_to(r.header.start_ps);
}

ReplayDevice::~ReplayDevice() { model_.set_upstream_sink({}); }

std::optional<Access> ReplayDevice::take(Access::Kind kind, unsigned bar, std::uint64_t offset, unsigned size) {
  const auto it = accesses_.find(Key{now_ps(), kind, bar, offset, size});
  if (it == accesses_.end()) return std::nullopt;
  Access a = it->second;
  accesses_.erase(it);
  return a;
}

void ReplayDevice::advance_to(std::uint64_t time_ps) { advance(time_ps); }

void ReplayDevice::advance(std::uint64_t time_ps) {
  while (!posted_.empty() && posted_.front().at_ps <= time_ps) {
    const PostedWrite w = posted_.front();
    posted_.pop_front();
    model_.advance_to(w.at_ps);
    model_.bar_write(w.bar, w.offset, w.value, w.size);
  }
  model_.advance_to(time_ps);
}

void ReplayDevice::apply_posted() {
  for (const PostedWrite& w : posted_) model_.bar_write(w.bar, w.offset, w.value, w.size);
  posted_.clear();
}

void ReplayDevice::pass(const std::optional<Access>& recorded, Access::Kind kind) {
  // Writes the device sent while the access was in flight go out before it completes.
  const std::uint64_t latency = recorded ? recorded->latency_ps : usual_latency_ps_[static_cast<int>(kind)];
  if (latency) advance(now_ps() + latency);
}

std::uint32_t ReplayDevice::config_read(std::uint16_t offset) {
  const auto a = take(Access::Kind::kConfigRead, 0, offset, 4);
  pass(a, Access::Kind::kConfigRead);
  apply_posted();
  if (a) {
    ++recorded_answers_;
    return static_cast<std::uint32_t>(a->value);
  }
  ++model_answers_;
  return model_.config_read(offset);
}

void ReplayDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  const auto a = take(Access::Kind::kConfigWrite, 0, offset, 4);
  apply_posted();
  model_.config_write(offset, value, byte_enable);
  pass(a, Access::Kind::kConfigWrite);
}

std::uint64_t ReplayDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  const auto a = take(Access::Kind::kBarRead, bar, offset, size);
  pass(a, Access::Kind::kBarRead);
  apply_posted();
  if (a) {
    ++recorded_answers_;
    return a->value;
  }
  ++model_answers_;
  return model_.bar_read(bar, offset, size);
}

void ReplayDevice::bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) {
  const auto a = take(Access::Kind::kBarWrite, bar, offset, size);
  // A posted write reaches the device's registers a little after the host sent it.
  if (posted_write_ps_)
    posted_.push_back(PostedWrite{now_ps() + posted_write_ps_, bar, offset, value, size});
  else
    model_.bar_write(bar, offset, value, size);
  pass(a, Access::Kind::kBarWrite);
}

}  // namespace irqrig::host::replay
