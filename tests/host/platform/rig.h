// The platform under test without RTL: a synthetic device, the SystemC platform, and a scheduler that
// runs driver snippets at PASSIVE_LEVEL on a chosen CPU at a chosen time. One Rig per process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/platform/platform.h"
#include "host/platform/synthetic_device.h"

namespace irqrig::host::testing {

inline constexpr std::uint64_t kNs = 1000;
inline constexpr std::uint64_t kUs = 1'000'000;
inline constexpr std::uint64_t kMs = 1'000'000'000;

/// Small, known costs: an ISR entry 100 ns, a DPC 200 ns, register accesses and events free.
PlatformConfig test_config(unsigned cpus = 4);

/// Driver routines as lambdas: the WDK's C callbacks carry a pointer to one of these as context.
using DpcFn = std::function<void(PKDPC dpc, PVOID arg1, PVOID arg2)>;
using IsrFn = std::function<BOOLEAN(PKINTERRUPT interrupt, ULONG message_id)>;
using LineIsrFn = std::function<BOOLEAN(PKINTERRUPT interrupt)>;
using WorkerFn = std::function<ULONG_PTR(ULONG_PTR argument)>;
KDEFERRED_ROUTINE dpc_trampoline;          // DeferredContext: DpcFn*
KMESSAGE_SERVICE_ROUTINE isr_trampoline;   // ServiceContext: IsrFn*
KSERVICE_ROUTINE line_isr_trampoline;      // ServiceContext: LineIsrFn*

/// What a snippet saw: a label, the CPU, the IRQL and the time.
struct Mark {
  std::string what;
  unsigned cpu;
  KIRQL irql;
  std::uint64_t ps;
};

class Rig {
 public:
  explicit Rig(PlatformConfig config = test_config(), SyntheticDevice::Options options = {});
  ~Rig();

  Platform& platform() { return *platform_; }
  SyntheticDevice& device() { return device_; }
  /// Runs `fn` at PASSIVE_LEVEL on `cpu` from time `at_ps` (as a worker thread there would).
  void at(std::uint64_t at_ps, unsigned cpu, std::function<void()> fn);
  /// Simulates until `duration_ps` has passed or the platform stopped (a fault).
  void run(std::uint64_t duration_ps);
  std::uint64_t now_ps() const;

  /// Records a mark from driver code: the current CPU, its IRQL, the time.
  void mark(std::string what);
  const std::vector<Mark>& marks() const { return marks_; }
  /// The marks named `what`, in order.
  std::vector<Mark> marks(const std::string& what) const;
  /// Position of the first mark named `what`; -1 when absent.
  int index_of(const std::string& what) const;

  /// IoConnectInterruptEx(CONNECT_MESSAGE_BASED) with `isr` for every granted message; call at PASSIVE.
  PIO_INTERRUPT_MESSAGE_INFO connect_messages(IsrFn* isr, PKSPIN_LOCK lock = nullptr);

 private:
  class Scheduler;
  SyntheticDevice device_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<Mark> marks_;
};

}  // namespace irqrig::host::testing
