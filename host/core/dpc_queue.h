// One processor's DPC queues and the rules that decide where an insert goes, whether it requests a
// DISPATCH_LEVEL interrupt, and how the clock tick adapts them (SEMANTICS E6-E12). Objects are opaque.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace irqrig::host {

/// The WDK's KDPC_IMPORTANCE values.
enum class DpcImportance : unsigned char { kLow = 0, kMedium = 1, kHigh = 2, kMediumHigh = 3 };

/// The kernel's DPC tuning (registry values under Session Manager\kernel, ReactOS defaults).
struct DpcTuning {
  std::size_t maximum_queue_depth = 4;  ///< MaximumDpcQueueDepth (E7, E8)
  unsigned minimum_rate = 3;            ///< MinimumDpcRate, requests per clock tick (E7)
  /// E9 [choice]: adapt MaximumDpcQueueDepth per tick as ReactOS does; off by default.
  bool adaptive_depth = false;
  unsigned ideal_rate = 20;        ///< IdealDpcRate: below it a tick lowers the depth (E9)
  unsigned adjust_threshold = 20;  ///< AdjustDpcThreshold: idle ticks before the depth grows back (E9)
};

/// A plain FIFO with a head for High importance.
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

 private:
  std::deque<void*> queue_;
};

/// What an insert asks of the processor whose queue received it.
enum class DpcSignal : std::uint8_t {
  kNone,               ///< nothing now: a drain in progress, a pending request or the next tick will run it
  kDispatchInterrupt,  ///< the inserting processor requests DISPATCH_LEVEL on itself (E7)
  kIpi,                ///< a DISPATCH request is sent to the other processor at once (E8)
  kReadyThread,        ///< the processor's DPC thread is readied (E12)
};

/// The KPRCB's DPC state: a normal and a threaded queue (E11), the request and activity flags, and the
/// per-tick request rate. The platform calls `insert` for the processor that owns these queues.
class ProcessorDpcs {
 public:
  explicit ProcessorDpcs(DpcTuning tuning = {}, bool threaded_enabled = true);

  struct Inserted {
    bool threaded_queue = false;  ///< it went to the threaded queue (E11, E12)
    DpcSignal signal = DpcSignal::kNone;
  };
  /// Queues `object`; `local` is true when the inserting processor owns these queues. Callers make
  /// sure the object is not queued anywhere yet (E2).
  Inserted insert(void* object, DpcImportance importance, bool threaded, bool local);
  /// KeFlushQueuedDpcs: queues a marker at the tail of the normal or threaded queue and requests
  /// its drain, without counting it as a driver's request. When it runs, every DPC queued there
  /// before it has run (E13).
  void append_marker(void* object, bool threaded);
  /// Takes `object` out of whichever queue holds it; true exactly when one did (E4).
  bool remove(void* object);

  /// The drain of the normal queue at DISPATCH_LEVEL: begin clears the request and marks a DPC
  /// routine active, so inserts meanwhile just join the queue (E10).
  void begin_drain();
  void* next_normal() { return normal_.pop(); }
  void end_drain() { routine_active_ = false; }
  /// Likewise for the DPC thread and the threaded queue (E12).
  void begin_thread();
  void* next_threaded() { return threaded_.pop(); }
  void end_thread() { thread_active_ = false; }

  /// The clock tick: averages the request rate and requests a drain of a non-empty queue (E8);
  /// with adaptive depth, moves MaximumDpcQueueDepth as ReactOS does (E9). True when it requests.
  bool tick();

  /// A DISPATCH_LEVEL software interrupt is pending (KPRCB DpcInterruptRequested).
  bool dispatch_requested() const { return dispatch_requested_; }
  void request_dispatch() { dispatch_requested_ = true; }
  bool thread_requested() const { return thread_requested_; }
  bool routine_active() const { return routine_active_; }
  bool thread_active() const { return thread_active_; }

  std::size_t depth() const { return normal_.depth(); }
  std::size_t threaded_depth() const { return threaded_.depth(); }
  bool empty() const { return normal_.empty() && threaded_.empty(); }
  unsigned request_rate() const { return request_rate_; }
  std::size_t maximum_depth() const { return maximum_depth_; }
  std::uint64_t insert_count() const { return count_; }
  bool threaded_enabled() const { return threaded_enabled_; }
  /// For tests and for the first ticks of a run: start from a measured request rate.
  void set_request_rate(unsigned rate) { request_rate_ = rate; }

 private:
  DpcTuning tuning_;
  bool threaded_enabled_;
  DpcQueue normal_, threaded_;
  bool dispatch_requested_ = false, routine_active_ = false;
  bool thread_requested_ = false, thread_active_ = false;
  std::uint64_t count_ = 0, last_count_ = 0;  // DpcData[normal].DpcCount and DpcLastCount
  unsigned request_rate_ = 0;
  std::size_t maximum_depth_;
  unsigned adjust_countdown_;
};

}  // namespace irqrig::host
