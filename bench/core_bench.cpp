// Micro-benchmarks of the hot paths under the co-simulation: TLP encode/decode per message and the
// local APIC's accept -> take -> EOI cycle per interrupt.
#include <benchmark/benchmark.h>

#include "host/core/lapic.h"
#include "sim/tlp/tlp.h"

namespace {

void BM_TlpEncodeDecodeRecord(benchmark::State& state) {
  const irqrig::sim::Tlp record =
      irqrig::sim::make_mem_write(0x1'0000'0040ull, {1, 0x10002, 0x1234, 0}, 0x0100);
  std::vector<std::uint32_t> beats;
  for (auto _ : state) {
    beats.clear();
    irqrig::sim::encode_into(record, beats);
    benchmark::DoNotOptimize(irqrig::sim::decode(beats));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlpEncodeDecodeRecord);

void BM_LapicInterruptCycle(benchmark::State& state) {
  irqrig::host::Lapic lapic;
  std::uint8_t v = 0x60;
  for (auto _ : state) {
    lapic.accept(v);
    const auto d = lapic.deliverable();
    lapic.take(*d);
    benchmark::DoNotOptimize(lapic.eoi());
    v = static_cast<std::uint8_t>(v == 0xDF ? 0x60 : v + 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LapicInterruptCycle);

}  // namespace

BENCHMARK_MAIN();
