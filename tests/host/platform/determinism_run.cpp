// One fixed platform scenario on the synthetic device, for the determinism test: the reference driver
// under a burst on 4 CPUs with periodic IPI broadcasts and a timer, its figures as JSON on stdout
// and its trace in the file given. Two processes must print the same bytes.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "host/drivers/reference/reference_driver.h"
#include "tests/host/platform/rig.h"

using namespace irqrig::host;
using namespace irqrig::host::testing;

namespace {

VOID timer_dpc(PKDPC, PVOID, PVOID, PVOID) { KeStallExecutionProcessor(2); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: determinism_run TRACE.json\n";
    return 2;
  }
  PlatformConfig config = test_config(4);
  config.costs = RoutineCosts{500, 800, 50, 800, 100};
  config.clock_tick_ps = 200 * kUs;
  config.ipi_period_ps = 50 * kUs;
  config.ipi_worker_ps = 2 * kUs;
  config.trace_path = argv[1];
  Rig rig(config);
  PVOID context = nullptr;
  KTIMER timer;
  KDPC dpc;
  rig.at(0, 0, [&] {
    IRQRIG_RESOURCES res{};
    res.Bar0.QuadPart = static_cast<LONGLONG>(rig.platform().bar0_physical());
    res.Bar0Length = 1u << 16;
    res.MessageCount = 4;
    res.CommonBuffer = rig.platform().common_buffer();
    res.CommonBufferLogical.QuadPart = static_cast<LONGLONG>(rig.platform().config().dma_base);
    res.CommonBufferLength = static_cast<ULONG>(rig.platform().common_buffer_size());
    res.RingEntries = rig.platform().config().ring_entries;
    res.Parameters.DpcImportance = MediumImportance;
    res.Parameters.DpcTargetProcessor = -1;
    res.Parameters.ThreadedDpc = FALSE;
    if (!NT_SUCCESS(IrqrigReferenceDriver.StartDevice(&res, &context))) std::abort();
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &timer_dpc, nullptr);
    LARGE_INTEGER due;
    due.QuadPart = -500;
    KeSetTimerEx(&timer, due, 1, &dpc);
  });
  rig.device().add_burst(10 * kUs, 3000, 150 * kNs, {0, 1, 2, 3});
  rig.device().add_burst(200 * kUs, 500, 300 * kNs, {3, 1});
  rig.at(3 * kMs, 0, [&] {
    KeCancelTimer(&timer);
    IrqrigReferenceDriver.StopDevice(context);
  });
  rig.run(4 * kMs);

  const Platform& p = rig.platform();
  const PlatformCounters& c = const_cast<Platform&>(p).counters();
  nlohmann::ordered_json out;
  out["isr"] = {c.isr_calls, c.isr_claimed, c.isr_declined};
  out["dpc"] = {c.dpc_inserts, c.dpc_inserts_rejected, c.dpc_runs, c.dpc_max_runtime_ps};
  out["ipi"] = {c.ipi_broadcasts, c.ipi_worker_calls};
  out["timer_expiries"] = c.timer_expiries;
  for (unsigned i = 0; i < p.cpu_count(); ++i) {
    const CpuStats s = p.cpu(i).stats();
    out["cpu"].push_back({p.cpu(i).msi_accepted(), p.cpu(i).msi_merged(), s.isr_ps, s.dpc_ps, s.ipi_ps, s.other_ps});
  }
  Platform& q = rig.platform();
  out["accounting"] = {q.accounting().written(), q.accounting().processed(), q.accounting().duplicated()};
  for (const Histogram* h : {&q.msi_to_isr(), &q.isr_to_dpc()})
    out["latency"].push_back({h->quantile(0.5), h->quantile(0.99), h->max()});
  out["faults"] = q.faults().size();
  std::cout << out.dump(1) << "\n";
  return 0;
}
