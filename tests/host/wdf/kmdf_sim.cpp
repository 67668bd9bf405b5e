#include "tests/host/wdf/kmdf_sim.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "sim/verilated/verilated_device.h"

namespace irqrig::host::test {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

void in_child(const std::function<void()>& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    body();
    std::fflush(stdout);
    std::fflush(stderr);
    // _exit: the child must not run the parent's atexit work (GoogleTest's, SystemC's).
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the simulation child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the simulation child reported failures (above)";
}

struct KmdfSim::Parts {
  explicit Parts(const SimConfig& c) : config(c), device(sim::VerilatedDeviceOptions{}), platform("host", platform_config(c), device) {}

  static PlatformConfig platform_config(const SimConfig& c) {
    PlatformConfig p;
    p.cpus = c.cpus;
    p.costs = c.costs;
    p.affinity = c.affinity;
    p.trace_path = c.trace_path;
    return p;
  }

  SimConfig config;
  sim::VerilatedDevice device;
  Platform platform;
  std::unique_ptr<Bench> bench;
};

KmdfSim::KmdfSim(SimConfig config) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  parts_ = std::make_unique<Parts>(config);
}

KmdfSim::~KmdfSim() = default;

Platform& KmdfSim::platform() { return parts_->platform; }

void KmdfSim::run(const std::function<void(Bench&)>& script) {
  parts_->bench = std::make_unique<Bench>("bench", parts_->platform, script);
  sc_core::sc_start(sc_time(static_cast<double>(parts_->config.limit_us), SC_US));
}

std::vector<std::string> KmdfSim::driver_faults() const {
  std::vector<std::string> out;
  for (const Fault& f : parts_->platform.faults())
    if (f.check == "driver_rules") out.push_back(f.describe());
  return out;
}

Bench::Bench(const sc_core::sc_module_name& name, Platform& platform, std::function<void(Bench&)> script)
    : sc_module(name), platform_(platform), script_(std::move(script)) {
  SC_THREAD(thread);
}

void Bench::thread() {
  platform_.guard([this] { script_(*this); });
  sc_core::sc_stop();
}

std::uint64_t Bench::now_ns() const { return platform_.now_ps() / 1000; }

void Bench::wait_ns(std::uint64_t ns) { wait(sc_time(static_cast<double>(ns), SC_NS)); }

void Bench::post(unsigned cpu, std::uint8_t vector) { platform_.cpu(cpu).post(vector); }

void Bench::on_cpu(unsigned cpu, std::function<void()> fn) {
  bool finished = false;
  platform_.cpu(cpu).queue_passive([this, &finished, fn = std::move(fn)] {
    fn();
    finished = true;
    done_.notify(sc_core::SC_ZERO_TIME);
  });
  while (!finished) wait(done_);
}

void Bench::spawn_on_cpu(unsigned cpu, std::function<void()> fn) { platform_.cpu(cpu).queue_passive(std::move(fn)); }

void Bench::wait_idle() {
  do wait_ns(100);
  while (!platform_.all_idle());
}

IRQRIG_RESOURCES Bench::resources() const {
  IRQRIG_RESOURCES res{};
  res.Bar0.QuadPart = static_cast<LONGLONG>(platform_.bar0_physical());
  res.Bar0Length = 1u << regs::kBar0SizeLog2;
  res.MessageCount = static_cast<ULONG>(platform_.config().affinity.size());
  res.CommonBuffer = const_cast<Platform&>(platform_).common_buffer();
  res.CommonBufferLogical.QuadPart = static_cast<LONGLONG>(platform_.config().dma_base);
  res.CommonBufferLength = static_cast<ULONG>(platform_.common_buffer_size());
  res.RingEntries = platform_.config().ring_entries;
  res.Parameters.DpcImportance = MediumImportance;
  res.Parameters.DpcTargetProcessor = -1;
  return res;
}

NTSTATUS Bench::start(KmdfHost& host) {
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  const IRQRIG_RESOURCES res = resources();
  on_cpu(0, [&] { status = host.start(res); });
  return status;
}

void Bench::stop(KmdfHost& host) {
  on_cpu(0, [&] { host.stop(); });
}

}  // namespace irqrig::host::test
