// The SystemC host platform: CPUs (LAPIC, IRQL, DPC queues and threads), clock, timers, IPI broadcast,
// root complex, host memory and the device bridge; docs/host-model.md describes the model.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <systemc>

#include "host/core/dpc_queue.h"
#include "host/core/histogram.h"
#include "host/core/ipi.h"
#include "host/core/irql.h"
#include "host/core/lapic.h"
#include "host/core/msi.h"
#include "host/core/pool.h"
#include "host/core/timer_queue.h"
#include "host/platform/accounting.h"
#include "host/platform/trace.h"
#include "irqrig/wdm.h"
#include "sim/device/device.h"

namespace irqrig::host {

/// Which kind of driver routine a CPU is running: what a fault names and a trace slice shows.
/// kHold: the CPU held busy by an injected fault (faults.hold_cpus), no driver code.
enum class RoutineKind : std::uint8_t { kNone, kPassive, kIsr, kDpc, kTimerDpc, kThreadedDpc, kIpiWorker, kHold };
/// "ISR", "DPC", "timer DPC", "threaded DPC", "IPI worker", "passive", "hold", "none".
const char* routine_kind_name(RoutineKind kind);

/// Where a DPC came from, in KDPC::IrqrigOrigin.
enum class DpcOrigin : UCHAR { kDriver = 0, kTimer = 1, kFlushMarker = 2 };

/// A problem the platform saw that fails the run (a driver rule broken, DMA outside the window, an
/// unsupported MSI...). Driver faults also say where: the rule, the CPU and the routine.
struct Fault {
  std::string check;  ///< the report check it fails: "driver_rules", "dma_window", "msi_format", ...
  std::uint64_t time_ps = 0;
  std::string detail;
  std::string rule;  ///< for driver_rules: the bug check, e.g. "IRQL_NOT_LESS_OR_EQUAL"
  int cpu = -1;      ///< the CPU running the offending code; -1 when no CPU was
  RoutineKind routine = RoutineKind::kNone;
  std::string routine_name;  ///< the driver routine's symbol, or module+offset when it has none
  std::optional<std::uint32_t> seq;  ///< the event record's sequence number, when one is concerned
  /// One line for a report: "IRQL_NOT_LESS_OR_EQUAL on CPU 2 in DPC MyDpc at 1234 ns: detail".
  std::string describe() const;
};

/// A rule the Windows kernel would bug-check on, broken by the driver under test. Thrown through the
/// driver's code to the CPU thread, which records the fault and stops the run.
class DriverFault : public std::runtime_error {
 public:
  explicit DriverFault(Fault fault);
  const Fault& fault() const { return fault_; }

 private:
  Fault fault_;
};

struct RoutineCosts {
  std::uint64_t isr_ns = 500, dpc_ns = 800, dpc_per_event_ns = 50, mmio_read_ns = 800, mmio_write_ns = 100;
};

/// What a message-based connect programs in the device, as pci.sys would have chosen for it.
enum class MessageMode : std::uint8_t {
  kMsix,  ///< one MSI-X table entry per message, each to its own CPU and vector
  kMsi,   ///< the MSI capability: 1 << MME messages, one address (one CPU), a block of vectors (A2)
};

/// Faults the root complex injects into device messages (docs/faults.md), from a PRNG seeded with
/// `seed`: the same seed gives the same faults run to run.
struct MsiFaultConfig {
  std::uint64_t seed = 1;
  std::uint64_t jitter_ps = 0;          ///< each MSI reaches its local APIC 0..jitter_ps later (uniform)
  double drop_probability = 0;          ///< each MSI write is dropped with this probability
  std::vector<std::uint64_t> drop_nth;  ///< and these MSIs, by 1-based number, ascending
  bool active() const { return jitter_ps || drop_probability > 0 || !drop_nth.empty(); }
};

/// What the injected faults did (the report's `faults`).
struct FaultCounters {
  std::uint64_t msi_jittered = 0, msi_dropped = 0, cpu_holds = 0, ipi_storm_broadcasts = 0, affinity_changes = 0,
                table_rewrites = 0;
};

/// The checks judged while the run goes (docs/checks.md); a time of 0 turns its check off. Off by
/// default here, for tests of the bare platform; a scenario run sets the scenario's `checks:`.
struct CheckSettings {
  /// DPC_WATCHDOG_VIOLATION parameter 0: one DPC routine running longer than this.
  std::uint64_t dpc_single_ps = 0;
  /// Parameter 1: a CPU at DISPATCH_LEVEL or above without a break for longer than this.
  std::uint64_t dpc_cumulative_ps = 0;
  /// `late`: an event record in memory this long without being processed.
  std::uint64_t late_ps = 0;
  /// `isr_balance`: claims against the records of each message. Off on the bare platform, whose
  /// tests send bare messages (an interrupt without a record) that the device of a run never does.
  bool isr_balance = false;
  /// The first failed check stops the simulation at its moment (--stop-at-first-failure).
  bool stop_at_first_failure = false;
  /// Failures kept per check with all their details; the rest are counted only.
  std::size_t details_kept = 8;
};

/// Everything the platform is built with. The kernel-model settings are the [choice]s of
/// SEMANTICS.md; docs/host-model.md documents each.
struct PlatformConfig {
  unsigned cpus = 4;  ///< 1-64: one processor group, KAFFINITY-sized
  RoutineCosts costs;
  std::vector<unsigned> affinity;      ///< CPU of each message the device is granted; empty: no messages
  /// MSI-X, or MSI: then affinity.size() must be a power of two up to 32 and every message goes to
  /// affinity[0] (an MSI capability has one Message Address); the other entries are not used.
  MessageMode message_mode = MessageMode::kMsix;
  std::uint64_t quantum_cycles = 64;   ///< device cycles per co-simulation quantum
  std::uint32_t ring_entries = 1024;
  std::uint64_t dma_base = 0x1'0000'0000ull;  ///< device-visible address of the common buffer
  std::uint8_t first_vector = 0x60;    ///< IDT vectors handed to messages on each CPU, upward to 0xCF

  /// E8 [choice]: the clock interrupt's period on every CPU; it drains DPCs left for it and measures
  /// the DPC request rate. 0 turns the clock off (DPCs left for it then never run).
  std::uint64_t clock_tick_ps = 15'625'000'000;
  DpcTuning dpc;               ///< MaximumDpcQueueDepth, MinimumDpcRate, E9 adaptive depth
  bool threaded_dpcs = true;   ///< E12: false runs threaded DPCs as ordinary ones (ThreadDpcEnable = 0)
  /// E14 [choice]: false expires a timer at its due time exactly (a high-resolution timer); true at the
  /// first clock tick at or after it, as the default Windows timer resolution does.
  bool timers_on_tick = false;

  /// The line-based interrupt (INTx) a CONNECT_LINE_BASED or fallback connection gets: its vector
  /// (IRQL vector >> 4) on CPU `line_cpu`. Only raise_line_interrupt() asserts it.
  std::uint8_t line_vector = 0x50;
  unsigned line_cpu = 0;

  /// Periodic KeIpiGenericCall broadcasts from a PASSIVE_LEVEL thread on `ipi_caller`, each worker
  /// spending `ipi_worker_ps` on every CPU. `ipi_period_ps` 0: none.
  std::uint64_t ipi_period_ps = 0, ipi_worker_ps = 0;
  unsigned ipi_caller = 0;

  /// Chrome trace-event JSON of the run (DESIGN.md `--trace`); empty: no trace.
  std::string trace_path;

  MsiFaultConfig msi_faults;  ///< MSI jitter and drops in the root complex (faults.msi_jitter_ns, drop_msi)
  CheckSettings checks;
};

/// Time per CPU by what it was running: ISRs, DPCs (ordinary, timer and threaded), IPI workers and
/// the barrier, and other PASSIVE_LEVEL work. The rest of the run is idle.
struct CpuStats {
  std::uint64_t isr_ps = 0, dpc_ps = 0, ipi_ps = 0, other_ps = 0;
  std::uint64_t held_ps = 0;  ///< held busy by an injected fault (faults.hold_cpus)
};

class Platform;

class Cpu : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Cpu);
  Cpu(const sc_core::sc_module_name& name, Platform& platform, unsigned index);

  unsigned index() const { return index_; }
  /// This CPU's SystemC thread (null before it first runs).
  const sc_core::sc_process_b* thread() const { return thread_; }
  Lapic& lapic() { return lapic_; }
  const Lapic& lapic() const { return lapic_; }
  Irql irql() const { return irql_; }
  ProcessorDpcs& dpcs() { return dpcs_; }
  const ProcessorDpcs& dpcs() const { return dpcs_; }

  /// A device's interrupt message for `vector` reached this CPU's local APIC.
  void post(std::uint8_t vector);
  /// The root complex will deliver a message for `vector` to this CPU at `time_ps`: the CPU wakes
  /// then (and whoever runs first at that time delivers it, in order with the writes before it).
  void expect_arrival(std::uint64_t time_ps, std::uint8_t vector);
  /// The expected message reaches the local APIC (from Platform::sync_upstream); it arrived at `time_ps`.
  void arrive(std::uint8_t vector, std::uint64_t time_ps);
  /// The kernel's own interrupts: the clock tick and a KeIpiGenericCall request.
  void post_clock();
  void post_broadcast_ipi();
  /// Device messages accepted into IRR and merged into a set IRR bit (B5); the clock and IPIs are
  /// not counted.
  std::uint64_t msi_accepted() const { return msi_accepted_; }
  std::uint64_t msi_merged() const { return msi_merged_; }

  /// Passes simulated time on this CPU; interrupts, DPCs and the DPC thread preempt meanwhile as
  /// the IRQL allows, and their time is their own.
  void consume_ps(std::uint64_t ps);
  /// Spins until `ready` holds, re-checking on `event` and whenever this CPU is woken; what the
  /// IRQL allows preempts the spin.
  void spin_until(const std::function<bool()>& ready, const sc_core::sc_event& event);
  void raise_irql(Irql irql);
  /// Lowers IRQL; falling below DISPATCH with a DPC request pending drains the queue first (C5).
  void lower_irql(Irql irql);
  /// Runs whatever the current IRQL lets preempt the running code: interrupts above it, a
  /// requested DPC drain below DISPATCH, the DPC thread at PASSIVE.
  void check_preemption();
  void wake() { wake_.notify(sc_core::SC_ZERO_TIME); }
  bool idle() const { return frames_.empty() && lapic_.idle() && dpcs_.empty() && passive_work_.empty(); }
  /// Runs `fn` on this CPU at PASSIVE_LEVEL, like a system worker thread (StartDevice, a test's code).
  void queue_passive(std::function<void()> fn);
  CpuStats stats() const;
  /// Holds this CPU busy at `irql` until `until_ps`, as another driver's ISR or a firmware SMI would
  /// (faults.hold_cpus): taken like an interrupt of that IRQL once the current IRQL is below it;
  /// interrupts at or below it wait, higher ones preempt. A hold the IRQL keeps out past
  /// `until_ps` does not run.
  void request_hold(Irql irql, std::uint64_t until_ps);

  /// The routine this CPU is running, innermost first.
  struct Frame {
    RoutineKind kind;
    const void* entered;      // the function the platform called (a driver's, or a framework's dispatcher)
    const void* routine;      // the driver function running now: what a fault names
    const void* shown;        // the driver function the trace slice names
    std::uint32_t message;    // ISR: MessageID; ~0 otherwise
    std::uint8_t vector;      // ISR: the IDT vector
    std::uint64_t start_ps;
  };
  const Frame* frame() const { return frames_.empty() ? nullptr : &frames_.back(); }
  /// A framework (KMDF) calling a driver callback from the routine the platform entered names it:
  /// faults raised meanwhile name `routine`, and so does the frame's trace slice (the last callback
  /// named in it). Returns the routine named before, to name again when the callback returns.
  /// Nothing happens outside any routine.
  const void* set_frame_routine(const void* routine);
  /// Enters a routine, at `start_ps` when it began earlier than now (an interrupt taken while this
  /// CPU slept through its entry cost, see loop()).
  void push_frame(RoutineKind kind, const void* routine, std::uint32_t message = ~0u, std::uint8_t vector = 0,
                  std::optional<std::uint64_t> start_ps = std::nullopt);
  void pop_frame();
  /// Writes every open routine's trace slice, ending now (the trace is finishing).
  void close_frames_for_trace();
  /// The longest this CPU has stayed at DISPATCH_LEVEL or above without a break, so far.
  std::uint64_t max_dispatch_run_ps() const;

 private:
  void run();
  void loop();
  void resume();
  /// Takes `vector`, the interrupt having been taken at `at_ps` (now unless the CPU slept through it).
  void take(std::uint8_t vector, std::uint64_t at_ps);
  void take(std::uint8_t vector);
  void device_interrupt(std::uint8_t vector, std::uint64_t at_ps, std::uint64_t arrived_ps);
  void sleep();
  void clock_interrupt();
  void drain_dpcs();
  void run_dpc_thread();
  /// What a DPC's run needs, read when it leaves its queue.
  struct DpcCall {
    PRKDPC dpc;
    PKDEFERRED_ROUTINE routine;
    PVOID context, arg1, arg2;
    std::uint64_t insert_ps;
    DpcOrigin origin;
  };
  static DpcCall dequeued(PRKDPC dpc);
  void run_dpc(const DpcCall& call, RoutineKind kind, Irql expected);
  void run_hold();
  struct Hold {
    Irql irql;
    std::uint64_t until_ps;
  };
  std::deque<Hold> holds_;  // requested holds, in order
  /// `count_dispatch_run` false: the change is an injected hold's, outside the DPC watchdog's
  /// at-DISPATCH run (run_hold pauses and resumes the run itself).
  void set_irql(Irql irql, bool count_dispatch_run = true);
  /// The DPC watchdog's next deadline on this CPU (kNever when neither bound applies now), and
  /// the bug check when it has passed. Every wait inside a routine ends at the deadline, so a
  /// violation is found at its moment.
  std::uint64_t watchdog_deadline() const;
  void check_watchdog();
  void account(std::uint64_t now_ps);
  void account();
  void post_quietly(std::uint8_t vector, std::uint64_t arrived_ps);
  /// Makes timer_ fire at `time_ps` unless it already fires earlier (this CPU then looks again).
  void arm(std::uint64_t time_ps);
  /// Blocks this CPU's thread until `duration_ps` has passed (none: no limit), it is woken, the
  /// next message arrives or `event` fires; then resumes.
  void block(std::optional<std::uint64_t> duration_ps, const sc_core::sc_event* event = nullptr);

  Platform& platform_;
  unsigned index_;
  const sc_core::sc_process_b* thread_ = nullptr;
  Lapic lapic_;
  ProcessorDpcs dpcs_;
  Irql irql_ = kPassiveLevel;
  bool broadcast_requested_ = false;
  // The thread is statically sensitive to both: wake_ for other processes' (delta) wakes, timer_
  // for this CPU's own deadline (a routine cost, the next message). Apart, because a delta
  // notification cancels a pending timed one on the same event; static, because a plain wait()
  // costs the SystemC kernel far less than a timed wait on an event list.
  sc_core::sc_event wake_, timer_;
  std::vector<std::uint64_t> arrival_ps_;  // per vector: oldest undelivered arrival, ~0 if none
  std::uint64_t msi_accepted_ = 0, msi_merged_ = 0;
  struct Arrival {
    std::uint64_t time_ps;
    std::uint8_t vector;
  };
  std::deque<Arrival> arrivals_;  // the messages on their way here, in order
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  std::uint64_t timer_for_ = kNever;  // when timer_'s pending notification fires
  bool blocked_ = false;
  std::vector<Frame> frames_;
  std::uint64_t dispatch_since_ps_ = kNever;  // when IRQL last rose to DISPATCH_LEVEL or above
  std::uint64_t max_dispatch_run_ps_ = 0;
  std::optional<std::size_t> dpc_frame_;      // the ordinary or timer DPC running, in frames_
  CpuStats stats_;
  std::uint64_t account_since_ps_ = 0;
  std::deque<std::function<void()>> passive_work_;
};

/// What IoConnectInterruptEx hands out per message or line: the KINTERRUPT of the WDK.
struct InterruptObject {
  PKMESSAGE_SERVICE_ROUTINE message_routine = nullptr;  // message-signalled: (Interrupt, Context, MessageID)
  PKSERVICE_ROUTINE line_routine = nullptr;             // line-based or fully specified: (Interrupt, Context)
  PVOID context = nullptr;
  ULONG message_id = 0;
  KIRQL irql = 0;
  KIRQL synchronize_irql = 0;
  PKSPIN_LOCK lock = nullptr;     // the driver's, or own_lock when it gave none
  KSPIN_LOCK own_lock = 0;
  std::uint8_t vector = 0;
  KAFFINITY cpus = 0;  // the CPUs whose IDT has it
  bool connected = true;  // false from the moment IoDisconnectInterruptEx begins: never called again
  // IDT entries (cpu, vector) it had before an affinity change: kept for messages already in flight.
  std::vector<std::pair<unsigned, std::uint8_t>> former;
  const void* routine() const {
    return message_routine ? reinterpret_cast<const void*>(message_routine) : reinterpret_cast<const void*>(line_routine);
  }
};

struct PlatformCounters {
  std::uint64_t isr_calls = 0, isr_claimed = 0, isr_declined = 0;
  std::uint64_t dpc_inserts = 0, dpc_inserts_rejected = 0, dpc_runs = 0, dpc_max_runtime_ps = 0;
  std::uint64_t ipi_broadcasts = 0, ipi_worker_calls = 0;
  std::uint64_t timer_expiries = 0;
  /// Interrupts every ISR of the chain declined (isr_balance counts them; see docs/checks.md).
  std::uint64_t isr_unclaimed = 0;
};

class Platform : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Platform);
  /// Throws std::invalid_argument for a configuration the model cannot run (0 or > 64 CPUs, an
  /// affinity naming a missing CPU...) and TraceError when the trace file cannot be created.
  Platform(const sc_core::sc_module_name& name, PlatformConfig config, sim::Device& device);
  ~Platform() override;

  /// The platform whose driver code is running now. Windows binds the running kernel to the
  /// processor (GS:KPCR); the rig binds it to the simulation, so the WDK's context-free calls
  /// find their kernel. Set while a platform exists.
  static Platform& current();
  /// The same, or null when no platform exists (framework objects freed after the run).
  static Platform* current_if_any();
  /// The CPU whose thread is running; a violation from any other simulation thread.
  Cpu& current_cpu();
  /// The same, or null when no CPU's thread is running.
  Cpu* running_cpu();
  std::uint64_t now_ps() const { return simcontext_->time_stamp().value(); }

  const PlatformConfig& config() const { return config_; }
  sim::Device& device() { return device_; }
  Cpu& cpu(unsigned i) { return *cpus_.at(i); }
  const Cpu& cpu(unsigned i) const { return *cpus_.at(i); }
  unsigned cpu_count() const { return static_cast<unsigned>(cpus_.size()); }
  /// The ledger, with every device write due by now delivered.
  Accounting& accounting() {
    sync_upstream();
    return accounting_;
  }
  PlatformCounters& counters() { return counters_; }
  /// The faults so far, with every device write due by now delivered (and judged).
  const std::vector<Fault>& faults() {
    sync_upstream();
    return faults_;
  }
  /// Records a fault that is not the driver's (DMA window, MSI format, ...), at `time_ps` or now.
  void fault(std::string check, std::string detail, std::optional<std::uint64_t> time_ps = std::nullopt);
  /// Records a failed check: kept with its details while fewer than checks.details_kept of its
  /// check are, counted always; marked in the trace; the first stops the run when
  /// checks.stop_at_first_failure is set.
  void fail(Fault fault);
  /// A failed `check` found now, naming the running CPU and routine (none outside a CPU) and `seq`.
  Fault failure_here(std::string check, std::string detail, std::optional<std::uint32_t> seq = std::nullopt);
  /// Failures of `check` so far, counting those whose details were not kept.
  std::uint64_t failure_count(const std::string& check) const;
  /// The first failure stopped the run (checks.stop_at_first_failure).
  bool stopped_at_failure() const { return stopped_at_failure_; }
  /// `late`: fails every event record in memory for longer than checks.late_ps and still
  /// unprocessed (the testbench calls it at each poll).
  void check_late();
  const RingWatch& ring_watch() const { return ring_watch_; }
  /// The driver broke a kernel rule: throws DriverFault naming `rule`, the current CPU, its
  /// routine and the time. Never returns.
  [[noreturn]] void violation(std::string rule, std::string detail);
  /// The checks a DDI makes of its caller's IRQL (`routine` names the DDI): at most `limit`
  /// (IRQL_NOT_LESS_OR_EQUAL), at least `limit` (IRQL_NOT_GREATER_OR_EQUAL), exactly `level`.
  void require_irql_at_most(const char* routine, KIRQL limit);
  void require_irql_at_least(const char* routine, KIRQL limit);
  void require_irql(const char* routine, KIRQL level);
  /// The fault violation() throws: `rule` and `detail`, the running CPU and routine, now.
  Fault driver_fault(std::string rule, std::string detail);
  Histogram& msi_to_isr() { return msi_to_isr_; }
  Histogram& isr_to_dpc() { return isr_to_dpc_; }

  // Host memory: one DMA common buffer, the only window the IOMMU lets the device write. The
  // event ring starts it; the producer-index word follows the ring.
  std::uint8_t* common_buffer() { return memory_.data(); }
  std::size_t common_buffer_size() const { return memory_.size(); }
  std::uint64_t bar0_physical() const { return bar0_physical_; }

  // ---- kernel services behind <irqrig/wdm.h> (wdm.cpp checks arguments and IRQL first) ----
  bool insert_dpc(PRKDPC dpc, PVOID arg1, PVOID arg2);
  bool remove_dpc(PRKDPC dpc);
  void flush_dpcs();
  bool set_timer(PKTIMER timer, LONGLONG due_time, LONG period_ms, PKDPC dpc);
  bool cancel_timer(PKTIMER timer);
  ULONG_PTR ipi_generic_call(PKIPI_BROADCAST_WORKER worker, ULONG_PTR context);
  /// `queued`: an in-stack queued spin lock, granted to waiters in the order they came.
  void acquire_lock(PKSPIN_LOCK lock, bool queued = false);
  void release_lock(PKSPIN_LOCK lock);
  PVOID map_io_space(std::uint64_t physical, std::size_t length);
  void unmap_io_space(PVOID va, std::size_t length);
  std::uint64_t mmio_read(const volatile void* va, unsigned size);
  void mmio_write(volatile void* va, std::uint64_t value, unsigned size);
  /// IoConnectInterruptEx for each version; may rewrite Parameters->Version (the fallback).
  NTSTATUS connect(IO_CONNECT_INTERRUPT_PARAMETERS& p);
  void disconnect(IO_DISCONNECT_INTERRUPT_PARAMETERS& p);
  /// The InterruptObject behind a PKINTERRUPT; a violation when it is not one.
  InterruptObject& interrupt_object(PKINTERRUPT interrupt, const char* routine);
  void event_processed(const void* record);
  /// The pool behind ExAllocatePool2 and friends (wdm.cpp judges each call first).
  Pool& pool() { return pool_; }
  /// Driver Verifier's check when a driver stops or unloads: pool it still holds is a leak, recorded
  /// as a DRIVER_VERIFIER_DETECTED_VIOLATION fault naming `driver`, each block's tag and size. The
  /// run goes on (the stop has work left); the blocks are freed with the platform.
  void report_pool_leaks(const std::string& driver);
  /// The KMDF objects alive now (wdf.cpp registers each): a handle is looked up here before the
  /// object behind it is read, so a stale handle is named, never dereferenced.
  std::unordered_set<const void*>& framework_objects() { return framework_objects_; }

  // ---- fault injection (docs/faults.md; host/platform/fault_injection.cpp) ----
  FaultCounters& fault_counters() { return fault_counters_; }
  /// The OS re-writing message `message`'s MSI-X entry (faults.affinity_changes, table_rewrites),
  /// first step: the entry's mask bit is set; events meanwhile pend in the PBA. Returns the mask
  /// bit the entry had before (a scenario's `device.masks` or the driver may have masked it).
  bool mask_message_for_rewrite(unsigned message);
  /// Second step: with `cpu`, the message moves there (a free vector on that CPU, no higher than the
  /// connection's SynchronizeIrql; the interrupt object with it; the old IDT entry kept for messages
  /// in flight); without, it keeps its CPU and vector. The entry is written (address, data) and its
  /// mask bit restored to `was_masked`, as Linux's msi_domain_set_affinity does: unmasking sends a
  /// pending message once (A6); an entry masked before stays masked. A message not connected as
  /// MSI-X is a `faults` fault.
  void rewrite_message(unsigned message, std::optional<unsigned> cpu, bool was_masked);
  /// Events written but not processed whose message's interrupts after their record were all
  /// dropped by faults.drop_msi: the hardware's loss, not the driver's.
  std::uint64_t lost_to_dropped_msi();

  // ---- what a testbench or a synthetic device drives ----
  /// Calls KeIpiGenericCall from a PASSIVE_LEVEL thread on CPU `caller`, with a worker that spends
  /// `worker_ps` on every CPU (the scenario's host.ipi).
  void queue_ipi_broadcast(unsigned caller, std::uint64_t worker_ps);
  /// Asserts the line-based interrupt once (an edge on `line_vector`; the Verilated endpoint has no INTx).
  void raise_line_interrupt();

  /// Runs the ISR chain of `vector` on `cpu` (D2, D3): the first TRUE stops it. The interrupt was
  /// taken at `taken_ps`; its entry cost runs from then.
  /// `arrived_ps`: when the message being taken reached the local APIC (absent for one that did not
  /// come from the device); MSI->ISR latency runs from it to the first ISR's call.
  void dispatch(Cpu& cpu, std::uint8_t vector, std::uint64_t taken_ps, std::optional<std::uint64_t> arrived_ps);
  /// Runs this CPU's part of the broadcast in progress (G1, G3), on the IPI it took.
  void join_broadcast(Cpu& cpu);
  /// A CPU's thread runs now: the hint current_cpu() checks first.
  void set_current(Cpu* cpu) { current_cpu_ = cpu; }
  /// Runs a simulation thread's body; a driver rule broken or a target failure stops the run
  /// with the reason recorded instead of unwinding through the SystemC kernel.
  void guard(const std::function<void()>& body);
  const std::optional<std::string>& target_error() const { return target_error_; }
  /// Every CPU idle and no device write on its way.
  bool all_idle();
  /// Delivers the device's writes due by now, in order: DMA into host memory (and the ledger), MSIs
  /// to their local APICs. Writes are delivered lazily, by the first to look at or after their time:
  /// every CPU before it runs driver code, and the accessors above. Each message's target CPU wakes
  /// at its time, so messages are never late; memory is never seen before its time.
  void sync_upstream() { sync_upstream_until(now_ps()); }
  void sync_upstream_until(std::uint64_t time_ps) {
    if (!upstream_.empty() && upstream_.front().write.time_ps <= time_ps) deliver_due(time_ps);
  }

  TraceWriter* trace() { return trace_.get(); }
  /// A driver routine's name for faults and the trace: its symbol, else module+offset (stable from
  /// run to run, unlike an address).
  const std::string& routine_name(const void* routine);
  /// Ends the trace: closes open slices at the current time and the JSON document. The destructor
  /// does it too; call it earlier to read the file while the platform still exists.
  void finish_trace();

 private:
  void device_thread();
  void clock_thread();
  void timer_thread();
  void ipi_thread();
  void run_device();
  struct Upstream {
    sim::UpstreamWrite write;
    int target;      // a well-formed message's CPU, else -1
    MsiMessage msi;  // decoded when target >= 0
    std::uint64_t sent_ps = 0;  // when it reached the root complex (write.time_ps, unless jittered)
    bool dropped = false;       // faults.drop_msi: never reaches the local APIC
  };
  /// faults.msi_jitter_ns / drop_msi on one incoming write; the root complex's part of docs/faults.md.
  void inject_msi_faults(Upstream& u);
  struct MsiFaultState {
    std::mt19937_64 jitter_rng, drop_rng;  // apart, so turning one fault on leaves the other's draws alone
    std::uint64_t msis = 0;                // MSIs seen, the 1-based numbers of drop_nth
    std::size_t next_nth = 0;
    std::uint64_t writes = 0;              // every upstream write, numbered: orders records and messages
    std::vector<std::uint64_t> last_arrival_ps;  // per CPU: a jittered MSI never overtakes an earlier one
    std::vector<std::uint64_t> record_write;     // per ring slot: the number of the write that put its record
    std::vector<std::uint64_t> last_sent, last_dropped;  // per message: the number of its last MSI each way
  };
  std::unique_ptr<MsiFaultState> msi_faults_;
  FaultCounters fault_counters_;
  void accept_upstream(sim::UpstreamWrite&& w);
  void deliver_due(std::uint64_t time_ps);
  void deliver(Upstream& u);
  void deliver_memory(sim::UpstreamWrite& w);
  /// Delivers the DMA writes the device sent up to its current time, ahead of an MMIO read's value.
  void deliver_posted_writes();
  void queue_timer_dpc(unsigned cpu, PKDPC dpc, std::uint64_t due);
  void signal_insert(Cpu& target, Cpu* inserter, const ProcessorDpcs::Inserted& in);
  NTSTATUS connect_message_based(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS& p);
  NTSTATUS connect_line_based(IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS& p);
  NTSTATUS connect_fully_specified(IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& p);
  /// The lowest block of `count` free IDT vectors on `cpu`, aligned to `count`, from first_vector to
  /// 0xCF; none if every such block has a vector taken.
  std::optional<std::uint8_t> free_vector_block(unsigned cpu, unsigned count) const;
  InterruptObject* add_interrupt(std::uint8_t vector, KAFFINITY cpus);
  void remove_interrupt(InterruptObject* io);
  std::uint64_t interrupt_time() const { return now_ps() / 100'000; }  // 100 ns units

  struct Mapping {
    std::uintptr_t va;
    std::size_t length;
    std::uint64_t bar_offset;
  };
  const Mapping& mapping_of(const volatile void* va, unsigned size);

  struct Broadcast {
    Broadcast(unsigned cpus, unsigned caller, PKIPI_BROADCAST_WORKER w, ULONG_PTR c)
        : rendezvous(cpus, caller), worker(w), context(c) {}
    IpiRendezvous rendezvous;
    PKIPI_BROADCAST_WORKER worker;
    ULONG_PTR context;
    sc_core::sc_event changed;
  };

  struct Flush {
    std::vector<std::unique_ptr<KDPC>> markers;
    unsigned remaining = 0;
    sc_core::sc_event done;
  };
  static VOID flush_marker(PKDPC dpc, PVOID context, PVOID, PVOID);

  PlatformConfig config_;
  sim::Device& device_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  Cpu* current_cpu_ = nullptr;
  Accounting accounting_;
  PlatformCounters counters_;
  std::vector<Fault> faults_;
  std::unordered_map<std::string, std::uint64_t> failure_counts_;
  bool stopped_at_failure_ = false;
  RingWatch ring_watch_;
  /// isr_balance, per message the device was granted: records the device wrote for it, interrupts
  /// its ISR claimed, the records written when its ISR last returned TRUE, and its records the
  /// driver has processed (a DPC that drained them answered them: an ISR may then decline).
  struct MessageBalance {
    std::uint64_t records = 0, claims = 0, covered = 0, processed = 0;
  };
  std::vector<MessageBalance> balance_;
  /// The message a record's vector is sent on: MSI-X the vector; MSI the vector modulo the messages.
  std::optional<std::uint32_t> message_of_record(unsigned vector) const;
  std::optional<std::string> target_error_;
  Histogram msi_to_isr_, isr_to_dpc_;
  std::vector<std::uint8_t> memory_;
  std::vector<Mapping> mappings_;
  std::uint64_t bar0_physical_ = 0xF0000000;
  std::vector<std::unique_ptr<InterruptObject>> interrupts_;
  struct MessageTable {
    std::unique_ptr<std::uint8_t[]> storage;  // the IO_INTERRUPT_MESSAGE_INFO handed out
    MessageMode mode;                         // what the connect enabled, so disconnect undoes that
  };
  std::vector<MessageTable> message_tables_;  // connected ones; disconnect frees the table
  std::vector<const void*> disconnected_tables_;  // addresses of freed ones: a second disconnect is named
  /// Waits until no CPU runs an ISR of `io` (its lock taken and released at its SynchronizeIrql).
  void wait_for_isrs(InterruptObject& io);
  std::vector<std::vector<std::vector<InterruptObject*>>> vectors_;  // [cpu][vector] -> chain
  std::vector<std::uint8_t> next_vector_;                             // per cpu
  KSPIN_LOCK default_interrupt_lock_ = 0;
  std::unordered_map<const void*, std::deque<unsigned>> lock_waiters_;  // queued spin locks
  std::deque<Upstream> upstream_;
  sc_core::sc_simcontext* simcontext_;
  sc_core::sc_event lock_released_;
  unsigned spinners_ = 0;  // CPUs spinning on a lock: only then does a release need to wake anyone
  TimerQueue timers_;
  sc_core::sc_event timers_changed_;
  IpiGate ipi_gate_;
  sc_core::sc_event ipi_gate_changed_;
  std::unique_ptr<Broadcast> broadcast_;
  std::unique_ptr<TraceWriter> trace_;
  std::unordered_map<const void*, std::string> routine_names_;
  std::unordered_set<const void*> framework_objects_;
  Pool pool_;
};

}  // namespace irqrig::host
