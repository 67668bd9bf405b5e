// Waits on interrupt eventfds (epoll) and timestamps each arrival with CLOCK_MONOTONIC, the
// clock the rig's recordings and latencies use for real hardware.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "host/vfio/owners.h"

namespace irqrig::host::vfio {

class InterruptVectors;

/// One wake-up of one vector. `count` > 1 means the kernel signalled the eventfd that many times
/// before the rig read it: the interrupts merged on the way, as in a LAPIC's IRR.
struct Arrival {
  unsigned vector = 0;
  std::uint64_t count = 0;
  std::uint64_t time_ns = 0;  ///< CLOCK_MONOTONIC when epoll_wait returned with it ready
};

class ArrivalLoop {
 public:
  ArrivalLoop();

  /// Reports readiness of `eventfd` as `vector`. The fd is borrowed and must stay open while watched.
  void watch(int eventfd, unsigned vector);
  /// Watches every vector of `vectors`.
  void watch(const InterruptVectors& vectors);

  /// Blocks up to `timeout` until at least one watched eventfd fired; returns the arrivals of that
  /// wake-up, all with the same timestamp, ordered by vector; empty when the time ran out.
  std::vector<Arrival> wait(std::chrono::milliseconds timeout);

  static std::uint64_t now_ns();

 private:
  UniqueFd epoll_;
  std::vector<epoll_event> ready_;  ///< one slot per watched fd, reused by every wait

};

}  // namespace irqrig::host::vfio
