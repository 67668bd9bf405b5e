// Raw device speed against the MSI-X table size: the same burst through the Verilated endpoint
// with a 2048-entry table and with a 4-entry one, side by side in one run, in device clock cycles
// per wall second. The common path (event -> record -> moderation -> message) touches one vector
// at a time, so the two figures should match; a gap would show per-cycle work growing with the
// table.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/device/endpoint.h"
#include "sim/verilated/verilated_device.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace irqrig;

struct Run {
  std::uint64_t cycles = 0;
  double seconds = 0;
  std::uint64_t messages = 0;
  double per_second() const { return static_cast<double>(cycles) / seconds; }
};

struct Options {
  std::uint32_t events = 200000;
  std::uint32_t gap_cycles = 50;
  unsigned rounds = 3;
  std::uint32_t frames = 1;
  std::uint32_t usecs = 0;
};

// One burst over vectors 0-3 (round robin) on a fresh device with `table` vectors; a harness
// consumer frees ring slots as the producer index arrives, as the driver would.
Run burst(unsigned table, const Options& o) {
  sim::VerilatedDeviceOptions opt;
  opt.num_vectors = table;
  sim::VerilatedDevice d(opt);
  sim::Endpoint ep(d);
  constexpr std::uint64_t kRing = 0x1'0000'0000ull, kProducer = kRing + 1024 * 16;
  Run r;
  for (std::uint32_t k = 0; k < 4; ++k) {
    ep.program_message(k, 0xFEE00000u | (k << 12), 0x60 + k);
    ep.set_moderation(k, sim::Moderation::coalesce(o.frames, o.usecs));
  }
  ep.set_msix_enable(true);
  ep.set_ring(kRing, 10, kProducer);
  d.set_upstream_sink([&](sim::UpstreamWrite&& w) {
    if (w.address == kProducer) ep.set_ring_consumer(w.data[0]);
    else if ((w.address >> 20) == 0xFEE) ++r.messages;
  });
  sim::BurstProgram b;
  b.events = o.events;
  b.gap_cycles = o.gap_cycles;
  b.vectors = {0, 1, 2, 3};
  const std::uint64_t start = d.cycles();
  const auto t0 = Clock::now();
  ep.start_burst(b);
  // Poll the way the co-simulation's testbench does: every microsecond of device time. With a
  // timer, wait for moderation to signal what it holds (without one it may hold it for ever).
  do {
    d.run_cycles(250);
  } while (ep.busy() || (o.usecs > 0 && ep.status().moderation_held));
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cycles = d.cycles() - start;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"irqrig device benchmark: cycles/s with a 2048- and a 4-vector MSI-X table"};
  Options o;
  app.add_option("--events", o.events, "Events in the burst");
  app.add_option("--gap-cycles", o.gap_cycles, "Device cycles between events");
  app.add_option("--rounds", o.rounds, "Runs per table size, alternating; the best is reported")
      ->check(CLI::Range(1u, 50u));
  app.add_option("--frames", o.frames, "Moderation frames on the four vectors")->check(CLI::Range(0u, 65535u));
  app.add_option("--usecs", o.usecs, "Moderation usecs on the four vectors")->check(CLI::Range(0u, 65535u));
  CLI11_PARSE(app, argc, argv);
  if (o.frames == 0 && o.usecs == 0) {
    fmt::print(stderr, "device_bench: --frames 0 with --usecs 0 is illegal moderation (use --frames 1 for off)\n");
    return 2;
  }

  const std::vector<unsigned> tables{2048, 4};
  std::vector<std::vector<Run>> runs(tables.size());
  for (unsigned round = 0; round < o.rounds; ++round) {
    // Alternate the order so that neither size always runs on a warmer (or busier) machine.
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const std::size_t t = round % 2 ? tables.size() - 1 - i : i;
      runs[t].push_back(burst(tables[t], o));
    }
  }

  fmt::print("burst of {} events, {} cycles apart, vectors 0-3 round robin, moderation frames {} usecs {}\n",
             o.events, o.gap_cycles, o.frames, o.usecs);
  fmt::print("{:<14} {:>14} {:>10} {:>16} {:>16} {:>10}\n", "MSI-X table", "device cycles", "messages",
             "best cycles/s", "median cycles/s", "wall s");
  std::vector<double> best(tables.size());
  for (std::size_t t = 0; t < tables.size(); ++t) {
    std::vector<double> rate;
    for (const Run& r : runs[t]) rate.push_back(r.per_second());
    std::sort(rate.begin(), rate.end());
    best[t] = rate.back();
    const Run& r = runs[t].front();
    fmt::print("{:<14} {:>14} {:>10} {:>16.0f} {:>16.0f} {:>10.3f}\n", fmt::format("{} vectors", tables[t]),
               r.cycles, r.messages, best[t], rate[rate.size() / 2], r.seconds);
  }
  fmt::print("ratio 4-vector / 2048-vector (best): {:.3f}\n", best[1] / best[0]);
  return 0;
}
