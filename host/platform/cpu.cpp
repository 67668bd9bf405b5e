// One simulated CPU: its thread of execution, IRQL, the interrupts it takes, its DPC drains and DPC
// thread, and the time it spends in each kind of routine.
#include <algorithm>
#include <utility>
#include <limits>

#include <fmt/format.h>

#include "host/platform/platform.h"

namespace irqrig::host {
namespace {

constexpr std::uint64_t kNoArrival = std::numeric_limits<std::uint64_t>::max();

}  // namespace

const char* routine_kind_name(RoutineKind kind) {
  switch (kind) {
    case RoutineKind::kNone: return "none";
    case RoutineKind::kPassive: return "passive";
    case RoutineKind::kIsr: return "ISR";
    case RoutineKind::kDpc: return "DPC";
    case RoutineKind::kTimerDpc: return "timer DPC";
    case RoutineKind::kThreadedDpc: return "threaded DPC";
    case RoutineKind::kIpiWorker: return "IPI worker";
    case RoutineKind::kHold: return "hold";
  }
  return "unknown";
}

Cpu::Cpu(const sc_core::sc_module_name& name, Platform& platform, unsigned index)
    : sc_module(name),
      platform_(platform),
      index_(index),
      dpcs_(platform.config().dpc, platform.config().threaded_dpcs),
      arrival_ps_(256, kNoArrival) {
  SC_THREAD(run);
  sensitive << wake_ << timer_;
}

void Cpu::queue_passive(std::function<void()> fn) {
  passive_work_.push_back(std::move(fn));
  wake();
}

// An interrupt the IRQL holds cannot change what this CPU does until its own code lowers the IRQL,
// and that code looks again then: only a deliverable one needs to wake it.
void Cpu::post(std::uint8_t vector) {
  post_quietly(vector, platform_.now_ps());
  if (lapic_.deliverable()) wake();
}

void Cpu::post_quietly(std::uint8_t vector, std::uint64_t arrived_ps) {
  if (lapic_.accept(vector)) {
    ++msi_accepted_;
    arrival_ps_[vector] = arrived_ps;
  } else {
    ++msi_merged_;
  }
}

void Cpu::expect_arrival(std::uint64_t time_ps, std::uint8_t vector) {
  arrivals_.push_back(Arrival{time_ps, vector});
  // A running CPU looks at its arrivals before it blocks; a blocked one is woken for this one if
  // it comes before the wait would end.
  if (blocked_ && time_ps < timer_for_) arm(time_ps);
}

void Cpu::arm(std::uint64_t time_ps) {
  if (timer_for_ <= time_ps) return;
  const std::uint64_t now = platform_.now_ps();
  // An earlier time replaces a later pending one; timer_ carries nothing else.
  timer_.notify(sc_core::sc_time::from_value(time_ps > now ? time_ps - now : 0));
  timer_for_ = time_ps;
}

void Cpu::block(std::optional<std::uint64_t> duration_ps, const sc_core::sc_event* event) {
  const std::uint64_t now = platform_.now_ps();
  std::uint64_t until = duration_ps ? now + *duration_ps : kNever;
  if (!arrivals_.empty()) until = std::min(until, arrivals_.front().time_ps);
  if (until != kNever) arm(until);
  blocked_ = true;
  if (event) {
    wait(*event | wake_ | timer_);
  } else {
    wait();  // static sensitivity: wake_ or timer_
  }
  blocked_ = false;
  resume();
}

// No wake: this CPU either runs now (it is the one delivering) or is woken at this very time by the
// notification expect_arrival() armed, and looks at its local APIC then.
void Cpu::arrive(std::uint8_t vector, std::uint64_t time_ps) {
  arrivals_.pop_front();
  post_quietly(vector, time_ps);
}

void Cpu::post_clock() {
  lapic_.accept(kClockVector);
  if (lapic_.deliverable()) wake();
}

void Cpu::post_broadcast_ipi() {
  broadcast_requested_ = true;
  lapic_.accept(kIpiVector);
  if (lapic_.deliverable()) wake();
}

void Cpu::resume() {
  platform_.set_current(this);
  platform_.sync_upstream();
  if (timer_for_ <= platform_.now_ps()) timer_for_ = kNever;  // it fired
}

void Cpu::set_irql(Irql irql, bool count_dispatch_run) {
  // The DPC watchdog's cumulative bound counts from the moment this CPU reached DISPATCH_LEVEL
  // until it next falls below it.
  const bool was = irql_ >= kDispatchLevel, is = irql >= kDispatchLevel;
  if (!count_dispatch_run) {
    // An injected hold: run_hold keeps its time out of the run.
  } else if (!was && is) {
    dispatch_since_ps_ = platform_.now_ps();
  } else if (was && !is && dispatch_since_ps_ != kNever) {
    max_dispatch_run_ps_ = std::max(max_dispatch_run_ps_, platform_.now_ps() - dispatch_since_ps_);
    dispatch_since_ps_ = kNever;
  }
  irql_ = irql;
  lapic_.set_tpr(tpr_of_irql(irql));
}

void Cpu::account() { account(platform_.now_ps()); }

namespace {

// The figure a routine's time counts in (docs/host-model.md "Time accounting").
void add_time(CpuStats& stats, RoutineKind kind, std::uint64_t ps) {
  switch (kind) {
    case RoutineKind::kIsr: stats.isr_ps += ps; break;
    case RoutineKind::kDpc:
    case RoutineKind::kTimerDpc:
    case RoutineKind::kThreadedDpc: stats.dpc_ps += ps; break;
    case RoutineKind::kIpiWorker: stats.ipi_ps += ps; break;
    case RoutineKind::kHold: stats.held_ps += ps; break;
    case RoutineKind::kPassive:
    case RoutineKind::kNone: stats.other_ps += ps; break;
  }
}

}  // namespace

void Cpu::account(std::uint64_t now) {
  const std::uint64_t spent = now - account_since_ps_;
  account_since_ps_ = now;
  if (!frames_.empty()) add_time(stats_, frames_.back().kind, spent);  // else idle
}

CpuStats Cpu::stats() const {
  CpuStats s = stats_;
  if (!frames_.empty()) add_time(s, frames_.back().kind, platform_.now_ps() - account_since_ps_);
  return s;
}

void Cpu::push_frame(RoutineKind kind, const void* routine, std::uint32_t message, std::uint8_t vector,
                     std::optional<std::uint64_t> start_ps) {
  const std::uint64_t start = start_ps ? *start_ps : platform_.now_ps();
  account(start);
  frames_.push_back(Frame{kind, routine, routine, routine, message, vector, start});
}

const void* Cpu::set_frame_routine(const void* routine) {
  if (frames_.empty()) return nullptr;
  Frame& f = frames_.back();
  const void* previous = f.routine;
  f.routine = routine;
  if (routine != f.entered) f.shown = routine;
  return previous;
}

namespace {

nlohmann::ordered_json slice_args(Platform& platform, const Cpu::Frame& f) {
  nlohmann::ordered_json args;
  if (f.shown) args["routine"] = platform.routine_name(f.shown);
  if (f.kind == RoutineKind::kIsr) {
    args["message"] = f.message;
    args["vector"] = fmt::format("{:#04x}", f.vector);
  }
  if (f.kind == RoutineKind::kHold) args["irql"] = f.vector;  // a hold keeps its IRQL where an ISR has its vector
  return args;
}

}  // namespace

void Cpu::pop_frame() {
  account();
  const Frame f = frames_.back();
  frames_.pop_back();
  if (TraceWriter* t = platform_.trace())
    t->slice(index_, routine_kind_name(f.kind), f.start_ps, platform_.now_ps() - f.start_ps,
             slice_args(platform_, f));
}

void Cpu::close_frames_for_trace() {
  TraceWriter* t = platform_.trace();
  if (!t) return;
  // The routines stay entered: the trace ends, not the run (their later pops go nowhere).
  const std::uint64_t now = platform_.now_ps();
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it)
    t->slice(index_, routine_kind_name(it->kind), it->start_ps, now - it->start_ps, slice_args(platform_, *it));
}

void Cpu::run() {
  thread_ = sc_core::sc_get_current_process_b();
  platform_.guard([this] { loop(); });
}

void Cpu::loop() {
  resume();
  account_since_ps_ = platform_.now_ps();
  for (;;) {
    check_preemption();
    if (!passive_work_.empty()) {
      auto fn = std::move(passive_work_.front());
      passive_work_.pop_front();
      push_frame(RoutineKind::kPassive, nullptr);
      fn();
      if (irql_ != kPassiveLevel)
        platform_.violation("IRQL_UNEXPECTED_VALUE",
                            fmt::format("a PASSIVE_LEVEL routine returned at {}", irql_name(irql_)));
      pop_frame();
      continue;
    }
    sleep();
  }
}

// Idle. When the next thing to happen here is a message whose interrupt will be taken the moment it
// arrives (nothing in service, nothing else to run), the CPU sleeps through the ISR entry cost as
// well, then applies what happened at the arrival as of that time. Anything that wakes it earlier
// finds the same state as if it had been awake: the take is replayed first, at its own time.
// Exact, and one SystemC wake fewer per interrupt on an idle CPU.
void Cpu::sleep() {
  const bool skip_entry = !arrivals_.empty() && lapic_.idle() && irql_ == kPassiveLevel &&
                          !dpcs_.dispatch_requested() && !dpcs_.thread_requested() && passive_work_.empty() &&
                          is_device_vector(arrivals_.front().vector);
  if (!skip_entry) {
    block(std::nullopt);
    return;
  }
  const Arrival next = arrivals_.front();
  std::uint64_t until = next.time_ps + platform_.config().costs.isr_ns * 1000;
  if (arrivals_.size() > 1) until = std::min(until, arrivals_[1].time_ps);
  // The arrival's own notification would wake it at the arrival: the deadline replaces it.
  if (timer_for_ < until) {
    timer_.cancel();
    timer_for_ = kNever;
  }
  arm(until);
  blocked_ = true;
  wait();
  blocked_ = false;
  platform_.set_current(this);
  if (timer_for_ <= platform_.now_ps()) timer_for_ = kNever;
  if (platform_.now_ps() >= next.time_ps) {
    // Replay the arrival: everything up to it, then its interrupt taken at that moment.
    platform_.sync_upstream_until(next.time_ps);
    const auto v = lapic_.deliverable();
    if (v && *v == next.vector) {
      take(*v, next.time_ps);
      return;
    }
  }
  resume();
}

void Cpu::check_preemption() {
  for (;;) {
    // An injected hold is taken like an interrupt of its IRQL: before device interrupts at or below it.
    if (!holds_.empty() && holds_.front().irql > irql_) {
      const auto v = lapic_.deliverable();
      if (!v || irql_of_vector(*v) <= holds_.front().irql) {
        run_hold();
        continue;
      }
    }
    if (const auto v = lapic_.deliverable()) {
      take(*v);
      continue;
    }
    // The DISPATCH_LEVEL software interrupt fires as soon as IRQL is below it (C5).
    if (irql_ < kDispatchLevel && dpcs_.dispatch_requested() && !dpcs_.routine_active()) {
      drain_dpcs();
      continue;
    }
    // The DPC thread has real-time priority: it preempts every other PASSIVE_LEVEL code (E12).
    if (irql_ == kPassiveLevel && dpcs_.thread_requested() && !dpcs_.thread_active()) {
      run_dpc_thread();
      continue;
    }
    return;
  }
}

void Cpu::consume_ps(std::uint64_t amount) {
  std::uint64_t remaining = amount;
  while (remaining > 0) {
    const std::uint64_t start = platform_.now_ps();
    const std::uint64_t deadline = watchdog_deadline();
    if (deadline <= start) check_watchdog();
    block(std::min(remaining, deadline - start));
    const std::uint64_t passed = platform_.now_ps() - start;
    remaining -= std::min(passed, remaining);
    check_watchdog();
    // A nested interrupt's time is its own: the preempted routine still owes `remaining`.
    check_preemption();
  }
}

void Cpu::spin_until(const std::function<bool()>& ready, const sc_core::sc_event& event) {
  while (!ready()) {
    const std::uint64_t now = platform_.now_ps(), deadline = watchdog_deadline();
    if (deadline <= now) check_watchdog();
    block(deadline == kNever ? std::nullopt : std::optional(deadline - now), &event);
    check_watchdog();
    check_preemption();
  }
}

std::uint64_t Cpu::watchdog_deadline() const {
  const CheckSettings& c = platform_.config().checks;
  std::uint64_t deadline = kNever;
  if (c.dpc_cumulative_ps && dispatch_since_ps_ != kNever) deadline = dispatch_since_ps_ + c.dpc_cumulative_ps;
  if (c.dpc_single_ps && dpc_frame_) deadline = std::min(deadline, frames_[*dpc_frame_].start_ps + c.dpc_single_ps);
  return deadline;
}

void Cpu::check_watchdog() {
  const std::uint64_t now = platform_.now_ps();
  if (now < watchdog_deadline()) return;
  // DPC_WATCHDOG_VIOLATION (0x133): parameter 0 for one DPC over its time, 1 for the CPU over
  // its cumulative time at DISPATCH_LEVEL and above.
  const CheckSettings& c = platform_.config().checks;
  Fault f = platform_.driver_fault("DPC_WATCHDOG_VIOLATION", {});
  f.check = "dpc_watchdog";
  if (c.dpc_single_ps && dpc_frame_ && now >= frames_[*dpc_frame_].start_ps + c.dpc_single_ps) {
    const Frame& dpc = frames_[*dpc_frame_];
    f.time_ps = dpc.start_ps + c.dpc_single_ps;
    f.routine = dpc.kind;
    f.routine_name = dpc.routine ? platform_.routine_name(dpc.routine) : std::string();
    f.detail = fmt::format("parameter 0: one {} routine has run for {} us since {} ns, over "
                           "checks.dpc_watchdog.single_us {}",
                           routine_kind_name(dpc.kind), (now - dpc.start_ps) / 1'000'000, dpc.start_ps / 1000,
                           c.dpc_single_ps / 1'000'000);
  } else {
    f.time_ps = dispatch_since_ps_ + c.dpc_cumulative_ps;
    f.detail = fmt::format("parameter 1: CPU {} has been at DISPATCH_LEVEL or above since {} ns without a break, "
                           "over checks.dpc_watchdog.cumulative_us {}",
                           index_, dispatch_since_ps_ / 1000, c.dpc_cumulative_ps / 1'000'000);
  }
  throw DriverFault(std::move(f));
}

std::uint64_t Cpu::max_dispatch_run_ps() const {
  std::uint64_t m = max_dispatch_run_ps_;
  if (dispatch_since_ps_ != kNever) m = std::max(m, platform_.now_ps() - dispatch_since_ps_);
  return m;
}

void Cpu::raise_irql(Irql irql) {
  if (!is_valid_irql(irql)) platform_.violation("IRQL_NOT_GREATER_OR_EQUAL", fmt::format("raising to IRQL {}", irql));
  if (irql < irql_)
    platform_.violation("IRQL_NOT_GREATER_OR_EQUAL",
                        fmt::format("KeRaiseIrql to {} from {}", irql_name(irql), irql_name(irql_)));
  set_irql(irql);
}

void Cpu::lower_irql(Irql irql) {
  if (irql > irql_)
    platform_.violation("IRQL_NOT_LESS_OR_EQUAL",
                        fmt::format("KeLowerIrql to {} from {}", irql_name(irql), irql_name(irql_)));
  set_irql(irql);
  check_preemption();
}

void Cpu::take(std::uint8_t vector) { take(vector, platform_.now_ps()); }

void Cpu::take(std::uint8_t vector, std::uint64_t at_ps) {
  lapic_.take(vector);
  // The arrival being taken, read before a replay's resume() below can deliver a later arrival of
  // the same vector into the IRR that take() has just emptied.
  const std::uint64_t arrived_ps = std::exchange(arrival_ps_[vector], kNoArrival);
  // Taken earlier than now (replayed after sleeping through the entry): what arrived since comes
  // after the take, as it did.
  if (at_ps < platform_.now_ps()) resume();
  const Irql old = irql_;
  set_irql(irql_of_vector(vector));
  if (vector == kClockVector) {
    clock_interrupt();
  } else if (vector == kIpiVector) {
    if (broadcast_requested_) {
      broadcast_requested_ = false;
      platform_.join_broadcast(*this);
    }
  } else {
    device_interrupt(vector, at_ps, arrived_ps);
  }
  lapic_.eoi();
  set_irql(old);
  // The caller's loop then drains DPCs if IRQL fell below DISPATCH with a request pending (C5).
}

void Cpu::device_interrupt(std::uint8_t vector, std::uint64_t at_ps, std::uint64_t arrived_ps) {
  platform_.dispatch(*this, vector, at_ps, arrived_ps == kNoArrival ? std::nullopt : std::optional(arrived_ps));
}

void Cpu::clock_interrupt() {
  // KeUpdateRunTime: the request rate, a drain for DPCs nobody interrupted for (E8), the
  // adaptive depth (E9). The drain itself runs once IRQL falls below DISPATCH.
  dpcs_.tick();
}

Cpu::DpcCall Cpu::dequeued(PRKDPC dpc) {
  // Everything the call needs is read now: once the DPC has left the queue (E3) it may be inserted
  // again, from an ISR during the routine's entry cost, with new arguments for the next run.
  DpcCall call{dpc,
               dpc->DeferredRoutine,
               dpc->DeferredContext,
               dpc->SystemArgument1,
               dpc->SystemArgument2,
               dpc->InsertTimePs,
               static_cast<DpcOrigin>(dpc->IrqrigOrigin)};
  dpc->DpcData = nullptr;
  return call;
}

void Cpu::drain_dpcs() {
  const Irql old = irql_;
  set_irql(kDispatchLevel);
  dpcs_.begin_drain();
  while (void* object = dpcs_.next_normal()) {
    const DpcCall call = dequeued(static_cast<PRKDPC>(object));
    switch (call.origin) {
      case DpcOrigin::kFlushMarker: call.routine(call.dpc, call.context, nullptr, nullptr); break;
      case DpcOrigin::kTimer: run_dpc(call, RoutineKind::kTimerDpc, kDispatchLevel); break;
      case DpcOrigin::kDriver: run_dpc(call, RoutineKind::kDpc, kDispatchLevel); break;
    }
  }
  dpcs_.end_drain();
  set_irql(old);
}

void Cpu::run_dpc_thread() {
  dpcs_.begin_thread();
  while (void* object = dpcs_.next_threaded()) {
    const DpcCall call = dequeued(static_cast<PRKDPC>(object));
    if (call.origin == DpcOrigin::kFlushMarker) {
      call.routine(call.dpc, call.context, nullptr, nullptr);
      continue;
    }
    run_dpc(call, RoutineKind::kThreadedDpc, kPassiveLevel);
  }
  dpcs_.end_thread();
}

void Cpu::run_dpc(const DpcCall& call, RoutineKind kind, Irql expected) {
  push_frame(kind, reinterpret_cast<const void*>(call.routine));
  // The watchdog's single-DPC bound: ordinary and timer DPCs (a threaded one runs at PASSIVE_LEVEL).
  if (kind != RoutineKind::kThreadedDpc) dpc_frame_ = frames_.size() - 1;
  const std::uint64_t start = platform_.now_ps();
  consume_ps(platform_.config().costs.dpc_ns * 1000);
  // ISR->DPC is from the insert to the moment the routine itself starts running.
  if (kind != RoutineKind::kTimerDpc) platform_.isr_to_dpc().add((platform_.now_ps() - call.insert_ps) / 1000);
  call.routine(call.dpc, call.context, call.arg1, call.arg2);
  if (irql_ != expected)
    platform_.violation("IRQL_UNEXPECTED_VALUE", fmt::format("the {} routine returned at {}, entered at {}",
                                                             routine_kind_name(kind), irql_name(irql_),
                                                             irql_name(expected)));
  auto& counters = platform_.counters();
  ++counters.dpc_runs;
  counters.dpc_max_runtime_ps = std::max(counters.dpc_max_runtime_ps, platform_.now_ps() - start);
  if (kind != RoutineKind::kThreadedDpc) dpc_frame_.reset();
  pop_frame();
}

}  // namespace irqrig::host

namespace irqrig::host {

// ---------------------------------------------------------------------------------------------
// Injected holds (faults.hold_cpus, docs/faults.md)

void Cpu::request_hold(Irql irql, std::uint64_t until_ps) {
  holds_.push_back(Hold{irql, until_ps});
  wake();
}

void Cpu::run_hold() {
  const Hold h = holds_.front();
  holds_.pop_front();
  if (platform_.now_ps() >= h.until_ps) return;  // higher IRQLs kept it out for its whole window
  ++platform_.fault_counters().cpu_holds;
  const Irql old = irql_;
  // The DPC watchdog measures the driver's time at DISPATCH_LEVEL and above (docs/checks.md): a
  // hold is the rig's, not the driver's, so the run pauses for it. A run under way (the hold
  // preempted a DPC or an ISR) keeps its time so far and goes on after the hold; a hold from
  // below DISPATCH starts none. Interrupts that preempt the hold still count if they cross DISPATCH.
  std::optional<std::uint64_t> paused_run_ps;
  if (dispatch_since_ps_ != kNever) {
    paused_run_ps = platform_.now_ps() - dispatch_since_ps_;
    max_dispatch_run_ps_ = std::max(max_dispatch_run_ps_, *paused_run_ps);
    dispatch_since_ps_ = kNever;
  }
  set_irql(h.irql, false);
  push_frame(RoutineKind::kHold, nullptr, ~0u, h.irql);
  // Held until the window ends, whatever preempts it meanwhile: a window of time, not of work.
  while (platform_.now_ps() < h.until_ps) {
    block(h.until_ps - platform_.now_ps());
    check_preemption();
  }
  pop_frame();
  set_irql(old, false);
  if (paused_run_ps) dispatch_since_ps_ = platform_.now_ps() - *paused_run_ps;
}

}  // namespace irqrig::host
