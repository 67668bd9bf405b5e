#include "host/platform/accounting.h"

namespace irqrig::host {

bool Accounting::on_written(std::uint32_t seq, std::uint64_t device_time_ps) {
  if (seq < base_) {
    ++rewritten_;  // a record for a number already finished: the device repeated a sequence number
    return true;
  }
  const std::uint64_t i = seq - base_;
  // window_ ends at the highest number written so far.
  if (i >= window_.size() + max_ahead_) {
    ++corrupt_;
    return false;
  }
  if (i >= window_.size()) window_.resize(i + 1);
  Slot& s = window_[i];
  if (s.state != State::kNone) {
    ++rewritten_;
    return true;
  }
  s.state = State::kWritten;
  s.device_time_ps = device_time_ps;
  ++written_;
  return true;
}

void Accounting::on_processed(std::uint32_t seq, std::uint64_t now_ps) {
  if (seq < base_) {
    ++duplicated_;
    return;
  }
  const std::uint64_t i = seq - base_;
  if (i >= window_.size() || window_[i].state == State::kNone) {
    ++unknown_;
    return;
  }
  Slot& s = window_[i];
  if (s.state == State::kDone) {
    ++duplicated_;
    return;
  }
  s.state = State::kDone;
  ++processed_;
  latency_.add(now_ps > s.device_time_ps ? (now_ps - s.device_time_ps) / 1000 : 0);
  compact();
}

void Accounting::compact() {
  while (!window_.empty() && window_.front().state == State::kDone) {
    window_.pop_front();
    ++base_;
  }
}

std::uint64_t Accounting::outstanding() const {
  std::uint64_t n = 0;
  for (const Slot& s : window_) n += s.state == State::kWritten;
  return n;
}

std::vector<std::uint32_t> Accounting::outstanding_sample(std::size_t n) const {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < window_.size() && out.size() < n; ++i)
    if (window_[i].state == State::kWritten) out.push_back(static_cast<std::uint32_t>(base_ + i));
  return out;
}

}  // namespace irqrig::host
