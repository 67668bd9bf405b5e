// Fault injection on the host platform (docs/faults.md): the timeline of CPU holds, IPI storms and
// MSI-X entry rewrites a scenario's `faults:` plays, counted from the first burst's start.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <systemc>

#include "host/platform/platform.h"

namespace irqrig::host {

/// The timed faults, in picoseconds from the moment FaultInjector starts. (MSI jitter and drops
/// are the root complex's: PlatformConfig::msi_faults.)
struct FaultPlan {
  struct Hold {
    unsigned cpu = 0;
    Irql irql = kHighLevel;
    std::uint64_t from_ps = 0, for_ps = 0;
  };
  struct Storm {
    std::uint64_t from_ps = 0, for_ps = 0, period_ps = 0, worker_ps = 0;
    unsigned caller = 0;  ///< the CPU whose PASSIVE_LEVEL thread calls KeIpiGenericCall
  };
  /// An MSI-X entry re-written by the OS: to `cpu` (an affinity change), or in place.
  struct Rewrite {
    std::uint64_t at_ps = 0;
    unsigned message = 0;
    std::optional<unsigned> cpu;
  };
  std::vector<Hold> holds;
  std::optional<Storm> storm;
  std::vector<Rewrite> rewrites;
  /// How long the OS keeps an entry masked while it re-writes it: events meanwhile pend in the PBA.
  std::uint64_t rewrite_masked_ps = 1'000'000;
  bool empty() const { return holds.empty() && !storm && rewrites.empty(); }
};

/// Plays a FaultPlan on a platform once `start` fires (the testbench's first burst), each kind of
/// fault on a thread of its own. Counts go to Platform::fault_counters().
class FaultInjector : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(FaultInjector);
  FaultInjector(const sc_core::sc_module_name& name, Platform& platform, FaultPlan plan,
                const sc_core::sc_event& start);

 private:
  void wait_until(std::uint64_t offset_ps);
  void play_holds();
  void play_storm();
  void play_rewrites();

  Platform& platform_;
  FaultPlan plan_;
  const sc_core::sc_event& start_;
  std::uint64_t origin_ps_ = 0;
  bool started_ = false;
};

}  // namespace irqrig::host
