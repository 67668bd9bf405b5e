#include "host/platform/platform.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "host/core/msi.h"
#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "irqrig/rig.h"

namespace irqrig::host {
namespace {

using sc_core::sc_time;
using sc_core::SC_PS;

constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();

Platform* g_current_platform = nullptr;  // see Platform::current()

std::uint64_t now_ps_of_kernel() {
  return static_cast<std::uint64_t>(sc_core::sc_time_stamp().value() / sc_time(1, SC_PS).value());
}

sc_time ps(std::uint64_t v) { return sc_time(static_cast<double>(v), SC_PS); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cpu

Cpu::Cpu(const sc_core::sc_module_name& name, Platform& platform, unsigned index)
    : sc_module(name), platform_(platform), index_(index), arrival_ps_(256, kNone) {
  SC_THREAD(run);
}

void Cpu::queue_passive(std::function<void()> fn) {
  passive_work_.push_back(std::move(fn));
  wake();
}

void Cpu::post(std::uint8_t vector) {
  if (lapic_.accept(vector)) arrival_ps_[vector] = platform_.now_ps();
  wake();
}

void Cpu::resume() { platform_.set_current(this); }

void Cpu::set_irql(Irql irql) {
  const std::uint64_t now = platform_.now_ps();
  const std::uint64_t spent = now - level_since_ps_;
  if (irql_ > kDispatchLevel) {
    stats_.isr_ps += spent;
  } else if (irql_ == kDispatchLevel) {
    stats_.dpc_ps += spent;
  } else if (busy_) {
    stats_.other_ps += spent;
  }
  level_since_ps_ = now;
  irql_ = irql;
  lapic_.set_tpr(tpr_of_irql(irql));
}

CpuStats Cpu::stats() const {
  CpuStats s = stats_;
  const std::uint64_t spent = platform_.now_ps() - level_since_ps_;
  if (irql_ > kDispatchLevel) {
    s.isr_ps += spent;
  } else if (irql_ == kDispatchLevel) {
    s.dpc_ps += spent;
  } else if (busy_) {
    s.other_ps += spent;
  }
  return s;
}

void Cpu::run() { platform_.guard([this] { loop(); }); }

void Cpu::loop() {
  resume();
  for (;;) {
    if (const auto v = lapic_.deliverable()) {
      begin_work();
      take(*v);
      continue;
    }
    if (dispatch_pending_ && irql_ < kDispatchLevel) {
      begin_work();
      drain_dpcs();
      continue;
    }
    if (!passive_work_.empty() && irql_ == kPassiveLevel) {
      begin_work();
      auto fn = std::move(passive_work_.front());
      passive_work_.pop_front();
      fn();
      continue;
    }
    if (busy_) {
      set_irql(irql_);  // close the busy span in the statistics
      busy_ = false;
    }
    wait(wake_);
    resume();
  }
}

void Cpu::begin_work() {
  if (busy_) return;
  set_irql(irql_);  // close the idle span first, so it is not counted as work
  busy_ = true;
}

void Cpu::check_preemption() {
  while (const auto v = lapic_.deliverable()) take(*v);
}

void Cpu::consume_ps(std::uint64_t amount) {
  std::uint64_t remaining = amount;
  while (remaining > 0) {
    const std::uint64_t start = platform_.now_ps();
    wait(ps(remaining), wake_);
    resume();
    const std::uint64_t passed = platform_.now_ps() - start;
    remaining -= std::min(passed, remaining);
    // A nested interrupt's time is its own: the preempted routine still owes `remaining`.
    check_preemption();
  }
}

void Cpu::spin_until(const std::function<bool()>& ready) {
  while (!ready()) {
    wait(platform_.lock_released() | wake_);
    resume();
    check_preemption();
  }
}

void Cpu::raise_irql(Irql irql) {
  if (irql < irql_)
    throw DriverFault(fmt::format("IRQL_NOT_GREATER_OR_EQUAL: raising to {} from {} on CPU {}", irql, irql_, index_));
  set_irql(irql);
}

void Cpu::lower_irql(Irql irql) {
  if (irql > irql_)
    throw DriverFault(fmt::format("IRQL_NOT_LESS_OR_EQUAL: lowering to {} from {} on CPU {}", irql, irql_, index_));
  set_irql(irql);
  check_preemption();
  if (irql_ < kDispatchLevel && dispatch_pending_ && !draining_) drain_dpcs();
}

void Cpu::take(std::uint8_t vector) {
  lapic_.take(vector);
  const Irql old = irql_;
  set_irql(irql_of_vector(vector));
  const std::uint64_t now = platform_.now_ps();
  if (arrival_ps_[vector] != kNone) {
    platform_.msi_to_isr().add((now - arrival_ps_[vector]) / 1000);
    arrival_ps_[vector] = kNone;
  }
  consume_ps(platform_.config().costs.isr_ns * 1000);
  platform_.dispatch(*this, vector);
  lapic_.eoi();
  set_irql(old);
  // The end of the interrupt is where a pending DISPATCH request fires when IRQL falls below it.
  if (irql_ < kDispatchLevel && dispatch_pending_ && !draining_) drain_dpcs();
}

void Cpu::drain_dpcs() {
  const Irql old = irql_;
  draining_ = true;
  set_irql(kDispatchLevel);
  dispatch_pending_ = false;
  auto& counters = platform_.counters();
  while (void* object = dpcs_.pop()) {
    auto* dpc = static_cast<PRKDPC>(object);
    // E3: the DPC leaves "queued" just before its routine runs, so it can be queued again.
    dpc->DpcData = nullptr;
    const std::uint64_t start = platform_.now_ps();
    consume_ps(platform_.config().costs.dpc_ns * 1000);
    // ISR->DPC is from the insert to the moment the routine itself starts running.
    platform_.isr_to_dpc().add((platform_.now_ps() - dpc->InsertTimePs) / 1000);
    dpc->DeferredRoutine(dpc, dpc->DeferredContext, dpc->SystemArgument1, dpc->SystemArgument2);
    if (irql_ != kDispatchLevel)
      throw DriverFault(fmt::format("IRQL_UNEXPECTED_VALUE: DPC routine returned at IRQL {} on CPU {}", irql_, index_));
    ++counters.dpc_runs;
    counters.dpc_max_runtime_ps = std::max(counters.dpc_max_runtime_ps, platform_.now_ps() - start);
  }
  dispatch_pending_ = false;
  draining_ = false;
  set_irql(old);
}

// ---------------------------------------------------------------------------------------------
// Platform

Platform::Platform(const sc_core::sc_module_name& name, PlatformConfig config, sim::Device& device)
    : sc_module(name),
      config_(std::move(config)),
      device_(device),
      memory_(static_cast<std::size_t>(config_.ring_entries) * 16 + 64),
      vectors_(config_.cpus, std::vector<std::vector<InterruptObject*>>(256)),
      next_vector_(config_.cpus, config_.first_vector) {
  if (g_current_platform) throw std::logic_error("only one irqrig Platform may exist at a time");
  g_current_platform = this;
  for (unsigned i = 0; i < config_.cpus; ++i)
    cpus_.push_back(std::make_unique<Cpu>(fmt::format("cpu{}", i).c_str(), *this, i));
  device_.set_upstream_sink([this](sim::UpstreamWrite&& w) {
    upstream_.push_back(std::move(w));
    upstream_ready_.notify(sc_core::SC_ZERO_TIME);
  });
  SC_THREAD(device_thread);
  SC_THREAD(upstream_thread);
}

Platform::~Platform() {
  device_.set_upstream_sink({});
  for (const Mapping& m : mappings_) munmap(reinterpret_cast<void*>(m.va), m.length);
  g_current_platform = nullptr;
}

Platform& Platform::current() {
  if (!g_current_platform) throw std::logic_error("a WDK call outside a running irqrig platform");
  return *g_current_platform;
}

Cpu& Platform::current_cpu() {
  if (!current_cpu_) throw DriverFault("a WDK call outside any CPU's context");
  return *current_cpu_;
}

std::uint64_t Platform::now_ps() const { return now_ps_of_kernel(); }

void Platform::fault(std::string check, std::string detail) {
  faults_.push_back(Fault{std::move(check), now_ps(), std::move(detail)});
}

bool Platform::all_idle() const {
  return std::all_of(cpus_.begin(), cpus_.end(), [](const auto& c) { return c->idle(); }) && upstream_.empty();
}

void Platform::guard(const std::function<void()>& body) {
  try {
    body();
  } catch (const DriverFault& e) {
    fault("driver_rules", e.what());
    sc_core::sc_stop();
  } catch (const sim::DeviceError& e) {
    if (!target_error_) target_error_ = e.what();
    sc_core::sc_stop();
  }
}

void Platform::device_thread() { guard([this] { run_device(); }); }

void Platform::run_device() {
  // Loosely timed (DESIGN decision 1): the device runs up to one quantum ahead of the host, its
  // writes carry their own timestamps and are delivered at exactly those times.
  const std::uint64_t quantum_ps = config_.quantum_cycles * device_.cycle_ps();
  for (;;) {
    const std::uint64_t target = std::max(device_.now_ps(), now_ps()) + quantum_ps;
    device_.advance_to(target);
    wait(ps(device_.now_ps() - now_ps()));
  }
}

void Platform::upstream_thread() { guard([this] { run_upstream(); }); }

void Platform::run_upstream() {
  for (;;) {
    if (upstream_.empty()) {
      wait(upstream_ready_);
      continue;
    }
    const std::uint64_t at = upstream_.front().time_ps;
    if (at > now_ps()) {
      wait(ps(at - now_ps()));
      continue;
    }
    sim::UpstreamWrite w = std::move(upstream_.front());
    upstream_.pop_front();
    deliver(w);
  }
}

void Platform::deliver(sim::UpstreamWrite& w) {
  if (!is_msi_address(w.address)) {
    deliver_memory(w);
    return;
  }
  if (w.data.size() != 1 || w.first_be != 0xF) {
    fault("msi_format", fmt::format("MSI write to {:#x} carries {} DWs with first BE {:x}; a message is one full DW",
                                    w.address, w.data.size(), w.first_be));
    return;
  }
  const MsiMessage m = decode_msi(w.address, w.data[0]);
  if (const auto why = unsupported_reason(m)) {
    fault("msi_format", fmt::format("MSI {:#x}/{:#x}: {}", w.address, w.data[0], *why));
    return;
  }
  if (m.destination >= cpus_.size()) {
    fault("msi_format", fmt::format("MSI to APIC ID {} but the host has {} CPUs", m.destination, cpus_.size()));
    return;
  }
  cpus_[m.destination]->post(m.vector);
}

void Platform::deliver_memory(sim::UpstreamWrite& w) {
  const std::uint64_t bytes = w.data.size() * 4;
  if (w.address < config_.dma_base || w.address + bytes > config_.dma_base + memory_.size()) {
    // The IOMMU window: anything outside is reported and never written (DESIGN decision 7).
    fault("dma_window", fmt::format("device wrote {} bytes at {:#x}, outside the DMA window {:#x}+{:#x}", bytes,
                                    w.address, config_.dma_base, memory_.size()));
    return;
  }
  const std::uint64_t off = w.address - config_.dma_base;
  for (std::size_t i = 0; i < w.data.size(); ++i) {
    std::uint8_t be = 0xF;
    if (i == 0) be = w.first_be;
    else if (i + 1 == w.data.size()) be = w.last_be;
    for (unsigned b = 0; b < 4; ++b)
      if (be >> b & 1) memory_[off + i * 4 + b] = static_cast<std::uint8_t>(w.data[i] >> (8 * b));
  }
  // Whole records landing in the ring (at the buffer's start) enter the ledger.
  const std::uint64_t ring_end = std::uint64_t{config_.ring_entries} * 16;
  if (off % 16 == 0) {
    for (std::uint64_t r = off; r + 16 <= off + bytes && r + 16 <= ring_end; r += 16) {
      IRQRIG_EVENT_RECORD rec;
      std::memcpy(&rec, &memory_[r], sizeof rec);
      accounting_.on_written(rec.Sequence, rec.Timestamp * device_.cycle_ps());
    }
  }
}

void Platform::dispatch(Cpu& cpu, std::uint8_t vector) {
  const auto& chain = vectors_[cpu.index()][vector];
  if (chain.empty()) {
    fault("spurious", fmt::format("vector {:#04x} on CPU {} has no ISR connected", vector, cpu.index()));
    return;
  }
  for (InterruptObject* io : chain) {
    // D5: ISR calls for one interrupt object never overlap; the interrupt lock is held around each.
    const Irql before = cpu.irql();
    if (io->synchronize_irql > before) cpu.raise_irql(io->synchronize_irql);
    acquire_lock(io->lock);
    ++counters_.isr_calls;
    const BOOLEAN claimed = io->routine(reinterpret_cast<PKINTERRUPT>(io), io->context, io->message_id);
    release_lock(io->lock);
    if (cpu.irql() != (io->synchronize_irql > before ? io->synchronize_irql : before))
      throw DriverFault(fmt::format("IRQL_UNEXPECTED_VALUE: ISR for message {} returned at IRQL {} on CPU {}",
                                    io->message_id, cpu.irql(), cpu.index()));
    if (io->synchronize_irql > before) cpu.lower_irql(before);
    if (claimed) {
      ++counters_.isr_claimed;
      return;  // D3 [choice]: the chain stops at the first TRUE
    }
    ++counters_.isr_declined;
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
    throw DriverFault(fmt::format("KeInsertQueueDpc: target processor {} does not exist", target));
  Cpu& t = *cpus_[target];
  dpc->SystemArgument1 = arg1;
  dpc->SystemArgument2 = arg2;
  dpc->DpcData = &t.dpcs();
  dpc->InsertTimePs = now_ps();
  const auto importance = static_cast<DpcImportance>(dpc->Importance);
  t.dpcs().insert(dpc, importance);
  ++counters_.dpc_inserts;
  // Until the clock tick exists the request rate is taken as low, so every insert requests.
  const DpcTuning tuning;
  if (&t == &cur) {
    if (DpcQueue::requests_interrupt_local(importance, t.dpcs().depth(), 0, tuning)) t.request_dispatch();
    if (cur.irql() < kDispatchLevel) cur.lower_irql(cur.irql());  // fires at once below DISPATCH
  } else {
    // E8 sends an IPI only for urgent inserts and leaves the rest to the target's clock tick; with
    // no tick modelled yet, every remote insert wakes its target at once.
    t.request_dispatch();
    t.wake();
  }
  return true;
}

bool Platform::remove_dpc(PRKDPC dpc) {
  if (!dpc->DpcData) return false;
  auto* queue = static_cast<DpcQueue*>(dpc->DpcData);
  const bool removed = queue->remove(dpc);
  dpc->DpcData = nullptr;
  return removed;
}

void Platform::acquire_lock(PKSPIN_LOCK lock) {
  Cpu& cpu = current_cpu();
  const KSPIN_LOCK mine = cpu.index() + 1;
  if (*lock == mine)
    throw DriverFault(fmt::format("SPIN_LOCK_ALREADY_OWNED: CPU {} acquires a spin lock it holds", cpu.index()));
  cpu.spin_until([lock] { return *lock == 0; });
  *lock = mine;
}

void Platform::release_lock(PKSPIN_LOCK lock) {
  Cpu& cpu = current_cpu();
  if (*lock != cpu.index() + 1)
    throw DriverFault(fmt::format("SPIN_LOCK_NOT_OWNED: CPU {} releases a spin lock it does not hold", cpu.index()));
  *lock = 0;
  lock_released_.notify(sc_core::SC_ZERO_TIME);
}

PVOID Platform::map_io_space(std::uint64_t physical, std::size_t length) {
  const std::uint64_t bar_size = std::uint64_t{1} << 16;
  if (physical < bar0_physical_ || physical + length > bar0_physical_ + bar_size) return nullptr;
  // Inaccessible pages: a driver that dereferences its mapping instead of using READ_REGISTER_*
  // crashes on the spot rather than reading plain memory.
  void* va = mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (va == MAP_FAILED) return nullptr;
  mappings_.push_back(Mapping{reinterpret_cast<std::uintptr_t>(va), length, physical - bar0_physical_});
  return va;
}

void Platform::unmap_io_space(PVOID va, std::size_t length) {
  const auto it = std::find_if(mappings_.begin(), mappings_.end(),
                               [va](const Mapping& m) { return m.va == reinterpret_cast<std::uintptr_t>(va); });
  if (it == mappings_.end()) throw DriverFault("MmUnmapIoSpace of an address MmMapIoSpace did not return");
  munmap(va, length);
  mappings_.erase(it);
}

const Platform::Mapping& Platform::mapping_of(const volatile void* va, unsigned size) const {
  const auto a = reinterpret_cast<std::uintptr_t>(va);
  for (const Mapping& m : mappings_)
    if (a >= m.va && a + size <= m.va + m.length) return m;
  throw DriverFault(fmt::format("register access at {:#x} is outside every MmMapIoSpace mapping", a));
}

std::uint64_t Platform::mmio_read(const volatile void* va, unsigned size) {
  const Mapping& m = mapping_of(va, size);
  const std::uint64_t offset = m.bar_offset + (reinterpret_cast<std::uintptr_t>(va) - m.va);
  const std::uint64_t value = device_.bar_read(0, offset, size);
  current_cpu().consume_ps(config_.costs.mmio_read_ns * 1000);
  return value;
}

void Platform::mmio_write(volatile void* va, std::uint64_t value, unsigned size) {
  const Mapping& m = mapping_of(va, size);
  const std::uint64_t offset = m.bar_offset + (reinterpret_cast<std::uintptr_t>(va) - m.va);
  device_.bar_write(0, offset, value, size);
  current_cpu().consume_ps(config_.costs.mmio_write_ns * 1000);
}

void Platform::event_processed(const void* record) {
  IRQRIG_EVENT_RECORD rec;
  std::memcpy(&rec, record, sizeof rec);
  accounting_.on_processed(rec.Sequence, now_ps());
  current_cpu().consume_ps(config_.costs.dpc_per_event_ns * 1000);
}

}  // namespace irqrig::host

namespace irqrig::host {

NTSTATUS Platform::connect_message_based(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS& p) {
  if (!p.MessageServiceRoutine || !p.ConnectionContext.InterruptMessageTable) return STATUS_INVALID_PARAMETER;
  const auto n = static_cast<unsigned>(config_.affinity.size());
  const unsigned table_size = sim::Endpoint(device_).msix_table_size();
  if (n == 0 || n > table_size) {
    fault("connect", fmt::format("{} messages requested but the MSI-X table has {} entries", n, table_size));
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  const std::size_t bytes = sizeof(IO_INTERRUPT_MESSAGE_INFO) + (n - 1) * sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY);
  auto storage = std::make_unique<std::uint8_t[]>(bytes);
  std::memset(storage.get(), 0, bytes);
  auto* info = reinterpret_cast<PIO_INTERRUPT_MESSAGE_INFO>(storage.get());
  PKSPIN_LOCK lock = p.SpinLock ? p.SpinLock : &default_interrupt_lock_;
  KIRQL unified = 0;
  std::vector<InterruptObject*> created;
  for (unsigned k = 0; k < n; ++k) {
    const unsigned cpu = config_.affinity[k];
    // Messages on one CPU get consecutive IDT vectors; past 0xDF they share (an ISR chain, D3).
    std::uint8_t& next = next_vector_[cpu];
    const std::uint8_t vector = next;
    next = next >= 0xDF ? config_.first_vector : static_cast<std::uint8_t>(next + 1);
    auto io = std::make_unique<InterruptObject>();
    io->routine = p.MessageServiceRoutine;
    io->context = p.ServiceContext;
    io->message_id = k;
    io->irql = irql_of_vector(vector);
    io->lock = lock;
    io->vector = vector;
    io->cpu = cpu;
    unified = std::max(unified, io->irql);
    IO_INTERRUPT_MESSAGE_INFO_ENTRY& e = info->MessageInfo[k];
    e.MessageAddress.QuadPart = static_cast<LONGLONG>(msi_address(static_cast<std::uint8_t>(cpu)));
    e.TargetProcessorSet = KAFFINITY{1} << cpu;
    e.InterruptObject = reinterpret_cast<PKINTERRUPT>(io.get());
    e.MessageData = msi_data(vector);
    e.Vector = vector;
    e.Irql = io->irql;
    e.Mode = Latched;
    e.Polarity = InterruptActiveHigh;
    vectors_[cpu][vector].push_back(io.get());
    created.push_back(io.get());
    interrupts_.push_back(std::move(io));
  }
  // D1 [choice]: the ISRs and their spin lock run at UnifiedIrql, the maximum of the messages'.
  const KIRQL sync = std::max<KIRQL>(unified, p.SynchronizeIrql);
  for (InterruptObject* io : created) io->synchronize_irql = sync;
  info->UnifiedIrql = sync;
  info->MessageCount = n;
  // What pci.sys does for a message-based connect: program and unmask the table, enable MSI-X.
  sim::Endpoint endpoint(device_);
  for (unsigned k = 0; k < n; ++k)
    endpoint.program_message(k, static_cast<std::uint64_t>(info->MessageInfo[k].MessageAddress.QuadPart),
                             info->MessageInfo[k].MessageData);
  endpoint.set_msix_enable(true);
  *p.ConnectionContext.InterruptMessageTable = info;
  message_tables_.push_back(std::move(storage));
  return STATUS_SUCCESS;
}

void Platform::disconnect(PIO_INTERRUPT_MESSAGE_INFO info) {
  if (!info) return;
  sim::Endpoint endpoint(device_);
  endpoint.set_msix_enable(false);
  for (ULONG k = 0; k < info->MessageCount; ++k) {
    auto* io = reinterpret_cast<InterruptObject*>(info->MessageInfo[k].InterruptObject);
    endpoint.set_message_mask(k, true);
    auto& chain = vectors_[io->cpu][io->vector];
    chain.erase(std::remove(chain.begin(), chain.end(), io), chain.end());
  }
}

}  // namespace irqrig::host
