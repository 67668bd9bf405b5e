#include "host/vfio/arrival_loop.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "host/vfio/error.h"
#include "host/vfio/interrupts.h"

namespace irqrig::host::vfio {

ArrivalLoop::ArrivalLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw_errno("epoll_create1() failed", errno);
}

void ArrivalLoop::watch(int eventfd, unsigned vector) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (static_cast<std::uint64_t>(vector) << 32) | static_cast<std::uint32_t>(eventfd);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, eventfd, &ev) != 0)
    throw_errno("cannot watch eventfd " + std::to_string(eventfd) + " of vector " + std::to_string(vector), errno);
  ready_.resize(ready_.size() + 1);
}

void ArrivalLoop::watch(const InterruptVectors& vectors) {
  for (unsigned v = 0; v < vectors.count(); ++v) watch(vectors.eventfd(v), v);
}

std::uint64_t ArrivalLoop::now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::vector<Arrival> ArrivalLoop::wait(std::chrono::milliseconds timeout) {
  if (ready_.empty()) throw VfioError("the arrival loop waits on no interrupt: watch a vector first");
  int n = 0;
  do {
    n = ::epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()), static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  // One timestamp for the wake-up, taken before the reads: it is the earliest moment user space
  // could know, and reading the counters must not move it.
  const std::uint64_t t = now_ns();
  if (n < 0) throw_errno("epoll_wait() failed", errno);

  std::vector<Arrival> arrivals;
  for (int i = 0; i < n; ++i) {
    const int fd = static_cast<int>(ready_[i].data.u64 & 0xFFFFFFFFu);
    std::uint64_t count = 0;
    if (::read(fd, &count, sizeof(count)) != static_cast<ssize_t>(sizeof(count))) {
      if (errno == EAGAIN) continue;  // another reader drained it first
      throw_errno("reading interrupt eventfd " + std::to_string(fd) + " failed", errno);
    }
    arrivals.push_back({static_cast<unsigned>(ready_[i].data.u64 >> 32), count, t});
  }
  std::sort(arrivals.begin(), arrivals.end(), [](const Arrival& a, const Arrival& b) { return a.vector < b.vector; });
  return arrivals;
}

}  // namespace irqrig::host::vfio
