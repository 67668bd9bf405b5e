#include "host/core/ipi.h"

#include <fmt/format.h>

namespace irqrig::host {

bool IpiGate::try_enter(unsigned cpu) {
  if (owner_ == cpu) throw IpiProtocolError(fmt::format("CPU {} enters the broadcast gate it already owns", cpu));
  if (owner_) return false;
  owner_ = cpu;
  return true;
}

void IpiGate::leave(unsigned cpu) {
  if (owner_ != cpu) throw IpiProtocolError(fmt::format("CPU {} leaves a broadcast gate it does not own", cpu));
  owner_.reset();
}

IpiRendezvous::IpiRendezvous(unsigned cpus, unsigned caller)
    : cpus_(cpus), caller_(caller), arrived_(cpus, false), returned_(cpus, false) {
  if (cpus == 0 || caller >= cpus)
    throw IpiProtocolError(fmt::format("a broadcast from CPU {} among {} CPUs", caller, cpus));
}

bool IpiRendezvous::arrive(unsigned cpu) {
  if (cpu >= cpus_ || arrived_[cpu]) throw IpiProtocolError(fmt::format("CPU {} arrives at the barrier twice", cpu));
  arrived_[cpu] = true;
  return ++arrivals_ == cpus_;
}

void IpiRendezvous::worker_returned(unsigned cpu, std::uintptr_t value) {
  if (cpu >= cpus_ || !arrived_[cpu] || !all_arrived())
    throw IpiProtocolError(fmt::format("CPU {} ran the worker before every CPU reached the barrier", cpu));
  if (returned_[cpu]) throw IpiProtocolError(fmt::format("CPU {} ran the worker twice", cpu));
  returned_[cpu] = true;
  ++returns_;
  if (cpu == caller_) caller_value_ = value;
}

std::uintptr_t IpiRendezvous::result() const {
  if (!complete()) throw IpiProtocolError("the broadcast's result was read before every worker returned");
  return caller_value_;
}

}  // namespace irqrig::host
