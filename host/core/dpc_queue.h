// One CPU's DPC queue and the rules that decide where an insert goes and whether it requests a
// DISPATCH_LEVEL interrupt (SEMANTICS E6, E7, E10). Objects are opaque; callers track membership.
#pragma once

#include <cstddef>
#include <deque>

namespace irqrig::host {

/// The WDK's KDPC_IMPORTANCE values.
enum class DpcImportance : unsigned char { kLow = 0, kMedium = 1, kHigh = 2, kMediumHigh = 3 };

struct DpcTuning {
  std::size_t maximum_queue_depth = 4;  ///< MaximumDpcQueueDepth
  unsigned minimum_rate = 3;            ///< MinimumDpcRate, requests per clock tick
};

class DpcQueue {
 public:
  /// High importance goes to the head, every other importance to the tail (E6).
  void insert(void* object, DpcImportance importance);
  /// Takes `object` out if queued; true exactly when it was (E4).
  bool remove(void* object);
  /// The next DPC to run, from the head; nullptr when empty (E10).
  void* pop();
  std::size_t depth() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }

  /// Whether an insert on the inserting CPU's own queue requests a DISPATCH interrupt (E7).
  static bool requests_interrupt_local(DpcImportance importance, std::size_t depth_after, unsigned request_rate,
                                       const DpcTuning& tuning);
  /// Whether an insert into another CPU's queue sends it an IPI now rather than waiting for its tick (E8).
  static bool requests_interrupt_remote(DpcImportance importance, std::size_t depth_after, const DpcTuning& tuning);

 private:
  std::deque<void*> queue_;
};

}  // namespace irqrig::host
