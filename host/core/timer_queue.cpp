#include "host/core/timer_queue.h"

namespace irqrig::host {

void TimerQueue::arm(void* timer, std::uint64_t due, std::uint64_t period) {
  const Key key{due, order_++};
  queue_.emplace(key, Entry{timer, period});
  index_[timer] = key;
}

bool TimerQueue::set(void* timer, std::int64_t due_time, std::uint32_t period_ms, std::uint64_t now) {
  const bool was_set = cancel(timer);
  std::uint64_t due;
  if (due_time < 0) {
    // Relative: -due_time units from now. INT64_MIN has no positive counterpart; it is "far away".
    const std::uint64_t delta = due_time == INT64_MIN ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(-due_time);
    due = now + delta;
  } else {
    due = static_cast<std::uint64_t>(due_time);  // absolute; one already past expires at once
  }
  arm(timer, due, std::uint64_t{period_ms} * kUnitsPerMs);
  return was_set;
}

bool TimerQueue::cancel(void* timer) {
  const auto it = index_.find(timer);
  if (it == index_.end()) return false;
  queue_.erase(it->second);
  index_.erase(it);
  return true;
}

std::optional<std::uint64_t> TimerQueue::due(const void* timer) const {
  const auto it = index_.find(timer);
  if (it == index_.end()) return std::nullopt;
  return it->second.first;
}

std::optional<std::uint64_t> TimerQueue::next_due() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first.first;
}

std::vector<TimerQueue::Expired> TimerQueue::expire(std::uint64_t now) {
  std::vector<Expired> out;
  while (!queue_.empty() && queue_.begin()->first.first <= now) {
    const auto node = queue_.begin();
    const std::uint64_t due = node->first.first;
    const Entry entry = node->second;
    queue_.erase(node);
    index_.erase(entry.timer);
    out.push_back(Expired{entry.timer, due});
    // A periodic timer is set again for one period from the expiry's processing (ReactOS's
    // KiTimerListExpire inserts it Period relative to now): processed late, it does not replay
    // the periods it missed.
    if (entry.period) arm(entry.timer, now + entry.period, entry.period);
  }
  return out;
}

}  // namespace irqrig::host
