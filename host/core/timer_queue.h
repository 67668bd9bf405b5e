// The kernel timer queue: when each set KTIMER expires, relative or absolute due times in 100 ns units,
// periodic re-arming, cancel and re-set (SEMANTICS E14). Objects are opaque; time is interrupt time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace irqrig::host {

class TimerQueue {
 public:
  /// KeSetTimerEx: a negative `due_time` is relative to `now`, a positive one absolute (both 100 ns
  /// units); `period_ms` 0 is a one-shot. Returns true when the timer was already set: its old
  /// expiry is cancelled (E14).
  bool set(void* timer, std::int64_t due_time, std::uint32_t period_ms, std::uint64_t now);
  /// KeCancelTimer: true when the timer was set.
  bool cancel(void* timer);
  bool is_set(const void* timer) const { return index_.count(timer) != 0; }
  /// The absolute due time of a set timer.
  std::optional<std::uint64_t> due(const void* timer) const;
  /// The earliest due time, if any timer is set.
  std::optional<std::uint64_t> next_due() const;

  struct Expired {
    void* timer;
    std::uint64_t due;  ///< when it was due (<= the `now` given to expire)
  };
  /// Every expiry due at or before `now`, earliest first (ties in the order they were set). A
  /// periodic timer is re-armed at now + period (once, however late), a one-shot leaves the queue.
  std::vector<Expired> expire(std::uint64_t now);
  std::size_t size() const { return index_.size(); }

  static constexpr std::uint64_t kUnitsPerMs = 10'000;

 private:
  using Key = std::pair<std::uint64_t, std::uint64_t>;  // (due, order of setting)
  struct Entry {
    void* timer;
    std::uint64_t period;  // 100 ns units, 0 for one-shot
  };
  void arm(void* timer, std::uint64_t due, std::uint64_t period);

  std::map<Key, Entry> queue_;
  std::unordered_map<const void*, Key> index_;
  std::uint64_t order_ = 0;
};

}  // namespace irqrig::host
