#include "tests/host/platform/rig.h"

#include <cstdlib>
#include <stdexcept>

namespace irqrig::host::testing {

PlatformConfig test_config(unsigned cpus) {
  PlatformConfig c;
  c.cpus = cpus;
  c.costs = RoutineCosts{100, 200, 0, 0, 0};
  for (unsigned k = 0; k < cpus; ++k) c.affinity.push_back(k);
  return c;
}

VOID dpc_trampoline(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2) { (*static_cast<DpcFn*>(context))(dpc, arg1, arg2); }

BOOLEAN isr_trampoline(PKINTERRUPT interrupt, PVOID context, ULONG message_id) {
  return (*static_cast<IsrFn*>(context))(interrupt, message_id);
}

BOOLEAN line_isr_trampoline(PKINTERRUPT interrupt, PVOID context) { return (*static_cast<LineIsrFn*>(context))(interrupt); }

class Rig::Scheduler : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Scheduler);
  Scheduler(const sc_core::sc_module_name& name, Platform& platform) : sc_module(name), platform_(platform) {
    SC_THREAD(run);
  }
  void add(std::uint64_t at_ps, unsigned cpu, std::function<void()> fn) {
    work_.emplace(std::make_pair(at_ps, order_++), Work{cpu, std::move(fn)});
  }

 private:
  struct Work {
    unsigned cpu;
    std::function<void()> fn;
  };
  void run() {
    while (!work_.empty()) {
      const auto node = work_.begin();
      const std::uint64_t now = platform_.now_ps();
      if (node->first.first > now) wait(sc_core::sc_time::from_value(node->first.first - now));
      platform_.cpu(node->second.cpu).queue_passive(std::move(node->second.fn));
      work_.erase(node);
    }
  }
  Platform& platform_;
  std::multimap<std::pair<std::uint64_t, std::uint64_t>, Work> work_;
  std::uint64_t order_ = 0;
};

Rig::Rig(PlatformConfig config, SyntheticDevice::Options options) : device_(options) {
  // SystemC elaborates once per process: ctest runs each test in its own (gtest_discover_tests).
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    throw std::logic_error("one platform test per process: run with --gtest_filter=Suite.Test (ctest does)");
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  platform_ = std::make_unique<Platform>("host", std::move(config), device_);
  scheduler_ = std::make_unique<Scheduler>("scheduler", *platform_);
}

Rig::~Rig() = default;

void Rig::at(std::uint64_t at_ps, unsigned cpu, std::function<void()> fn) { scheduler_->add(at_ps, cpu, std::move(fn)); }

void Rig::run(std::uint64_t duration_ps) { sc_core::sc_start(sc_core::sc_time::from_value(duration_ps)); }

std::uint64_t Rig::now_ps() const { return platform_->now_ps(); }

void Rig::mark(std::string what) {
  Cpu& cpu = platform_->current_cpu();
  marks_.push_back(Mark{std::move(what), cpu.index(), cpu.irql(), platform_->now_ps()});
}

std::vector<Mark> Rig::marks(const std::string& what) const {
  std::vector<Mark> out;
  for (const Mark& m : marks_)
    if (m.what == what) out.push_back(m);
  return out;
}

int Rig::index_of(const std::string& what) const {
  for (std::size_t i = 0; i < marks_.size(); ++i)
    if (marks_[i].what == what) return static_cast<int>(i);
  return -1;
}

PIO_INTERRUPT_MESSAGE_INFO Rig::connect_messages(IsrFn* isr, PKSPIN_LOCK lock) {
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.MessageBased.ConnectionContext.InterruptMessageTable = &table;
  p.MessageBased.MessageServiceRoutine = &isr_trampoline;
  p.MessageBased.ServiceContext = isr;
  p.MessageBased.SpinLock = lock;
  if (!NT_SUCCESS(IoConnectInterruptEx(&p))) throw std::runtime_error("IoConnectInterruptEx failed");
  return table;
}

}  // namespace irqrig::host::testing
