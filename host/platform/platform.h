// The SystemC host platform: CPUs as SC_THREADs with their local APICs, IRQL and DPC queues, the
// root complex and host memory, and the device bridge that advances the endpoint in quanta.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>

#include "host/core/dpc_queue.h"
#include "host/core/histogram.h"
#include "host/core/irql.h"
#include "host/core/lapic.h"
#include "host/platform/accounting.h"
#include "irqrig/wdm.h"
#include "sim/device/device.h"

namespace irqrig::host {

/// A rule the Windows kernel would bug-check on, broken by the driver under test.
class DriverFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RoutineCosts {
  std::uint64_t isr_ns = 500, dpc_ns = 800, dpc_per_event_ns = 50, mmio_read_ns = 800, mmio_write_ns = 100;
};

struct PlatformConfig {
  unsigned cpus = 4;
  RoutineCosts costs;
  std::vector<unsigned> affinity;      ///< CPU of each message the device is granted
  std::uint64_t quantum_cycles = 64;   ///< device cycles per co-simulation quantum
  std::uint32_t ring_entries = 1024;
  std::uint64_t dma_base = 0x1'0000'0000ull;  ///< device-visible address of the common buffer
  std::uint8_t first_vector = 0x60;    ///< IDT vectors handed to messages on each CPU, upward
};

/// A problem the platform saw that fails the run (DMA outside the window, an unsupported MSI...).
struct Fault {
  std::string check;
  std::uint64_t time_ps;
  std::string detail;
};

struct CpuStats {
  std::uint64_t isr_ps = 0, dpc_ps = 0, ipi_ps = 0, other_ps = 0;
};

class Platform;

class Cpu : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Cpu);
  Cpu(const sc_core::sc_module_name& name, Platform& platform, unsigned index);

  unsigned index() const { return index_; }
  Lapic& lapic() { return lapic_; }
  const Lapic& lapic() const { return lapic_; }
  Irql irql() const { return irql_; }
  DpcQueue& dpcs() { return dpcs_; }

  /// An interrupt message for `vector` reached this CPU's local APIC.
  void post(std::uint8_t vector);
  /// Passes simulated time on this CPU; higher-priority interrupts preempt and nest meanwhile.
  void consume_ps(std::uint64_t ps);
  /// Spins until `ready` holds, re-checking whenever a lock is released; interrupts still preempt.
  void spin_until(const std::function<bool()>& ready);
  void raise_irql(Irql irql);
  /// Lowers IRQL; falling below DISPATCH with a DPC request pending drains the queue first (C5).
  void lower_irql(Irql irql);
  void request_dispatch() { dispatch_pending_ = true; }
  void wake() { wake_.notify(sc_core::SC_ZERO_TIME); }
  bool idle() const { return !busy_ && lapic_.idle() && dpcs_.empty() && passive_work_.empty(); }
  /// Runs `fn` on this CPU's thread at PASSIVE_LEVEL, like a system worker thread (StartDevice).
  void queue_passive(std::function<void()> fn);
  CpuStats stats() const;

 private:
  void run();
  void loop();
  void begin_work();
  void resume();
  void check_preemption();
  void take(std::uint8_t vector);
  void drain_dpcs();
  void set_irql(Irql irql);

  Platform& platform_;
  unsigned index_;
  Lapic lapic_;
  DpcQueue dpcs_;
  Irql irql_ = kPassiveLevel;
  bool dispatch_pending_ = false;
  bool draining_ = false;
  bool busy_ = false;
  sc_core::sc_event wake_;
  std::vector<std::uint64_t> arrival_ps_;  // per vector: oldest undelivered arrival, ~0 if none
  CpuStats stats_;
  std::uint64_t level_since_ps_ = 0;
  std::deque<std::function<void()>> passive_work_;
};

/// What IoConnectInterruptEx hands out per message: the KINTERRUPT of the WDK.
struct InterruptObject {
  PKMESSAGE_SERVICE_ROUTINE routine = nullptr;
  PVOID context = nullptr;
  ULONG message_id = 0;
  KIRQL irql = 0;
  KIRQL synchronize_irql = 0;
  PKSPIN_LOCK lock = nullptr;
  std::uint8_t vector = 0;
  unsigned cpu = 0;
};

struct PlatformCounters {
  std::uint64_t isr_calls = 0, isr_claimed = 0, isr_declined = 0;
  std::uint64_t dpc_inserts = 0, dpc_inserts_rejected = 0, dpc_runs = 0, dpc_max_runtime_ps = 0;
};

class Platform : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Platform);
  Platform(const sc_core::sc_module_name& name, PlatformConfig config, sim::Device& device);
  ~Platform() override;

  /// The platform whose driver code is running now. Windows binds the running kernel to the
  /// processor (GS:KPCR); the rig binds it to the simulation, so the WDK's context-free calls
  /// find their kernel. Set while a platform exists.
  static Platform& current();
  Cpu& current_cpu();
  std::uint64_t now_ps() const;

  const PlatformConfig& config() const { return config_; }
  sim::Device& device() { return device_; }
  Cpu& cpu(unsigned i) { return *cpus_.at(i); }
  unsigned cpu_count() const { return static_cast<unsigned>(cpus_.size()); }
  Accounting& accounting() { return accounting_; }
  PlatformCounters& counters() { return counters_; }
  const std::vector<Fault>& faults() const { return faults_; }
  void fault(std::string check, std::string detail);
  Histogram& msi_to_isr() { return msi_to_isr_; }
  Histogram& isr_to_dpc() { return isr_to_dpc_; }

  // Host memory: one DMA common buffer, the only window the IOMMU lets the device write. The
  // event ring starts it; the producer-index word follows the ring.
  std::uint8_t* common_buffer() { return memory_.data(); }
  std::size_t common_buffer_size() const { return memory_.size(); }

  // Kernel services behind <irqrig/wdm.h>.
  bool insert_dpc(PRKDPC dpc, PVOID arg1, PVOID arg2);
  bool remove_dpc(PRKDPC dpc);
  void acquire_lock(PKSPIN_LOCK lock);
  void release_lock(PKSPIN_LOCK lock);
  PVOID map_io_space(std::uint64_t physical, std::size_t length);
  void unmap_io_space(PVOID va, std::size_t length);
  std::uint64_t mmio_read(const volatile void* va, unsigned size);
  void mmio_write(volatile void* va, std::uint64_t value, unsigned size);
  NTSTATUS connect_message_based(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS& p);
  void disconnect(PIO_INTERRUPT_MESSAGE_INFO info);
  void event_processed(const void* record);
  std::uint64_t bar0_physical() const { return bar0_physical_; }
  sc_core::sc_event& lock_released() { return lock_released_; }

  /// Runs the ISR chain of `vector` on `cpu` (D2, D3): the first TRUE stops it.
  void dispatch(Cpu& cpu, std::uint8_t vector);
  void set_current(Cpu* cpu) { current_cpu_ = cpu; }
  /// Runs a simulation thread's body; a driver rule broken or a target failure stops the run
  /// with the reason recorded instead of unwinding through the SystemC kernel.
  void guard(const std::function<void()>& body);
  const std::optional<std::string>& target_error() const { return target_error_; }
  bool all_idle() const;

 private:
  void device_thread();
  void upstream_thread();
  void run_device();
  void run_upstream();
  void deliver(sim::UpstreamWrite& w);
  void deliver_memory(sim::UpstreamWrite& w);

  struct Mapping {
    std::uintptr_t va;
    std::size_t length;
    std::uint64_t bar_offset;
  };
  const Mapping& mapping_of(const volatile void* va, unsigned size) const;

  PlatformConfig config_;
  sim::Device& device_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  Cpu* current_cpu_ = nullptr;
  Accounting accounting_;
  PlatformCounters counters_;
  std::vector<Fault> faults_;
  std::optional<std::string> target_error_;
  Histogram msi_to_isr_, isr_to_dpc_;
  std::vector<std::uint8_t> memory_;
  std::vector<Mapping> mappings_;
  std::uint64_t bar0_physical_ = 0xF0000000;
  std::vector<std::unique_ptr<InterruptObject>> interrupts_;
  std::vector<std::unique_ptr<std::uint8_t[]>> message_tables_;
  std::vector<std::vector<std::vector<InterruptObject*>>> vectors_;  // [cpu][vector] -> chain
  std::vector<std::uint8_t> next_vector_;                             // per cpu
  KSPIN_LOCK default_interrupt_lock_ = 0;
  std::deque<sim::UpstreamWrite> upstream_;
  sc_core::sc_event upstream_ready_;
  sc_core::sc_event lock_released_;
};

}  // namespace irqrig::host
