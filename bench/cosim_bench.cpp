// Device clock cycles per wall second: the raw Verilated endpoint on a burst, then the same burst
// co-simulated with the host model, printed side by side with their ratio and the quantum.
#include <chrono>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "host/run/runner.h"
#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "sim/verilated/verilated_device.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  std::uint64_t cycles;
  double seconds;
  double per_second() const { return static_cast<double>(cycles) / seconds; }
};

// The raw model: the burst with a harness that consumes the ring as fast as the device fills it.
Figures raw_model(std::uint32_t events, std::uint32_t gap_cycles) {
  using namespace irqrig;
  sim::VerilatedDevice d;
  constexpr std::uint64_t kRing = 0x1'0000'0000ull, kProducer = kRing + 1024 * 16;
  sim::Endpoint ep(d);
  for (std::uint32_t k = 0; k < 4; ++k) ep.program_message(k, 0xFEE00000u | (k << 12), 0x60 + k);
  ep.set_msix_enable(true);
  ep.set_ring(kRing, 10, kProducer);
  d.set_upstream_sink([&d](sim::UpstreamWrite&& w) {
    if (w.address == kProducer) d.bar_write32(0, regs::RING_CONS, w.data[0]);
  });
  const std::uint64_t start_cycles = d.cycles();
  const auto t0 = Clock::now();
  ep.start_burst(sim::BurstProgram{events, gap_cycles, 0, 1, {0, 1, 2, 3}});
  // Poll the way the co-simulation's testbench does: every microsecond of device time.
  do {
    d.run_cycles(250);
  } while (ep.busy());
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return {d.cycles() - start_cycles, s};
}

Figures cosim(std::uint32_t events, std::uint64_t gap_ns, std::uint64_t quantum) {
  using namespace irqrig::host;
  Scenario s;
  s.name = "bench";
  s.vectors = 4;
  s.ring_entries = 1024;
  s.bursts.push_back(BurstSpec{{0, 1, 2, 3}, events, gap_ns, Pattern::kRoundRobin});
  s.cpus = 4;
  s.affinity = {0, 1, 2, 3};
  s.time_us = 1'000'000;
  s.quantum_cycles = quantum;
  const auto t0 = Clock::now();
  const RunOutcome out = run_scenario(s, RunOptions{});
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!out.ok) throw std::runtime_error("co-simulated burst did not pass its checks");
  return {out.report["sim_time_ns"].get<std::uint64_t>() / 4, secs};
}

}  // namespace

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"irqrig co-simulation benchmark"};
  std::uint32_t events = 200000;  // a few seconds of wall time: shorter runs are noise here
  std::uint64_t gap_ns = 200;
  std::uint64_t quantum = 64;
  app.add_option("--events", events, "Events in the burst");
  app.add_option("--gap-ns", gap_ns, "Gap between events");
  app.add_option("--quantum", quantum, "Device cycles per co-simulation quantum");
  CLI11_PARSE(app, argc, argv);

  const Figures raw = raw_model(events, static_cast<std::uint32_t>(gap_ns / 4));
  const Figures co = cosim(events, gap_ns, quantum);
  fmt::print("{:<28} {:>14} {:>10} {:>16}\n", "burst of " + std::to_string(events) + " events", "device cycles",
             "wall s", "cycles/s");
  fmt::print("{:<28} {:>14} {:>10.3f} {:>16.0f}\n", "raw Verilated model", raw.cycles, raw.seconds,
             raw.per_second());
  fmt::print("{:<28} {:>14} {:>10.3f} {:>16.0f}\n", fmt::format("co-simulated, quantum {}", quantum), co.cycles,
             co.seconds, co.per_second());
  fmt::print("ratio raw/co-simulated: {:.2f}x (quantum {} cycles)\n", raw.per_second() / co.per_second(), quantum);
  return 0;
}
