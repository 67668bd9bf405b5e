// Device clock cycles per wall second: the raw Verilated endpoint on a burst, then the same burst
// co-simulated with the host model, printed side by side with their ratio and the quantum.
#include <chrono>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "host/run/runner.h"
#include "irqrig/regs.h"
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
  for (std::uint32_t k = 0; k < 4; ++k) {
    const std::uint32_t e = regs::kMsixTableOffset + 16 * k;
    d.bar_write32(0, e + 0, 0xFEE00000u | (k << 12));
    d.bar_write32(0, e + 8, 0x60 + k);
    d.bar_write32(0, e + 12, 0);
  }
  const std::uint32_t control = d.config_read(regs::kCfgMsixCap) >> 16;
  d.config_write(regs::kCfgMsixCap, (control | 0x8000u) << 16, 0xC);
  d.bar_write32(0, regs::RING_BASE_LO, static_cast<std::uint32_t>(kRing));
  d.bar_write32(0, regs::RING_BASE_HI, static_cast<std::uint32_t>(kRing >> 32));
  d.bar_write32(0, regs::RING_LOG2, 10);
  d.bar_write32(0, regs::RING_PROD_ADDR_LO, static_cast<std::uint32_t>(kProducer));
  d.bar_write32(0, regs::RING_PROD_ADDR_HI, static_cast<std::uint32_t>(kProducer >> 32));
  d.set_upstream_sink([&d](sim::UpstreamWrite&& w) {
    if (w.address == kProducer) d.bar_write32(0, regs::RING_CONS, w.data[0]);
  });
  d.bar_write32(0, regs::BURST_EVENTS, events);
  d.bar_write32(0, regs::BURST_GAP, gap_cycles);
  d.bar_write32(0, regs::VLIST_LEN, 4);
  d.bar_write32(0, regs::VLIST_IDX, 0);
  for (std::uint32_t v = 0; v < 4; ++v) d.bar_write32(0, regs::VLIST_DATA, v);
  const std::uint64_t start_cycles = d.cycles();
  const auto t0 = Clock::now();
  d.bar_write32(0, regs::CTRL, regs::CTRL_START_MASK);
  // Poll the way the co-simulation's testbench does: every microsecond of device time.
  do {
    d.run_cycles(250);
  } while (d.bar_read32(0, regs::STATUS) & regs::STATUS_BUSY_MASK);
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
  std::uint32_t events = 20000;
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
