// A small co-simulation for framework tests: the endpoint and the host platform, a KMDF driver
// started through the rig's framework, and a scripted testbench that injects messages and runs
// code on chosen CPUs. SystemC elaborates once per process, so each test runs it in a child.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>

#include "host/platform/platform.h"
#include "host/wdk/kmdf_host.h"

namespace irqrig::host::test {

/// Runs `body` in a child process and expects it to exit cleanly with no failed expectation; the
/// child's failures are printed by GoogleTest as they happen.
void in_child(const std::function<void()>& body);

struct SimConfig {
  unsigned cpus = 2;
  std::vector<unsigned> affinity = {0};  ///< the CPU of each granted message
  RoutineCosts costs;
  std::uint64_t limit_us = 500;          ///< the run ends here at the latest
  std::string trace_path;                ///< a Chrome trace of the run; empty: none
};

class Bench;

/// One run: build, then `run` once with the testbench script.
class KmdfSim {
 public:
  explicit KmdfSim(SimConfig config);
  ~KmdfSim();
  KmdfSim(const KmdfSim&) = delete;
  KmdfSim& operator=(const KmdfSim&) = delete;

  /// Runs the script as the testbench thread until it returns (or a fault stops the run).
  void run(const std::function<void(Bench&)>& script);
  Platform& platform();
  /// The driver_rules faults (a broken kernel or framework rule), in order.
  std::vector<std::string> driver_faults() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

/// The testbench: a SystemC thread with helpers. Calls that wait may only be made from it.
class Bench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Bench);
  Bench(const sc_core::sc_module_name& name, Platform& platform, std::function<void(Bench&)> script);

  Platform& platform() { return platform_; }
  std::uint64_t now_ns() const;
  void wait_ns(std::uint64_t ns);
  /// An MSI for `vector` reaches `cpu`'s local APIC now.
  void post(unsigned cpu, std::uint8_t vector);
  /// Runs `fn` on `cpu` at PASSIVE_LEVEL (a system thread) and waits until it returns.
  void on_cpu(unsigned cpu, std::function<void()> fn);
  /// Queues `fn` on `cpu` at PASSIVE_LEVEL and returns at once.
  void spawn_on_cpu(unsigned cpu, std::function<void()> fn);
  /// Waits until every CPU is idle (nothing queued, nothing running).
  void wait_idle();
  /// The translated resources the runner hands a driver.
  IRQRIG_RESOURCES resources() const;
  /// KmdfHost::start / stop on CPU 0 at PASSIVE_LEVEL.
  NTSTATUS start(KmdfHost& host);
  void stop(KmdfHost& host);

 private:
  void thread();

  Platform& platform_;
  std::function<void(Bench&)> script_;
  sc_core::sc_event done_;
};

}  // namespace irqrig::host::test
