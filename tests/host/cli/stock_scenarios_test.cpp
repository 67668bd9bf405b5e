// End-to-end: the stock scenarios of issue 5 (scenarios/), each run with the reference driver,
// passing and showing the behaviour it exists to show.
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tests/cli_harness.h"

namespace irqrig::test {
namespace {

nlohmann::json run_stock(const std::string& name) {
  const std::string report = temp_path(name + ".json");
  const CliResult r = run_cli("run scenarios/" + name + ".yaml --quiet --report " + report);
  EXPECT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = read_json(report);
  EXPECT_TRUE(j["ok"].get<bool>()) << j["checks"].dump(2);
  EXPECT_EQ(j["events"]["lost"], 0);
  EXPECT_EQ(j["events"]["duplicated"], 0);
  EXPECT_EQ(j["events"]["processed"], j["device"]["events"]);
  // Every stock scenario fits in 10 simulated ms (a mutant is caught within that).
  EXPECT_LE(j["sim_time_ns"].get<std::uint64_t>(), 10'000'000u);
  return j;
}

TEST(StockScenarios, IdleTrickleCoalescesNowhere) {
  const nlohmann::json j = run_stock("idle_trickle");
  EXPECT_EQ(j["device"]["msi_sent"], j["device"]["events"]);
  EXPECT_EQ(j["lapic"]["merged"], 0);
  EXPECT_EQ(j["isr"]["claimed"], j["device"]["events"]);
  EXPECT_EQ(j["dpc"]["runs"], j["device"]["events"]);
}

TEST(StockScenarios, LineRateBurstFillsTheRingAndCoalescesAtTheApicAndTheDpc) {
  const nlohmann::json j = run_stock("line_rate_burst");
  EXPECT_GT(j["device"]["ring_full_stalls"].get<int>(), 0);
  EXPECT_GT(j["lapic"]["merged"].get<int>(), 0);
  EXPECT_LT(j["dpc"]["runs"].get<int>(), j["isr"]["claimed"].get<int>());
}

// SEMANTICS D3: more messages than a CPU has vectors, so ISR chains walk shared vectors.
TEST(StockScenarios, ManyVectorsOnOneCpuShareVectorsAndStayOnThatCpu) {
  const nlohmann::json j = run_stock("many_vectors_one_cpu");
  EXPECT_GT(j["isr"]["declined"].get<int>(), 0);
  EXPECT_GT(j["per_cpu"][0]["isr_ns"].get<int>(), 0);
  EXPECT_EQ(j["per_cpu"][1]["isr_ns"], 0);
}

TEST(StockScenarios, SpreadRunsIsrsAndDpcsOnEveryCpu) {
  const nlohmann::json j = run_stock("spread");
  for (const auto& cpu : j["per_cpu"]) {
    EXPECT_GT(cpu["isr_ns"].get<int>(), 0) << "CPU " << cpu["cpu"];
    EXPECT_GT(cpu["dpc_ns"].get<int>(), 0) << "CPU " << cpu["cpu"];
  }
}

// SEMANTICS A6: masked events pend in the PBA and each unmask sends one message for them.
TEST(StockScenarios, MaskStormPendsAndLosesNothing) {
  const nlohmann::json j = run_stock("mask_storm");
  const int pended = j["device"]["msi_pending_on_mask"].get<int>();
  EXPECT_GE(pended, 10);
  EXPECT_LT(j["device"]["msi_sent"].get<int>(), j["device"]["events"].get<int>());
}

// SEMANTICS E12: threaded DPCs run (as DPC time) while IPI broadcasts interleave.
// The trace's slices of one name ("threaded DPC", "DPC", ...; host/platform/cpu.cpp names them).
std::size_t slices_named(const std::string& trace_path, const std::string& name) {
  const nlohmann::json t = read_json(trace_path);
  const nlohmann::json& events = t.is_object() ? t["traceEvents"] : t;
  std::size_t n = 0;
  for (const auto& e : events)
    if (e.value("ph", "") == "X" && e.value("name", "") == name) ++n;
  return n;
}

// SEMANTICS E12: with host.dpc.threaded the driver's DPC runs as a threaded DPC - the trace shows
// threaded-DPC slices and no ordinary DPC ones; with it off the very same run shows the reverse.
TEST(StockScenarios, ThreadedDpcsDrainTheRingBetweenBroadcasts) {
  const nlohmann::json j = run_stock("threaded_dpcs");
  EXPECT_GT(j["ipi"]["broadcasts"].get<int>(), 0);
  EXPECT_GT(j["dpc"]["runs"].get<int>(), 0);

  const std::string threaded = temp_path("threaded.trace.json"), ordinary = temp_path("ordinary.trace.json");
  CliResult r = run_cli("run scenarios/threaded_dpcs.yaml --quiet --trace " + threaded);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_GT(slices_named(threaded, "threaded DPC"), 0u);
  EXPECT_EQ(slices_named(threaded, "DPC"), 0u);
  r = run_cli("run scenarios/threaded_dpcs.yaml --quiet --set host.dpc.threaded=false --trace " + ordinary);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(slices_named(ordinary, "threaded DPC"), 0u);
  EXPECT_GT(slices_named(ordinary, "DPC"), 0u);
  std::remove(threaded.c_str());
  std::remove(ordinary.c_str());
}

// SEMANTICS H1: 8 frames per message unless 10 us pass first; the base point of the sweep.
TEST(StockScenarios, ModerationSweepBaseCoalescesAboutEightEventsPerMessage) {
  const nlohmann::json j = run_stock("moderation_sweep");
  const double per_message = j["device"]["events"].get<double>() / j["device"]["msi_sent"].get<double>();
  EXPECT_GT(per_message, 4.0);
  EXPECT_LE(per_message, 8.0);
}

}  // namespace
}  // namespace irqrig::test
