#include "host/core/dpc_queue.h"

#include <algorithm>

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

bool DpcQueue::requests_interrupt_local(DpcImportance importance, std::size_t depth_after, unsigned request_rate,
                                        const DpcTuning& tuning) {
  if (importance != DpcImportance::kLow) return true;
  return depth_after >= tuning.maximum_queue_depth || request_rate < tuning.minimum_rate;
}

bool DpcQueue::requests_interrupt_remote(DpcImportance importance, std::size_t depth_after,
                                         const DpcTuning& tuning) {
  if (importance == DpcImportance::kHigh || importance == DpcImportance::kMediumHigh) return true;
  return depth_after >= tuning.maximum_queue_depth;
}

}  // namespace irqrig::host
