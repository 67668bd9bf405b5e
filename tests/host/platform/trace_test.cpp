// The Chrome trace of a run: one track per CPU with ISR, DPC and IPI slices, MSI arrivals as instants.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/host/platform/rig.h"

namespace irqrig::host::testing {
namespace {

TEST(Trace, SlicesAndInstantsPerCpu) {
  PlatformConfig config = test_config(2);
  const std::string path = ::testing::TempDir() + "irqrig_trace_test.json";
  config.trace_path = path;
  Rig rig(config);
  KDPC dpc;
  DpcFn fn = [](PKDPC, PVOID, PVOID) { KeStallExecutionProcessor(1); };
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    return TRUE;
  };
  rig.at(0, 0, [&] {
    KeInitializeDpc(&dpc, &dpc_trampoline, &fn);
    rig.connect_messages(&isr);
  });
  rig.device().add_message(1 * kUs, 1);
  rig.at(5 * kUs, 0, [] { KeIpiGenericCall([](ULONG_PTR) -> ULONG_PTR { KeStallExecutionProcessor(1); return 0; }, 0); });
  rig.run(10 * kUs);
  rig.platform().finish_trace();

  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in);
  std::remove(path.c_str());
  const auto& events = doc.at("traceEvents");
  auto find = [&](const std::string& name, const std::string& ph, int tid) -> const nlohmann::json* {
    for (const auto& e : events)
      if (e.at("name") == name && e.at("ph") == ph && e.at("tid") == tid) return &e;
    return nullptr;
  };
  const auto* track = find("thread_name", "M", 1);
  ASSERT_NE(track, nullptr);
  EXPECT_EQ(track->at("args").at("name"), "CPU 1");
  const auto* msi = find("MSI", "i", 1);
  ASSERT_NE(msi, nullptr);
  EXPECT_DOUBLE_EQ(msi->at("ts").get<double>(), 1.0);
  EXPECT_EQ(msi->at("args").at("message"), 1);
  const auto* isr_slice = find("ISR", "X", 1);
  ASSERT_NE(isr_slice, nullptr);
  EXPECT_DOUBLE_EQ(isr_slice->at("ts").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(isr_slice->at("dur").get<double>(), 0.1);
  EXPECT_EQ(isr_slice->at("args").at("message"), 1);
  EXPECT_TRUE(isr_slice->at("args").contains("routine"));
  const auto* dpc_slice = find("DPC", "X", 1);
  ASSERT_NE(dpc_slice, nullptr);
  EXPECT_DOUBLE_EQ(dpc_slice->at("dur").get<double>(), 1.2);
  ASSERT_NE(find("IPI worker", "X", 0), nullptr);
  ASSERT_NE(find("IPI worker", "X", 1), nullptr);
  EXPECT_DOUBLE_EQ(find("IPI worker", "X", 1)->at("dur").get<double>(), 1.0);
}

// The trace may be finished while routines are still running: their slices end there, and the
// run goes on without touching the finished trace.
TEST(Trace, FinishedWhileAnIsrRunsTheRunGoesOn) {
  PlatformConfig config = test_config(1);
  const std::string path = ::testing::TempDir() + "irqrig_trace_finish_test.json";
  config.trace_path = path;
  Rig rig(config);
  IsrFn isr = [&](PKINTERRUPT, ULONG) {
    KeStallExecutionProcessor(5);
    rig.mark("isr returns");
    return TRUE;
  };
  rig.at(0, 0, [&] { rig.connect_messages(&isr); });
  rig.device().add_message(1 * kUs, 0);
  rig.run(3 * kUs);
  rig.platform().finish_trace();
  rig.run(10 * kUs);
  EXPECT_TRUE(rig.platform().faults().empty());
  EXPECT_EQ(rig.marks("isr returns").size(), 1u);

  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in);
  std::remove(path.c_str());
  int isr_slices = 0;
  for (const auto& e : doc.at("traceEvents"))
    if (e.at("name") == "ISR") {
      ++isr_slices;
      EXPECT_DOUBLE_EQ(e.at("dur").get<double>(), 2.0);  // from 1 us to the finish at 3 us
    }
  EXPECT_EQ(isr_slices, 1);
}

// A trace that fails while the run goes (a full disk) stops the run with a `trace` fault; tearing
// the platform down afterwards, with a routine still open, does not throw out of the destructor.
TEST(Trace, WriteFailureIsAFaultAndTheTeardownSurvivesIt) {
  PlatformConfig config = test_config(2);
  config.affinity = {0};
  config.trace_path = "/dev/full";
  std::vector<Fault> faults;
  bool passive_open = false;
  {
    Rig rig(config);
    IsrFn isr = [](PKINTERRUPT, ULONG) { return TRUE; };
    rig.at(0, 0, [&] { rig.connect_messages(&isr); });
    rig.at(0, 1, [&] {
      passive_open = true;
      KeStallExecutionProcessor(1000);  // still running when the run stops
    });
    rig.device().add_burst(1 * kUs, 2000, 500 * kNs, {0}, false);  // far more than a stream buffer of slices
    rig.run(1 * kMs);
    faults = rig.platform().faults();
  }  // ~Platform ends the trace: CPU 1's open slice cannot be written either
  EXPECT_TRUE(passive_open);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].check, "trace");
  EXPECT_NE(faults[0].detail.find("write failed"), std::string::npos) << faults[0].detail;
}

TEST(Trace, UnwritablePathIsAnError) {
  SyntheticDevice device;
  PlatformConfig config = test_config(1);
  config.trace_path = "/nonexistent-dir/trace.json";
  EXPECT_THROW(Platform("host", config, device), TraceError);
}

}  // namespace
}  // namespace irqrig::host::testing
