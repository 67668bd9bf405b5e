// The platform's frame: construction and its threads (device bridge, root complex, clock, timers,
// periodic broadcasts), faults, host memory and MMIO, and the trace.
#include "host/platform/platform.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <typeinfo>

#include <fmt/format.h>

#include "host/core/msi.h"
#include "irqrig/regs.h"
#include "irqrig/rig.h"

namespace irqrig::host {
namespace {

Platform* g_current_platform = nullptr;  // see Platform::current()

sc_core::sc_time ps(std::uint64_t v) { return sc_core::sc_time::from_value(v); }

// A C++ symbol as a reader writes it; the mangled name when it is none.
std::string demangle(const char* symbol) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : symbol;
  std::free(demangled);
  return name;
}

void validate(const PlatformConfig& c) {
  if (c.cpus == 0 || c.cpus > 64)
    throw std::invalid_argument(fmt::format("{} CPUs: the host model has 1 to 64 (one processor group)", c.cpus));
  for (std::size_t k = 0; k < c.affinity.size(); ++k)
    if (c.affinity[k] >= c.cpus)
      throw std::invalid_argument(fmt::format("message {} targets CPU {} but the host has {}", k, c.affinity[k], c.cpus));
  const std::size_t messages = c.affinity.size();
  if (c.message_mode == MessageMode::kMsi && messages && (!std::has_single_bit(messages) || messages > 32))
    throw std::invalid_argument(
        fmt::format("MSI grants {} messages: MSI grants a power of two from 1 to 32 (SEMANTICS A2)", messages));
  if (!is_device_vector(c.first_vector))
    throw std::invalid_argument(fmt::format("first vector {:#04x} is not a device vector (0x30-0xCF)", c.first_vector));
  if (!is_device_vector(c.line_vector))
    throw std::invalid_argument(fmt::format("line vector {:#04x} is not a device vector (0x30-0xCF)", c.line_vector));
  if (c.line_cpu >= c.cpus) throw std::invalid_argument(fmt::format("line interrupt on missing CPU {}", c.line_cpu));
  if (c.ipi_caller >= c.cpus) throw std::invalid_argument(fmt::format("IPI caller is missing CPU {}", c.ipi_caller));
  if (c.timers_on_tick && c.clock_tick_ps == 0)
    throw std::invalid_argument("timers on the clock tick need a clock tick");
}

}  // namespace

std::string Fault::describe() const {
  if (rule.empty()) {
    if (cpu < 0) return fmt::format("at {} ns: {}", time_ps / 1000, detail);
    std::string where = fmt::format("on CPU {}", cpu);
    if (routine != RoutineKind::kNone) where += fmt::format(" in {} {}", routine_kind_name(routine), routine_name);
    return fmt::format("{} at {} ns: {}", where, time_ps / 1000, detail);
  }
  std::string where = cpu < 0 ? std::string("outside any CPU") : fmt::format("on CPU {}", cpu);
  if (routine != RoutineKind::kNone) {
    where += fmt::format(" in {}", routine_kind_name(routine));
    if (!routine_name.empty()) where += " " + routine_name;
  }
  return fmt::format("{} {} at {} ns: {}", rule, where, time_ps / 1000, detail);
}

DriverFault::DriverFault(Fault fault) : std::runtime_error(fault.describe()), fault_(std::move(fault)) {}

// ---------------------------------------------------------------------------------------------
// Construction and threads

Platform::Platform(const sc_core::sc_module_name& name, PlatformConfig config, sim::Device& device)
    : sc_module(name),
      config_((validate(config), std::move(config))),
      device_(device),
      ring_watch_(config_.ring_entries),
      balance_(config_.affinity.size()),
      memory_(static_cast<std::size_t>(config_.ring_entries) * 16 + 64),
      vectors_(config_.cpus, std::vector<std::vector<InterruptObject*>>(256)),
      next_vector_(config_.cpus, config_.first_vector),
      simcontext_(sc_core::sc_get_curr_simcontext()) {
  if (g_current_platform) throw std::logic_error("only one irqrig Platform may exist at a time");
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("the platform counts SystemC time in picoseconds: keep the default resolution");
  if (!config_.trace_path.empty()) trace_ = std::make_unique<TraceWriter>(config_.trace_path);
  g_current_platform = this;
  for (unsigned i = 0; i < config_.cpus; ++i) {
    cpus_.push_back(std::make_unique<Cpu>(fmt::format("cpu{}", i).c_str(), *this, i));
    if (trace_) trace_->name_track(i, fmt::format("CPU {}", i));
  }
  device_.set_upstream_sink([this](sim::UpstreamWrite&& w) { accept_upstream(std::move(w)); });
  SC_THREAD(device_thread);
  SC_THREAD(timer_thread);
  if (config_.clock_tick_ps) SC_THREAD(clock_thread);
  if (config_.ipi_period_ps) SC_THREAD(ipi_thread);
  if (config_.msi_faults.active()) {
    // Seeded apart from the device's burst seed, and each fault from the other (docs/faults.md).
    msi_faults_ = std::make_unique<MsiFaultState>();
    msi_faults_->jitter_rng.seed(config_.msi_faults.seed ^ 0x6A09E667F3BCC908ull);
    msi_faults_->drop_rng.seed(config_.msi_faults.seed ^ 0xBB67AE8584CAA73Bull);
    msi_faults_->last_arrival_ps.assign(config_.cpus, 0);
    msi_faults_->record_write.assign(config_.ring_entries, 0);
    msi_faults_->last_sent.assign(config_.affinity.size(), 0);
    msi_faults_->last_dropped.assign(config_.affinity.size(), 0);
  }
}

Platform::~Platform() {
  // A failure found now has nobody to read the faults: say it where the user will see it (once:
  // a failure during the run is a fault of the run already).
  const bool failed_before = trace_ && trace_->error();
  finish_trace();
  if (trace_ && trace_->error() && !failed_before) fmt::print(stderr, "irqrig: {}\n", *trace_->error());
  device_.set_upstream_sink({});
  for (const Mapping& m : mappings_) munmap(reinterpret_cast<void*>(m.va), m.length);
  g_current_platform = nullptr;
}

Platform* Platform::current_if_any() { return g_current_platform; }

Platform& Platform::current() {
  if (!g_current_platform) throw std::logic_error("a WDK call outside a running irqrig platform");
  return *g_current_platform;
}

Cpu* Platform::running_cpu() {
  // current_cpu_ is only a hint (the CPU that ran last): other simulation threads (the device,
  // the clock, a testbench) run in between without clearing it, so it is checked against the
  // SystemC process running now.
  const sc_core::sc_process_b* running = sc_core::sc_get_current_process_b();
  if (current_cpu_ && current_cpu_->thread() == running) return current_cpu_;
  for (auto& c : cpus_)
    if (c->thread() == running) return current_cpu_ = c.get();
  return nullptr;
}

Cpu& Platform::current_cpu() {
  Cpu* cpu = running_cpu();
  if (!cpu) violation("DRIVER_VERIFIER_DETECTED_VIOLATION", "a WDK call outside any CPU's context");
  return *cpu;
}

void Platform::fault(std::string check, std::string detail, std::optional<std::uint64_t> time_ps) {
  Fault f;
  f.check = std::move(check);
  f.time_ps = time_ps ? *time_ps : now_ps();
  f.detail = std::move(detail);
  fail(std::move(f));
}

void Platform::fail(Fault f) {
  // Bounded: a driver that duplicates every event fails millions of times; the first few say why.
  if (failure_counts_[f.check]++ < config_.checks.details_kept) {
    // A failed trace is not marked in itself.
    if (trace_ && f.check != "trace") {
      nlohmann::ordered_json args{{"detail", f.describe()}};
      if (f.seq) args["seq"] = *f.seq;
      try {
        if (f.cpu >= 0) {
          trace_->instant(static_cast<unsigned>(f.cpu), "check failed: " + f.check, f.time_ps, std::move(args));
        } else {
          trace_->global_instant("check failed: " + f.check, f.time_ps, std::move(args));
        }
      } catch (const TraceError& e) {
        // Once: every later mark fails the same way.
        if (failure_counts_["trace"]++ == 0)
          faults_.push_back(Fault{"trace", now_ps(), e.what(), {}, -1, RoutineKind::kNone, {}, {}});
        sc_core::sc_stop();
      }
    }
    faults_.push_back(std::move(f));
  }
  if (config_.checks.stop_at_first_failure && !stopped_at_failure_) {
    stopped_at_failure_ = true;
    sc_core::sc_stop();
  }
}

Fault Platform::failure_here(std::string check, std::string detail, std::optional<std::uint32_t> seq) {
  Fault f = driver_fault({}, std::move(detail));
  f.check = std::move(check);
  f.seq = seq;
  return f;
}

std::uint64_t Platform::failure_count(const std::string& check) const {
  const auto it = failure_counts_.find(check);
  return it == failure_counts_.end() ? 0 : it->second;
}

void Platform::check_late() {
  if (!config_.checks.late_ps) return;
  sync_upstream();
  const std::uint64_t now = now_ps();
  if (now < config_.checks.late_ps) return;
  for (const RingWatch::Late& l : ring_watch_.take_late(now - config_.checks.late_ps)) {
    Fault f;
    f.check = "late";
    f.time_ps = l.written_ps + config_.checks.late_ps;
    f.seq = l.seq;
    f.detail = fmt::format("the record for sequence number {} reached ring slot {} at {} ns and was still "
                           "unprocessed {} us later (checks.late_us)",
                           l.seq, l.slot, l.written_ps / 1000, config_.checks.late_ps / 1'000'000);
    fail(std::move(f));
  }
}

std::optional<std::uint32_t> Platform::message_of_record(unsigned vector) const {
  const std::size_t n = balance_.size();
  if (n == 0) return std::nullopt;
  if (config_.message_mode == MessageMode::kMsi) return static_cast<std::uint32_t>(vector % n);
  if (vector < n) return static_cast<std::uint32_t>(vector);
  return std::nullopt;
}

void Platform::violation(std::string rule, std::string detail) { throw DriverFault(driver_fault(std::move(rule), std::move(detail))); }

void Platform::require_irql_at_most(const char* routine, KIRQL limit) {
  const KIRQL irql = current_cpu().irql();
  if (irql > limit)
    violation("IRQL_NOT_LESS_OR_EQUAL",
              fmt::format("{} called at {}; it requires IRQL <= {}", routine, irql_name(irql), irql_name(limit)));
}

void Platform::require_irql_at_least(const char* routine, KIRQL limit) {
  const KIRQL irql = current_cpu().irql();
  if (irql < limit)
    violation("IRQL_NOT_GREATER_OR_EQUAL",
              fmt::format("{} called at {}; it requires IRQL >= {}", routine, irql_name(irql), irql_name(limit)));
}

void Platform::require_irql(const char* routine, KIRQL level) {
  const KIRQL irql = current_cpu().irql();
  if (irql != level)
    violation(irql > level ? "IRQL_NOT_LESS_OR_EQUAL" : "IRQL_NOT_GREATER_OR_EQUAL",
              fmt::format("{} called at {}; it requires IRQL = {}", routine, irql_name(irql), irql_name(level)));
}

Fault Platform::driver_fault(std::string rule, std::string detail) {
  Fault f;
  f.check = "driver_rules";
  f.time_ps = now_ps();
  f.detail = std::move(detail);
  f.rule = std::move(rule);
  if (Cpu* cpu = running_cpu()) {
    f.cpu = static_cast<int>(cpu->index());
    if (const Cpu::Frame* frame = cpu->frame()) {
      f.routine = frame->kind;
      if (frame->routine) f.routine_name = routine_name(frame->routine);
    }
  }
  return f;
}

bool Platform::all_idle() {
  sync_upstream();
  return std::all_of(cpus_.begin(), cpus_.end(), [](const auto& c) { return c->idle(); }) && upstream_.empty();
}

void Platform::guard(const std::function<void()>& body) {
  try {
    body();
  } catch (const DriverFault& e) {
    fail(e.fault());
    sc_core::sc_stop();
  } catch (const sim::DeviceError& e) {
    if (!target_error_) target_error_ = e.what();
    sc_core::sc_stop();
  } catch (const TraceError& e) {
    fault("trace", e.what());
    sc_core::sc_stop();
  } catch (const std::exception& e) {
    // Anything else (a C++ driver's own exception, a rig bug) must not unwind through the SystemC
    // kernel: the run stops with it recorded.
    fault("exception", fmt::format("{} escaped a simulation thread: {}", demangle(typeid(e).name()), e.what()));
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

void Platform::clock_thread() {
  guard([this] {
    for (;;) {
      wait(ps(config_.clock_tick_ps));
      for (auto& c : cpus_) c->post_clock();
    }
  });
}

void Platform::ipi_thread() {
  guard([this] {
    for (;;) {
      wait(ps(config_.ipi_period_ps));
      queue_ipi_broadcast(config_.ipi_caller, config_.ipi_worker_ps);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Root complex: MSI decode (B1-B3) and DMA into the common buffer

void Platform::accept_upstream(sim::UpstreamWrite&& w) {
  Upstream u{std::move(w), -1, {}, 0, false};
  const sim::UpstreamWrite& x = u.write;
  if (is_msi_address(x.address) && x.data.size() == 1 && x.first_be == 0xF) {
    u.msi = decode_msi(x.address, x.data[0]);
    if (is_modelled(u.msi) && is_device_vector(u.msi.vector) && u.msi.destination < cpus_.size())
      u.target = u.msi.destination;
  }
  u.sent_ps = x.time_ps;
  if (msi_faults_) {
    inject_msi_faults(u);
    // A jittered message arrives later than writes sent after it: the queue stays in time order,
    // equal times in the order sent.
    const std::uint64_t at = x.time_ps;
    const int target = u.dropped ? -1 : u.target;
    const std::uint8_t vector = u.msi.vector;
    auto pos = upstream_.end();
    while (pos != upstream_.begin() && std::prev(pos)->write.time_ps > at) --pos;
    upstream_.insert(pos, std::move(u));
    if (target >= 0) cpus_[static_cast<unsigned>(target)]->expect_arrival(at, vector);
    return;
  }
  const std::uint64_t at = x.time_ps;
  upstream_.push_back(std::move(u));
  if (upstream_.back().target >= 0)
    cpus_[static_cast<unsigned>(upstream_.back().target)]->expect_arrival(at, upstream_.back().msi.vector);
}

void Platform::deliver_due(std::uint64_t time_ps) {
  while (!upstream_.empty() && upstream_.front().write.time_ps <= time_ps) {
    Upstream u = std::move(upstream_.front());
    upstream_.pop_front();
    deliver(u);
  }
}

void Platform::deliver(Upstream& u) {
  sim::UpstreamWrite& w = u.write;
  if (u.dropped) {
    if (trace_)
      trace_->instant(static_cast<unsigned>(u.target), "MSI dropped", w.time_ps,
                      nlohmann::ordered_json{{"vector", fmt::format("{:#04x}", u.msi.vector)}});
    return;
  }
  if (u.target >= 0) {
    if (trace_) {
      nlohmann::ordered_json args{{"vector", fmt::format("{:#04x}", u.msi.vector)}};
      const auto& chain = vectors_[static_cast<unsigned>(u.target)][u.msi.vector];
      if (!chain.empty() && chain.front()->message_routine) args["message"] = chain.front()->message_id;
      trace_->instant(static_cast<unsigned>(u.target), "MSI", w.time_ps, std::move(args));
    }
    cpus_[static_cast<unsigned>(u.target)]->arrive(u.msi.vector, u.sent_ps);
    return;
  }
  if (!is_msi_address(w.address)) {
    deliver_memory(w);
    return;
  }
  // A message the model will not deliver (B1-B3): reported at the time it reached the root complex.
  if (w.data.size() != 1 || w.first_be != 0xF) {
    fault("msi_format",
          fmt::format("MSI write to {:#x} carries {} DWs with first BE {:x}; a message is one full DW", w.address,
                      w.data.size(), w.first_be),
          w.time_ps);
    return;
  }
  if (const auto why = unsupported_reason(u.msi = decode_msi(w.address, w.data[0]))) {
    fault("msi_format", fmt::format("MSI {:#x}/{:#x}: {}", w.address, w.data[0], *why), w.time_ps);
    return;
  }
  if (!is_device_vector(u.msi.vector)) {
    fault("msi_format",
          fmt::format("MSI {:#x}/{:#x}: vector {:#04x} is not a device vector (0x30-0xCF); Windows never programs it",
                      w.address, w.data[0], u.msi.vector),
          w.time_ps);
    return;
  }
  fault("msi_format", fmt::format("MSI to APIC ID {} but the host has {} CPUs", u.msi.destination, cpus_.size()),
        w.time_ps);
}

void Platform::deliver_memory(sim::UpstreamWrite& w) {
  const std::uint64_t bytes = w.data.size() * 4;
  // Differences, not sums: a write near the top of the address space must not wrap into the window.
  if (w.address < config_.dma_base || bytes > memory_.size() || w.address - config_.dma_base > memory_.size() - bytes) {
    // The IOMMU window: anything outside is reported and never written (DESIGN decision 7).
    fault("dma_window",
          fmt::format("device wrote {} bytes at {:#x}, outside the DMA window {:#x}+{:#x}", bytes, w.address,
                      config_.dma_base, memory_.size()),
          w.time_ps);
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
      RingWatch::Record bytes;
      std::memcpy(bytes.data(), &memory_[r], bytes.size());
      ring_watch_.on_written(static_cast<std::uint32_t>(r / 16), bytes, w.time_ps);
      if (const auto m = message_of_record(rec.Vector)) ++balance_[*m].records;
      if (!accounting_.on_written(rec.Sequence, rec.Timestamp * device_.cycle_ps()))
        fault("event_record",
              fmt::format("ring slot {} holds sequence number {}, more than {} past every record written before: "
                          "a corrupt record",
                          r / 16, rec.Sequence, Accounting::kDefaultMaxAhead),
              w.time_ps);
    }
  }
}

void Platform::raise_line_interrupt() { cpus_[config_.line_cpu]->post(config_.line_vector); }

// ---------------------------------------------------------------------------------------------
// Memory-mapped I/O

PVOID Platform::map_io_space(std::uint64_t physical, std::size_t length) {
  const std::uint64_t bar_size = std::uint64_t{1} << 16;
  if (length == 0 || physical < bar0_physical_ || physical + length > bar0_physical_ + bar_size) return nullptr;
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
  if (it == mappings_.end())
    violation("DRIVER_VERIFIER_DETECTED_VIOLATION", "MmUnmapIoSpace of an address MmMapIoSpace did not return");
  // The WDK asks for the NumberOfBytes the mapping was made with; the pages released are the
  // mapping's own either way.
  const Mapping m = *it;
  mappings_.erase(it);
  munmap(reinterpret_cast<void*>(m.va), m.length);
  if (length != m.length)
    violation("DRIVER_VERIFIER_DETECTED_VIOLATION",
              fmt::format("MmUnmapIoSpace of {} bytes at {}, mapped with {} bytes", length, va, m.length));
}

const Platform::Mapping& Platform::mapping_of(const volatile void* va, unsigned size) {
  const auto a = reinterpret_cast<std::uintptr_t>(va);
  for (const Mapping& m : mappings_)
    if (a >= m.va && a + size <= m.va + m.length) return m;
  violation("PAGE_FAULT_IN_NONPAGED_AREA",
            fmt::format("register access at {:#x} is outside every MmMapIoSpace mapping", a));
}

std::uint64_t Platform::mmio_read(const volatile void* va, unsigned size) {
  const Mapping& m = mapping_of(va, size);
  const std::uint64_t offset = m.bar_offset + (reinterpret_cast<std::uintptr_t>(va) - m.va);
  const std::uint64_t value = device_.bar_read(0, offset, size);
  deliver_posted_writes();
  current_cpu().consume_ps(config_.costs.mmio_read_ns * 1000);
  return value;
}

void Platform::deliver_posted_writes() {
  // The device answered the read at its own time, up to a quantum ahead of the host: a read
  // completion never passes the device's posted writes, so every DMA write it sent before the
  // completion is in memory when the value comes back (the driver's "flush by reading" idiom).
  // Messages keep their times: an interrupt that reaches its CPU later is only a slower message.
  sync_upstream();
  const std::uint64_t completion_ps = device_.now_ps();
  for (auto it = upstream_.begin(); it != upstream_.end() && it->write.time_ps <= completion_ps;) {
    if (it->target < 0 && !is_msi_address(it->write.address)) {
      deliver_memory(it->write);
      it = upstream_.erase(it);
    } else {
      ++it;
    }
  }
}

void Platform::mmio_write(volatile void* va, std::uint64_t value, unsigned size) {
  const Mapping& m = mapping_of(va, size);
  const std::uint64_t offset = m.bar_offset + (reinterpret_cast<std::uintptr_t>(va) - m.va);
  device_.bar_write(0, offset, value, size);
  // record_integrity: the consumer index hands slots back to the device the moment it is written.
  if (offset == regs::RING_CONS && size == 4) ring_watch_.on_released(static_cast<std::uint32_t>(value));
  current_cpu().consume_ps(config_.costs.mmio_write_ns * 1000);
}

void Platform::report_pool_leaks(const std::string& driver) {
  if (!pool_.outstanding()) return;
  const std::vector<PoolBlock> blocks = pool_.live();
  std::string list;
  for (std::size_t i = 0; i < blocks.size() && i < 8; ++i)
    list += fmt::format("{}'{}' {} bytes{}", i ? ", " : "", Pool::tag_name(blocks[i].tag), blocks[i].bytes,
                        blocks[i].paged ? " (paged)" : "");
  if (blocks.size() > 8) list += fmt::format(", and {} more", blocks.size() - 8);
  fail(driver_fault(
      "DRIVER_VERIFIER_DETECTED_VIOLATION",
      fmt::format("driver {} stopped with {} pool allocation{} ({} bytes) not freed: {}", driver, blocks.size(),
                  blocks.size() == 1 ? "" : "s", pool_.outstanding_bytes(), list)));
}

void Platform::event_processed(const void* record) {
  IRQRIG_EVENT_RECORD rec;
  std::memcpy(&rec, record, sizeof rec);
  RingWatch::Record bytes;
  std::memcpy(bytes.data(), record, bytes.size());
  // A pointer into the ring names its slot; anything else is the driver's copy.
  const auto at = reinterpret_cast<std::uintptr_t>(record), ring = reinterpret_cast<std::uintptr_t>(memory_.data());
  const std::uint64_t ring_bytes = std::uint64_t{config_.ring_entries} * 16;
  std::optional<std::uint32_t> slot;
  if (at >= ring && at - ring < ring_bytes) {
    if ((at - ring) % 16) {
      fail(failure_here("record_integrity",
                        fmt::format("a record read at ring offset {:#x}, inside slot {} but not at its start: a torn "
                                    "record",
                                    at - ring, (at - ring) / 16),
                        rec.Sequence));
    } else {
      slot = static_cast<std::uint32_t>((at - ring) / 16);
    }
  }
  if (slot || at < ring || at - ring >= ring_bytes) {
    RingWatch::Verdict v = ring_watch_.on_read(slot, bytes);
    if (v.problem != RingWatch::Problem::kNone)
      fail(failure_here("record_integrity", std::move(v.detail), rec.Sequence));
  }
  switch (accounting_.on_processed(rec.Sequence, now_ps())) {
    case Accounting::Processed::kFirst:
      if (const auto m = message_of_record(rec.Vector)) ++balance_[*m].processed;
      break;
    case Accounting::Processed::kDuplicate:
      fail(failure_here("exactly_once", fmt::format("sequence number {} processed a second time", rec.Sequence),
                        rec.Sequence));
      break;
    case Accounting::Processed::kUnknown:
      fail(failure_here("exactly_once",
                        fmt::format("sequence number {} processed but the device never wrote it", rec.Sequence),
                        rec.Sequence));
      break;
  }
  current_cpu().consume_ps(config_.costs.dpc_per_event_ns * 1000);
}

// ---------------------------------------------------------------------------------------------
// Names and the trace

const std::string& Platform::routine_name(const void* routine) {
  const auto it = routine_names_.find(routine);
  if (it != routine_names_.end()) return it->second;
  std::string name = "unknown";
  Dl_info info{};
  if (routine && dladdr(routine, &info)) {
    // Only an exact symbol: dladdr otherwise names the nearest exported one before it.
    if (info.dli_sname && info.dli_saddr == routine) {
      name = demangle(info.dli_sname);
    } else if (info.dli_fname) {
      const char* slash = std::strrchr(info.dli_fname, '/');
      name = fmt::format("{}+{:#x}", slash ? slash + 1 : info.dli_fname,
                         reinterpret_cast<std::uintptr_t>(routine) - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
    }
  }
  return routine_names_.emplace(routine, std::move(name)).first->second;
}

void Platform::finish_trace() {
  if (!trace_) return;
  trace_->keep_errors();
  for (auto& c : cpus_) c->close_frames_for_trace();
  trace_->finish();
}

}  // namespace irqrig::host
