// KeIpiGenericCall's rendezvous: the serialization of concurrent callers and the barrier every processor
// reaches at IPI_LEVEL before any runs the worker, then the wait for all workers (SEMANTICS G1-G4).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace irqrig::host {

/// A broken protocol of the rendezvous: a processor arriving twice, a worker before the barrier...
class IpiProtocolError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// G2: one broadcast at a time. Like the kernel's spin lock it models, the gate is not a queue:
/// whichever caller finds it free enters, so an ISR that broadcasts while its CPU waits for the
/// gate at DISPATCH_LEVEL gets in ahead of the code it preempted instead of deadlocking.
class IpiGate {
 public:
  /// True when the gate was free; `cpu` then owns it until leave().
  bool try_enter(unsigned cpu);
  void leave(unsigned cpu);
  std::optional<unsigned> owner() const { return owner_; }

 private:
  std::optional<unsigned> owner_;
};

/// One broadcast among `cpus` processors, started by `caller`.
class IpiRendezvous {
 public:
  IpiRendezvous(unsigned cpus, unsigned caller);

  /// `cpu` is at IPI_LEVEL and has reached the barrier (G3). True when it was the last to arrive.
  bool arrive(unsigned cpu);
  bool arrived(unsigned cpu) const { return arrived_.at(cpu); }
  bool all_arrived() const { return arrivals_ == cpus_; }
  /// `cpu`'s worker returned `value` (G1: once per processor, after the barrier).
  void worker_returned(unsigned cpu, std::uintptr_t value);
  /// Every worker has returned (G4).
  bool complete() const { return returns_ == cpus_; }
  /// The caller's worker's value, once complete (G4).
  std::uintptr_t result() const;
  unsigned caller() const { return caller_; }
  unsigned cpus() const { return cpus_; }

 private:
  unsigned cpus_, caller_;
  std::vector<bool> arrived_, returned_;
  unsigned arrivals_ = 0, returns_ = 0;
  std::uintptr_t caller_value_ = 0;
};

}  // namespace irqrig::host
