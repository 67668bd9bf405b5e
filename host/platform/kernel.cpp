// The platform's kernel services: DPC insert/remove/flush, timers, KeIpiGenericCall, spin locks, the
// ISR chain, and IoConnectInterruptEx/IoDisconnectInterruptEx.
#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "host/core/msi.h"
#include "host/platform/platform.h"
#include "sim/device/endpoint.h"

namespace irqrig::host {
namespace {

sc_core::sc_time ps(std::uint64_t v) { return sc_core::sc_time::from_value(v); }

bool is_threaded(const KDPC& dpc) { return dpc.Type == ThreadedDpcObject; }

// The worker of a testbench broadcast: its context is the time it spends on each CPU.
ULONG_PTR stall_worker(ULONG_PTR worker_ps) {
  Platform::current().current_cpu().consume_ps(worker_ps);
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// DPCs (E2-E13)

void Platform::signal_insert(Cpu& target, Cpu* inserter, const ProcessorDpcs::Inserted& in) {
  switch (in.signal) {
    case DpcSignal::kNone: break;
    case DpcSignal::kDispatchInterrupt:
    case DpcSignal::kReadyThread:
      // On the inserting CPU the request fires at once if IRQL allows (C5); another CPU is woken.
      if (&target == inserter) {
        inserter->check_preemption();
      } else {
        target.wake();
      }
      break;
    case DpcSignal::kIpi: target.wake(); break;
  }
}

bool Platform::insert_dpc(PRKDPC dpc, PVOID arg1, PVOID arg2) {
  Cpu& cur = current_cpu();
  if (dpc->DpcData) {
    ++counters_.dpc_inserts_rejected;
    return false;  // E2: already queued, nothing changes
  }
  const unsigned target = dpc->Number ? dpc->Number - 1u : cur.index();
  if (target >= cpus_.size())
    violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
              fmt::format("KeInsertQueueDpc: the DPC targets processor {} but the host has {}", target, cpus_.size()));
  Cpu& t = *cpus_[target];
  dpc->SystemArgument1 = arg1;
  dpc->SystemArgument2 = arg2;
  dpc->InsertTimePs = now_ps();
  dpc->IrqrigOrigin = static_cast<UCHAR>(DpcOrigin::kDriver);
  const auto in = t.dpcs().insert(dpc, static_cast<DpcImportance>(dpc->Importance), is_threaded(*dpc), &t == &cur);
  dpc->DpcData = &t.dpcs();
  ++counters_.dpc_inserts;
  signal_insert(t, &cur, in);
  return true;
}

bool Platform::remove_dpc(PRKDPC dpc) {
  auto* queues = static_cast<ProcessorDpcs*>(dpc->DpcData);
  if (!queues) return false;
  const bool removed = queues->remove(dpc);
  dpc->DpcData = nullptr;
  return removed;
}

VOID Platform::flush_marker(PKDPC, PVOID context, PVOID, PVOID) {
  auto* flush = static_cast<Flush*>(context);
  if (--flush->remaining == 0) flush->done.notify(sc_core::SC_ZERO_TIME);
}

void Platform::flush_dpcs() {
  Cpu& cur = current_cpu();
  // At PASSIVE_LEVEL, but on the DPC thread: the marker would queue behind the routine waiting for
  // it. A threaded DPC routine must be written for DISPATCH_LEVEL (where it runs with threaded DPCs
  // off), and there KeFlushQueuedDpcs is not allowed.
  if (const Cpu::Frame* f = cur.frame(); f && f->kind == RoutineKind::kThreadedDpc)
    violation("IRQL_NOT_LESS_OR_EQUAL",
              "KeFlushQueuedDpcs called from a threaded DPC, which may not wait for DPCs: it would wait for itself");
  // E13 as Windows does it: a marker behind everything queued now, in every queue of every CPU;
  // when all markers have run, so has every DPC queued before the call.
  Flush flush;
  for (auto& c : cpus_) {
    for (const bool threaded : {false, true}) {
      if (threaded && !config_.threaded_dpcs) continue;
      auto marker = std::make_unique<KDPC>();
      marker->Type = DpcObject;
      marker->Importance = MediumImportance;
      marker->DeferredRoutine = &Platform::flush_marker;
      marker->DeferredContext = &flush;
      marker->IrqrigOrigin = static_cast<UCHAR>(DpcOrigin::kFlushMarker);
      marker->DpcData = &c->dpcs();
      c->dpcs().append_marker(marker.get(), threaded);
      ++flush.remaining;
      flush.markers.push_back(std::move(marker));
    }
    if (c.get() != &cur) c->wake();
  }
  cur.check_preemption();
  cur.spin_until([&flush] { return flush.remaining == 0; }, flush.done);
}

// ---------------------------------------------------------------------------------------------
// Timers (E14, E15)

bool Platform::set_timer(PKTIMER timer, LONGLONG due_time, LONG period_ms, PKDPC dpc) {
  Cpu& cur = current_cpu();
  const bool was_set = timers_.set(timer, due_time, static_cast<std::uint32_t>(period_ms), interrupt_time());
  timer->Dpc = dpc;
  timer->Period = static_cast<ULONG>(period_ms);
  timer->Processor = cur.index();  // the timer queue of the CPU that set it expires it
  timer->Header.Inserted = TRUE;
  timer->Header.SignalState = 0;
  timer->DueTime.QuadPart = *timers_.due(timer);
  timers_changed_.notify(sc_core::SC_ZERO_TIME);
  return was_set;
}

bool Platform::cancel_timer(PKTIMER timer) {
  const bool was_set = timers_.cancel(timer);
  timer->Header.Inserted = FALSE;
  if (was_set) timers_changed_.notify(sc_core::SC_ZERO_TIME);
  return was_set;
}

void Platform::timer_thread() {
  guard([this] {
    constexpr std::uint64_t kUnitPs = 100'000;
    for (;;) {
      const auto next = timers_.next_due();
      // `*next` is in 100 ns units, the clock tick in ps: the due time in ps, rounded up to a tick,
      // must fit in 64 bits.
      if (!next || *next > (std::numeric_limits<std::uint64_t>::max() - config_.clock_tick_ps) / kUnitPs) {
        wait(timers_changed_);  // nothing set, or due beyond any run
        continue;
      }
      std::uint64_t fire = *next * kUnitPs;
      // E14 [choice]: at the default timer resolution expiry waits for the next clock tick.
      if (config_.timers_on_tick) fire = (fire + config_.clock_tick_ps - 1) / config_.clock_tick_ps * config_.clock_tick_ps;
      if (fire > now_ps()) {
        wait(ps(fire - now_ps()), timers_changed_);
        continue;
      }
      for (const TimerQueue::Expired& e : timers_.expire(interrupt_time())) {
        auto* timer = static_cast<PKTIMER>(e.timer);
        timer->Header.SignalState = 1;
        timer->Header.Inserted = timers_.is_set(timer) ? TRUE : FALSE;
        ++counters_.timer_expiries;
        if (timer->Dpc) queue_timer_dpc(timer->Processor, timer->Dpc, e.due);
      }
    }
  });
}

void Platform::queue_timer_dpc(unsigned cpu, PKDPC dpc, std::uint64_t due) {
  const unsigned target = dpc->Number ? dpc->Number - 1u : cpu;
  if (target >= cpus_.size()) {
    // Found at expiry, where no driver code runs: the fault names the timer's DPC routine.
    Fault f = driver_fault("DRIVER_VERIFIER_DETECTED_VIOLATION",
                           fmt::format("a timer's DPC targets processor {} but the host has {}", target, cpus_.size()));
    f.routine = RoutineKind::kTimerDpc;
    f.routine_name = routine_name(reinterpret_cast<const void*>(dpc->DeferredRoutine));
    throw DriverFault(std::move(f));
  }
  if (dpc->DpcData) {
    ++counters_.dpc_inserts_rejected;
    return;
  }
  // E15 [choice]: like Windows, the expiry time's halves; tests do not rely on them.
  dpc->SystemArgument1 = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(due & 0xFFFFFFFFu));
  dpc->SystemArgument2 = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(due >> 32));
  dpc->InsertTimePs = now_ps();
  dpc->IrqrigOrigin = static_cast<UCHAR>(DpcOrigin::kTimer);
  Cpu& t = *cpus_[target];
  const auto in = t.dpcs().insert(dpc, static_cast<DpcImportance>(dpc->Importance), is_threaded(*dpc), true);
  dpc->DpcData = &t.dpcs();
  ++counters_.dpc_inserts;
  // Expiry is processed at DISPATCH_LEVEL on that CPU, so an ordinary timer DPC runs then whatever
  // its importance.
  if (!in.threaded_queue) t.dpcs().request_dispatch();
  t.wake();
}

// ---------------------------------------------------------------------------------------------
// KeIpiGenericCall (G1-G4)

ULONG_PTR Platform::ipi_generic_call(PKIPI_BROADCAST_WORKER worker, ULONG_PTR context) {
  Cpu& cpu = current_cpu();
  const Irql old = cpu.irql();
  // G2: callers are serialized at DISPATCH_LEVEL, where another caller's IPI still gets in.
  if (old < kDispatchLevel) cpu.raise_irql(kDispatchLevel);
  cpu.spin_until([this, &cpu] { return ipi_gate_.try_enter(cpu.index()); }, ipi_gate_changed_);
  ++counters_.ipi_broadcasts;
  broadcast_ = std::make_unique<Broadcast>(cpu_count(), cpu.index(), worker, context);
  cpu.raise_irql(kIpiLevel);
  for (auto& c : cpus_)
    if (c.get() != &cpu) c->post_broadcast_ipi();
  join_broadcast(cpu);
  const ULONG_PTR result = broadcast_->rendezvous.result();
  broadcast_.reset();
  // Leave the gate before IRQL drops, so an ISR that broadcasts next finds it free.
  ipi_gate_.leave(cpu.index());
  ipi_gate_changed_.notify(sc_core::SC_ZERO_TIME);
  cpu.lower_irql(old);
  return result;
}

void Platform::join_broadcast(Cpu& cpu) {
  if (!broadcast_) return;
  Broadcast& b = *broadcast_;
  const bool caller = b.rendezvous.caller() == cpu.index();
  cpu.push_frame(RoutineKind::kIpiWorker, reinterpret_cast<const void*>(b.worker));
  // G3: at IPI_LEVEL every CPU waits at the barrier; device interrupts stay pending meanwhile.
  if (b.rendezvous.arrive(cpu.index())) b.changed.notify(sc_core::SC_ZERO_TIME);
  cpu.spin_until([&b] { return b.rendezvous.all_arrived(); }, b.changed);
  const ULONG_PTR value = b.worker(b.context);
  ++counters_.ipi_worker_calls;
  if (cpu.irql() != kIpiLevel)
    violation("IRQL_UNEXPECTED_VALUE", fmt::format("the IPI worker returned at {}", irql_name(cpu.irql())));
  b.rendezvous.worker_returned(cpu.index(), value);
  if (b.rendezvous.complete()) b.changed.notify(sc_core::SC_ZERO_TIME);
  // G4: the caller returns only after every worker has.
  if (caller) cpu.spin_until([&b] { return b.rendezvous.complete(); }, b.changed);
  cpu.pop_frame();
}

void Platform::queue_ipi_broadcast(unsigned caller, std::uint64_t worker_ps) {
  cpu(caller).queue_passive([worker_ps] { KeIpiGenericCall(&stall_worker, static_cast<ULONG_PTR>(worker_ps)); });
}

// ---------------------------------------------------------------------------------------------
// Spin locks

void Platform::acquire_lock(PKSPIN_LOCK lock, bool queued) {
  Cpu& cpu = current_cpu();
  const KSPIN_LOCK mine = cpu.index() + 1;
  if (*lock == mine) violation("SPIN_LOCK_ALREADY_OWNED", fmt::format("acquiring spin lock {} it holds", fmt::ptr(lock)));
  if (*lock > cpus_.size())
    violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
              fmt::format("spin lock {} holds {:#x}: it was never initialized with KeInitializeSpinLock",
                          fmt::ptr(lock), *lock));
  if (queued) {
    // In-stack queued locks are handed to waiters in the order they came.
    if (*lock == 0 && !lock_waiters_.count(lock)) {
      *lock = mine;
      return;
    }
    lock_waiters_[lock].push_back(cpu.index());
    ++spinners_;
    cpu.spin_until([lock, mine] { return *lock == mine; }, lock_released_);
    --spinners_;
    return;
  }
  if (*lock != 0) {
    ++spinners_;
    cpu.spin_until([lock] { return *lock == 0; }, lock_released_);
    --spinners_;
  }
  *lock = mine;
}

void Platform::release_lock(PKSPIN_LOCK lock) {
  Cpu& cpu = current_cpu();
  if (*lock != cpu.index() + 1)
    violation("SPIN_LOCK_NOT_OWNED", fmt::format("releasing spin lock {}, which this CPU does not hold", fmt::ptr(lock)));
  *lock = 0;
  if (!lock_waiters_.empty()) {
    const auto it = lock_waiters_.find(lock);
    if (it != lock_waiters_.end()) {
      *lock = it->second.front() + 1;  // handed to the first queued waiter
      it->second.pop_front();
      if (it->second.empty()) lock_waiters_.erase(it);
    }
  }
  if (spinners_) lock_released_.notify(sc_core::SC_ZERO_TIME);
}

// ---------------------------------------------------------------------------------------------
// ISRs (D1-D5)

void Platform::dispatch(Cpu& cpu, std::uint8_t vector, std::uint64_t taken_ps, std::optional<std::uint64_t> arrived_ps) {
  const auto& live = vectors_[cpu.index()][vector];
  if (live.empty()) {
    fault("spurious", fmt::format("vector {:#04x} on CPU {} has no ISR connected", vector, cpu.index()));
    return;
  }
  // ISRs take time, and meanwhile another CPU may disconnect an object of this chain: a shared
  // chain is walked on a copy. A lone object needs none (its removal just ends the walk).
  std::vector<InterruptObject*> copy;
  if (live.size() > 1) copy = live;
  const auto& chain = live.size() > 1 ? copy : live;
  // isr_balance: which of the chain's messages had records neither a claim of theirs nor the driver's
  // processing has answered when the interrupt was taken. Declining those is the chain's failure;
  // declining the rest is allowed: an ISR that finds its records already drained by a DPC (the
  // interrupt came in after the DPC that handled its event) rightly says "not mine".
  std::optional<std::uint32_t> unanswered;
  std::uint64_t unanswered_records = 0;
  bool called = false;
  const bool balance = config_.checks.isr_balance;
  for (const InterruptObject* io : chain) {
    if (!balance) break;
    if (!io->message_routine || io->message_id >= balance_.size()) continue;
    const MessageBalance& b = balance_[io->message_id];
    const std::uint64_t answered = std::max(b.covered, b.processed);
    if (b.records > answered && !unanswered) {
      unanswered = io->message_id;
      unanswered_records = b.records - answered;
    }
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    InterruptObject* io = chain[i];
    const std::uint32_t message = io->message_routine ? io->message_id : ~0u;
    if (i == 0) {
      cpu.push_frame(RoutineKind::kIsr, io->routine(), message, vector, taken_ps);
      const std::uint64_t entry = config_.costs.isr_ns * 1000, spent = now_ps() - taken_ps;
      cpu.consume_ps(entry > spent ? entry - spent : 0);
      if (arrived_ps) msi_to_isr_.add((now_ps() - *arrived_ps) / 1000);
    } else {
      cpu.push_frame(RoutineKind::kIsr, io->routine(), message, vector);
    }
    // D5: ISR calls for one interrupt object never overlap; the interrupt lock is held around each,
    // at its SynchronizeIrql (D1).
    const Irql before = cpu.irql();
    const Irql held = std::max<Irql>(before, io->synchronize_irql);
    if (held > before) cpu.raise_irql(held);
    acquire_lock(io->lock);
    // Disconnected while this interrupt was being taken: IoDisconnectInterruptEx returned once
    // the lock was free, so the routine must not run any more.
    if (!io->connected) {
      release_lock(io->lock);
      if (held > before) cpu.lower_irql(before);
      cpu.pop_frame();
      continue;
    }
    ++counters_.isr_calls;
    called = true;
    const auto pk = reinterpret_cast<PKINTERRUPT>(io);
    const BOOLEAN claimed =
        io->message_routine ? io->message_routine(pk, io->context, io->message_id) : io->line_routine(pk, io->context);
    if (cpu.irql() != held)
      violation("IRQL_UNEXPECTED_VALUE", fmt::format("the ISR returned at {}, entered at {}", irql_name(cpu.irql()),
                                                     irql_name(held)));
    release_lock(io->lock);
    if (held > before) cpu.lower_irql(before);
    cpu.pop_frame();
    if (claimed) {
      ++counters_.isr_claimed;
      if (balance && io->message_routine && io->message_id < balance_.size()) {
        // Every message is sent for an event whose record came first: more claims than records
        // means the ISR took an interrupt another message sent.
        MessageBalance& b = balance_[io->message_id];
        if (++b.claims > b.records) {
          Fault f = failure_here(
              "isr_balance",
              fmt::format("the ISR of message {} claimed an interrupt on vector {:#04x} that its message did not "
                          "send: {} claims against {} records the device wrote for message {}",
                          io->message_id, vector, b.claims, b.records, io->message_id));
          f.routine = RoutineKind::kIsr;
          f.routine_name = routine_name(io->routine());
          fail(std::move(f));
        }
        b.covered = b.records;
      }
      return;  // D3 [choice]: the chain stops at the first TRUE
    }
    ++counters_.isr_declined;
  }
  if (!called) return;  // every object was being disconnected: nobody was asked
  ++counters_.isr_unclaimed;
  if (unanswered) {
    Fault f = failure_here("isr_balance",
                           fmt::format("every ISR on vector {:#04x} declined the interrupt, but message {} had {} "
                                       "record(s) no claim had answered when it was taken",
                                       vector, *unanswered, unanswered_records));
    f.routine = RoutineKind::kIsr;
    f.routine_name = routine_name(chain.front()->routine());
    fail(std::move(f));
  }
}

InterruptObject* Platform::add_interrupt(std::uint8_t vector, KAFFINITY cpus) {
  auto io = std::make_unique<InterruptObject>();
  io->vector = vector;
  io->irql = irql_of_vector(vector);
  io->cpus = cpus;
  for (unsigned c = 0; c < cpus_.size(); ++c)
    if (cpus >> c & 1) vectors_[c][vector].push_back(io.get());
  interrupts_.push_back(std::move(io));
  return interrupts_.back().get();
}

void Platform::remove_interrupt(InterruptObject* io) {
  for (unsigned c = 0; c < cpus_.size(); ++c) {
    if (!(io->cpus >> c & 1)) continue;
    auto& chain = vectors_[c][io->vector];
    chain.erase(std::remove(chain.begin(), chain.end(), io), chain.end());
  }
  for (const auto& [cpu, vector] : io->former) {
    auto& chain = vectors_[cpu][vector];
    chain.erase(std::remove(chain.begin(), chain.end(), io), chain.end());
  }
  io->former.clear();
  io->cpus = 0;
}

InterruptObject& Platform::interrupt_object(PKINTERRUPT interrupt, const char* routine) {
  auto* io = reinterpret_cast<InterruptObject*>(interrupt);
  const bool ours = io && std::any_of(interrupts_.begin(), interrupts_.end(),
                                      [io](const auto& owned) { return owned.get() == io; });
  if (!ours)
    violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
              fmt::format("{}: {} is not an interrupt object IoConnectInterruptEx returned", routine, fmt::ptr(interrupt)));
  if (!io->connected)
    violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
              fmt::format("{}: interrupt object {} was disconnected by IoDisconnectInterruptEx", routine,
                          fmt::ptr(interrupt)));
  return *io;
}

void Platform::wait_for_isrs(InterruptObject& io) {
  // An ISR runs holding the object's lock (D5), so taking the lock once waits out one running on
  // another CPU; one being taken finds the object disconnected when it gets the lock.
  Cpu& cpu = current_cpu();
  const Irql before = cpu.irql();
  if (io.synchronize_irql > before) cpu.raise_irql(io.synchronize_irql);
  acquire_lock(io.lock);
  release_lock(io.lock);
  if (io.synchronize_irql > before) cpu.lower_irql(before);
}

NTSTATUS Platform::connect(IO_CONNECT_INTERRUPT_PARAMETERS& p) {
  switch (p.Version) {
    case CONNECT_MESSAGE_BASED: {
      if (!config_.affinity.empty()) return connect_message_based(p.MessageBased);
      // No messages granted: the fallback ISR takes the line-based interrupt and the caller learns
      // it from Version (the WDK's documented fallback).
      if (!p.MessageBased.FallBackServiceRoutine) return STATUS_NOT_FOUND;
      IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS line{};
      line.PhysicalDeviceObject = p.MessageBased.PhysicalDeviceObject;
      line.InterruptObject = p.MessageBased.ConnectionContext.InterruptObject;
      line.ServiceRoutine = p.MessageBased.FallBackServiceRoutine;
      line.ServiceContext = p.MessageBased.ServiceContext;
      line.SpinLock = p.MessageBased.SpinLock;
      line.SynchronizeIrql = p.MessageBased.SynchronizeIrql;
      line.FloatingSave = p.MessageBased.FloatingSave;
      const NTSTATUS status = connect_line_based(line);
      if (NT_SUCCESS(status)) p.Version = CONNECT_LINE_BASED;
      return status;
    }
    case CONNECT_LINE_BASED: return connect_line_based(p.LineBased);
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP: return connect_fully_specified(p.FullySpecified);
    default: return STATUS_NOT_SUPPORTED;
  }
}

NTSTATUS Platform::connect_line_based(IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS& p) {
  if (!p.ServiceRoutine || !p.InterruptObject) return STATUS_INVALID_PARAMETER;
  InterruptObject* io = add_interrupt(config_.line_vector, KAFFINITY{1} << config_.line_cpu);
  io->line_routine = p.ServiceRoutine;
  io->context = p.ServiceContext;
  io->lock = p.SpinLock ? p.SpinLock : &io->own_lock;
  io->synchronize_irql = std::max<KIRQL>(io->irql, p.SynchronizeIrql);
  *p.InterruptObject = reinterpret_cast<PKINTERRUPT>(io);
  return STATUS_SUCCESS;
}

NTSTATUS Platform::connect_fully_specified(IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& p) {
  if (!p.ServiceRoutine || !p.InterruptObject || p.Group != 0 || p.Vector > 0xFF) return STATUS_INVALID_PARAMETER;
  const auto vector = static_cast<std::uint8_t>(p.Vector);
  if (!is_device_vector(vector) || p.Irql != irql_of_vector(vector) || p.SynchronizeIrql < p.Irql)
    return STATUS_INVALID_PARAMETER;
  const KAFFINITY active = cpus_.size() >= 64 ? ~KAFFINITY{0} : (KAFFINITY{1} << cpus_.size()) - 1;
  const KAFFINITY cpus = p.ProcessorEnableMask & active;
  if (!cpus) return STATUS_INVALID_PARAMETER;
  if (!p.ShareVector)
    for (unsigned c = 0; c < cpus_.size(); ++c)
      if (cpus >> c & 1 && !vectors_[c][vector].empty()) return STATUS_INVALID_PARAMETER;
  InterruptObject* io = add_interrupt(vector, cpus);
  io->line_routine = p.ServiceRoutine;
  io->context = p.ServiceContext;
  io->lock = p.SpinLock ? p.SpinLock : &io->own_lock;
  io->synchronize_irql = p.SynchronizeIrql;
  *p.InterruptObject = reinterpret_cast<PKINTERRUPT>(io);
  return STATUS_SUCCESS;
}

std::optional<std::uint8_t> Platform::free_vector_block(unsigned cpu, unsigned count) const {
  const unsigned top = (unsigned{kHighestDeviceIrql} << 4) | 0xF;
  const unsigned first = (unsigned{config_.first_vector} + count - 1) / count * count;
  for (unsigned base = first; base + count - 1 <= top; base += count) {
    bool free = true;
    for (unsigned v = base; v < base + count && free; ++v) free = vectors_[cpu][v].empty();
    if (free) return static_cast<std::uint8_t>(base);
  }
  return std::nullopt;
}

NTSTATUS Platform::connect_message_based(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS& p) {
  if (!p.MessageServiceRoutine || !p.ConnectionContext.InterruptMessageTable) return STATUS_INVALID_PARAMETER;
  const auto n = static_cast<unsigned>(config_.affinity.size());
  const bool msi = config_.message_mode == MessageMode::kMsi;
  sim::Endpoint endpoint(device_);
  // What the device can take, checked before anything is handed out.
  std::optional<std::uint8_t> msi_base;
  if (msi) {
    const unsigned capable = endpoint.msi_vectors_capable();
    if (n > capable) {
      fault("connect", fmt::format("{} MSI messages requested but the device's MSI capability takes {} "
                                   "(Multiple Message Capable)", n, capable));
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    // A2: the device substitutes the low log2(n) bits of Message Data, so the n IDT vectors are
    // one block, aligned to n, on the one CPU the Message Address names.
    msi_base = free_vector_block(config_.affinity[0], n);
    if (!msi_base) {
      fault("connect", fmt::format("no free block of {} aligned IDT vectors from {:#04x} to 0xCF on CPU {} for MSI",
                                   n, config_.first_vector, config_.affinity[0]));
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  } else {
    const unsigned table_size = endpoint.msix_table_size();
    if (n > table_size) {
      fault("connect", fmt::format("{} messages requested but the MSI-X table has {} entries", n, table_size));
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  const std::size_t bytes = sizeof(IO_INTERRUPT_MESSAGE_INFO) + (n - 1) * sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY);
  auto storage = std::make_unique<std::uint8_t[]>(bytes);
  std::memset(storage.get(), 0, bytes);
  auto* info = reinterpret_cast<PIO_INTERRUPT_MESSAGE_INFO>(storage.get());
  KIRQL unified = 0;
  std::vector<InterruptObject*> created;
  for (unsigned k = 0; k < n; ++k) {
    const unsigned cpu = msi ? config_.affinity[0] : config_.affinity[k];
    std::uint8_t vector = 0;
    if (msi) {
      vector = static_cast<std::uint8_t>(*msi_base + k);
    } else {
      // Messages on one CPU get consecutive IDT vectors; past 0xCF (the top device vector, C1)
      // they share (an ISR chain, D3).
      std::uint8_t& next = next_vector_[cpu];
      vector = next;
      next = irql_of_vector(static_cast<std::uint8_t>(next + 1)) > kHighestDeviceIrql
                 ? config_.first_vector
                 : static_cast<std::uint8_t>(next + 1);
    }
    InterruptObject* io = add_interrupt(vector, KAFFINITY{1} << cpu);
    io->message_routine = p.MessageServiceRoutine;
    io->context = p.ServiceContext;
    io->message_id = k;
    io->lock = p.SpinLock ? p.SpinLock : &io->own_lock;
    unified = std::max(unified, io->irql);
    IO_INTERRUPT_MESSAGE_INFO_ENTRY& e = info->MessageInfo[k];
    e.MessageAddress.QuadPart = static_cast<LONGLONG>(msi_address(static_cast<std::uint8_t>(cpu)));
    e.TargetProcessorSet = KAFFINITY{1} << cpu;
    e.InterruptObject = reinterpret_cast<PKINTERRUPT>(io);
    e.MessageData = msi_data(vector);  // under MSI: the block's base + k, what the device sends (A2)
    e.Vector = vector;
    e.Irql = io->irql;
    e.Mode = Latched;
    e.Polarity = InterruptActiveHigh;
    created.push_back(io);
  }
  // D1 [choice]: the ISRs and their spin lock run at UnifiedIrql, the maximum of the messages'.
  const KIRQL sync = std::max<KIRQL>(unified, p.SynchronizeIrql);
  for (InterruptObject* io : created) io->synchronize_irql = sync;
  info->UnifiedIrql = sync;
  info->MessageCount = n;
  if (msi) {
    // What pci.sys does for MSI: one address and the block's base vector as data, Multiple
    // Message Enable = log2(n), the granted vectors unmasked, then MSI Enable. MSI-X stays off.
    endpoint.program_msi(sim::MsiProgram{static_cast<std::uint64_t>(info->MessageInfo[0].MessageAddress.QuadPart),
                                         static_cast<std::uint16_t>(info->MessageInfo[0].MessageData), n});
    for (unsigned k = 0; k < n; ++k) endpoint.set_msi_mask(k, false);
    endpoint.set_msi_enable(true);
  } else {
    // For MSI-X: program and unmask the table, enable MSI-X.
    for (unsigned k = 0; k < n; ++k)
      endpoint.program_message(k, static_cast<std::uint64_t>(info->MessageInfo[k].MessageAddress.QuadPart),
                               info->MessageInfo[k].MessageData);
    endpoint.set_msix_enable(true);
  }
  *p.ConnectionContext.InterruptMessageTable = info;
  // A new table at a freed one's address is a live table again.
  disconnected_tables_.erase(std::remove(disconnected_tables_.begin(), disconnected_tables_.end(), info),
                             disconnected_tables_.end());
  message_tables_.push_back(MessageTable{std::move(storage), config_.message_mode});
  return STATUS_SUCCESS;
}

void Platform::disconnect(IO_DISCONNECT_INTERRUPT_PARAMETERS& p) {
  switch (p.Version) {
    case CONNECT_MESSAGE_BASED: {
      PIO_INTERRUPT_MESSAGE_INFO info = p.ConnectionContext.InterruptMessageTable;
      const auto owned = std::find_if(message_tables_.begin(), message_tables_.end(), [info](const MessageTable& t) {
        return reinterpret_cast<PIO_INTERRUPT_MESSAGE_INFO>(t.storage.get()) == info;
      });
      if (!info || owned == message_tables_.end()) {
        const bool again = info && std::find(disconnected_tables_.begin(), disconnected_tables_.end(), info) !=
                                       disconnected_tables_.end();
        violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                  again ? "IoDisconnectInterruptEx: that message table was disconnected already"
                        : "IoDisconnectInterruptEx: not a message table IoConnectInterruptEx returned");
      }
      const MessageMode mode = owned->mode;
      std::vector<InterruptObject*> objects;
      for (ULONG k = 0; k < info->MessageCount; ++k) {
        objects.push_back(reinterpret_cast<InterruptObject*>(info->MessageInfo[k].InterruptObject));
        objects.back()->connected = false;
      }
      // What pci.sys undoes, unless another message-based connection still uses the capability.
      const bool last = std::none_of(message_tables_.begin(), message_tables_.end(), [&](const MessageTable& t) {
        return &t != &*owned && t.mode == mode;
      });
      sim::Endpoint endpoint(device_);
      if (mode == MessageMode::kMsi) {
        if (last) endpoint.set_msi_enable(false);
      } else {
        for (ULONG k = 0; k < info->MessageCount; ++k) endpoint.set_message_mask(k, true);
        if (last) endpoint.set_msix_enable(false);
      }
      // The table goes back as on Windows; its address is remembered to name a second disconnect.
      disconnected_tables_.push_back(info);
      message_tables_.erase(owned);
      for (InterruptObject* io : objects) wait_for_isrs(*io);
      for (InterruptObject* io : objects) remove_interrupt(io);
      return;
    }
    case CONNECT_LINE_BASED:
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP: {
      InterruptObject& io = interrupt_object(p.ConnectionContext.InterruptObject, "IoDisconnectInterruptEx");
      io.connected = false;
      wait_for_isrs(io);
      remove_interrupt(&io);
      return;
    }
    default:
      violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
                fmt::format("IoDisconnectInterruptEx with Version {}, not one IoConnectInterruptEx returns", p.Version));
  }
}

}  // namespace irqrig::host
