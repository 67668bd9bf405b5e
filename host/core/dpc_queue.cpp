#include "host/core/dpc_queue.h"

#include <algorithm>
#include <stdexcept>

namespace irqrig::host {

void DpcQueue::insert(void* object, DpcImportance importance) {
  if (importance == DpcImportance::kHigh) {
    queue_.push_front(object);
  } else {
    queue_.push_back(object);
  }
}

bool DpcQueue::remove(void* object) {
  const auto it = std::find(queue_.begin(), queue_.end(), object);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  return true;
}

void* DpcQueue::pop() {
  if (queue_.empty()) return nullptr;
  void* o = queue_.front();
  queue_.pop_front();
  return o;
}

ProcessorDpcs::ProcessorDpcs(DpcTuning tuning, bool threaded_enabled)
    : tuning_(tuning),
      threaded_enabled_(threaded_enabled),
      maximum_depth_(tuning.maximum_queue_depth),
      adjust_countdown_(tuning.adjust_threshold) {
  if (tuning.maximum_queue_depth == 0) throw std::invalid_argument("MaximumDpcQueueDepth must be at least 1");
  if (tuning.adjust_threshold == 0) throw std::invalid_argument("AdjustDpcThreshold must be at least 1");
}

ProcessorDpcs::Inserted ProcessorDpcs::insert(void* object, DpcImportance importance, bool threaded, bool local) {
  Inserted out;
  // E12: with threaded DPCs disabled a threaded DPC is an ordinary one.
  if (threaded && threaded_enabled_) {
    out.threaded_queue = true;
    threaded_.insert(object, importance);  // importance only orders the threaded queue
    if (!thread_active_ && !thread_requested_) {
      thread_requested_ = true;
      out.signal = DpcSignal::kReadyThread;
    }
    return out;
  }
  normal_.insert(object, importance);
  ++count_;
  // A running drain or a pending request will reach it anyway (E10).
  if (routine_active_ || dispatch_requested_) return out;
  const std::size_t depth = normal_.depth();
  if (local) {
    // E7: Low importance requests only on a deep queue or when DPCs have been rare lately.
    if (importance != DpcImportance::kLow || depth >= maximum_depth_ || request_rate_ < tuning_.minimum_rate) {
      dispatch_requested_ = true;
      out.signal = DpcSignal::kDispatchInterrupt;
    }
  } else if (importance == DpcImportance::kHigh || importance == DpcImportance::kMediumHigh ||
             depth >= maximum_depth_) {
    // E8: another processor is interrupted only for urgent DPCs or a deep queue; the rest wait
    // for its clock tick.
    dispatch_requested_ = true;
    out.signal = DpcSignal::kIpi;
  }
  return out;
}

void ProcessorDpcs::append_marker(void* object, bool threaded) {
  if (threaded && threaded_enabled_) {
    threaded_.insert(object, DpcImportance::kMedium);
    thread_requested_ = true;
  } else {
    normal_.insert(object, DpcImportance::kMedium);
    dispatch_requested_ = true;
  }
}

bool ProcessorDpcs::remove(void* object) { return normal_.remove(object) || threaded_.remove(object); }

void ProcessorDpcs::begin_drain() {
  dispatch_requested_ = false;
  routine_active_ = true;
}

void ProcessorDpcs::begin_thread() {
  thread_requested_ = false;
  thread_active_ = true;
}

bool ProcessorDpcs::tick() {
  request_rate_ = static_cast<unsigned>(((count_ - last_count_) + request_rate_) >> 1);
  last_count_ = count_;
  // ReactOS's KeUpdateRunTime: only a queue nobody will drain yet (no routine active, no request
  // pending) gets a request, and only then may the adaptive depth drop.
  if (!normal_.empty() && !routine_active_ && !dispatch_requested_) {
    adjust_countdown_ = tuning_.adjust_threshold;
    if (tuning_.adaptive_depth && request_rate_ < tuning_.ideal_rate && maximum_depth_ > 1) --maximum_depth_;
    dispatch_requested_ = true;
    return true;
  }
  if (tuning_.adaptive_depth && --adjust_countdown_ == 0) {
    adjust_countdown_ = tuning_.adjust_threshold;
    if (maximum_depth_ != tuning_.maximum_queue_depth) ++maximum_depth_;
  }
  return false;
}

}  // namespace irqrig::host
