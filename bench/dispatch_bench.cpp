// Host dispatch throughput without RTL: a synthetic device sends MSI-X messages round robin to every
// CPU, each taken through an ISR that queues its message's DPC and the DPC itself. Prints interrupts
// (ISR + DPC) per wall-clock second for each CPU count.
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "host/platform/platform.h"
#include "host/platform/synthetic_device.h"

namespace {

using namespace irqrig::host;
using Clock = std::chrono::steady_clock;

struct Driver {
  std::vector<KDPC> dpcs;
  std::uint64_t dpc_runs = 0;
};

BOOLEAN bench_isr(PKINTERRUPT, PVOID context, ULONG message_id) {
  auto* d = static_cast<Driver*>(context);
  KeInsertQueueDpc(&d->dpcs[message_id], nullptr, nullptr);
  return TRUE;
}

VOID bench_dpc(PKDPC, PVOID context, PVOID, PVOID) { ++static_cast<Driver*>(context)->dpc_runs; }

/// The host side of a run: starts the driver on CPU 0, then waits for the burst to end.
class Bench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Bench);
  Bench(const sc_core::sc_module_name& name, Platform& platform, Driver& driver)
      : sc_module(name), platform_(platform), driver_(driver) {
    platform_.cpu(0).queue_passive([this] { start(); });
  }

 private:
  void start() {
    const unsigned n = platform_.cpu_count();
    driver_.dpcs.resize(n);
    for (KDPC& d : driver_.dpcs) KeInitializeDpc(&d, &bench_dpc, &driver_);
    PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p{};
    p.Version = CONNECT_MESSAGE_BASED;
    p.MessageBased.ConnectionContext.InterruptMessageTable = &table;
    p.MessageBased.MessageServiceRoutine = &bench_isr;
    p.MessageBased.ServiceContext = &driver_;
    if (!NT_SUCCESS(IoConnectInterruptEx(&p))) std::abort();
  }
  Platform& platform_;
  Driver& driver_;
};

struct Result {
  unsigned cpus;
  std::uint64_t isrs, dpcs, merged;
  double seconds;      // wall clock
  double cpu_seconds;  // this process's CPU time: steadier than wall time on a shared machine
};

Result run(unsigned cpus, std::uint64_t interrupts) {
  SyntheticDevice device(SyntheticDevice::Options{std::max(cpus, 1u), 4000});
  PlatformConfig config;
  config.cpus = cpus;
  // The synthetic device has no clocked logic: a long quantum costs no accuracy (its writes carry
  // their own times) and keeps the device thread out of the figures.
  config.quantum_cycles = 250'000;
  for (unsigned k = 0; k < cpus; ++k) config.affinity.push_back(k);
  // Each CPU gets a message every 2 us: more than an ISR (500 ns) and a DPC (800 ns) take, so every
  // message is an interrupt taken, none merged.
  const std::uint64_t gap_ps = 2'000'000 / cpus;
  std::vector<unsigned> messages(cpus);
  for (unsigned k = 0; k < cpus; ++k) messages[k] = k;
  device.add_burst(10'000'000, interrupts, gap_ps, messages, /*records=*/false);
  Platform platform("host", config, device);
  Driver driver;
  Bench bench("bench", platform, driver);
  const auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();
  sc_core::sc_start(sc_core::sc_time::from_value(10'000'000 + interrupts * gap_ps + 10'000'000));
  const double cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::uint64_t merged = 0;
  for (unsigned i = 0; i < cpus; ++i) merged += platform.cpu(i).msi_merged();
  return Result{cpus, platform.counters().isr_calls, driver.dpc_runs, merged, seconds, cpu_seconds};
}

}  // namespace

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"irqrig host dispatch benchmark: interrupts through ISR and DPC per wall second"};
  std::uint64_t interrupts = 2'000'000;
  unsigned cpus = 4;
  app.add_option("--interrupts", interrupts, "Messages the synthetic device sends");
  app.add_option("--cpus", cpus, "CPUs of the host (1-64); SystemC runs one platform per process")
      ->check(CLI::Range(1u, 64u));
  CLI11_PARSE(app, argc, argv);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const Result r = run(cpus, interrupts);
  fmt::print("{:>4} CPUs: {} interrupts ({} ISR calls, {} DPC runs, {} merged) in {:.3f} s wall, {:.3f} s CPU: "
             "{:.2f} M/s wall, {:.2f} M/s CPU\n",
             r.cpus, interrupts, r.isrs, r.dpcs, r.merged, r.seconds, r.cpu_seconds,
             static_cast<double>(r.dpcs) / r.seconds / 1e6, static_cast<double>(r.dpcs) / r.cpu_seconds / 1e6);
  return r.isrs == interrupts && r.dpcs == interrupts ? 0 : 1;
}
