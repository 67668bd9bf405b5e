// End to end: plug-in drivers run by the irqrig executable on real scenarios: the KMDF sample and
// the WDM example lose nothing; a driver breaking a rule stops its run with a report that names
// the rule, the routine, the CPU and the time; a driver that cannot start says why.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli_harness.h"

namespace {

using Result = irqrig::test::CliResult;
using irqrig::test::temp_path;

Result run(const std::string& args) { return irqrig::test::run_cli(args); }

nlohmann::json run_report(const std::string& args, int expected_code) {
  const std::string report = temp_path("report.json");
  const Result r = run(args + " --report " + report);
  EXPECT_EQ(r.code, expected_code) << r.output;
  std::ifstream in(report);
  nlohmann::json j = in ? nlohmann::json::parse(in) : nlohmann::json::object();
  std::filesystem::remove(report);
  return j;
}

std::string check_detail(const nlohmann::json& report, const std::string& name) {
  for (const auto& c : report["checks"])
    if (c["name"] == name) return c["ok"].get<bool>() ? std::string() : c["detail"].get<std::string>();
  return "(no such check)";
}

void expect_every_event_once(const nlohmann::json& j) {
  ASSERT_TRUE(j.contains("events")) << j.dump();
  EXPECT_GT(j["device"]["events"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(j["events"]["processed"], j["device"]["events"]);
  EXPECT_EQ(j["events"]["lost"], 0);
  EXPECT_EQ(j["events"]["duplicated"], 0);
  EXPECT_TRUE(j["ok"].get<bool>()) << j["checks"].dump();
}

TEST(PluginRun, KmdfSampleRunsTheDefaultScenarioLosingNothing) {
  const auto j = run_report(std::string("run scenarios/default.yaml --driver ") + KMDF_SAMPLE, 0);
  expect_every_event_once(j);
  // One interrupt object and DPC per message: the ISRs ran on all four CPUs.
  for (const auto& cpu : j["per_cpu"]) EXPECT_GT(cpu["isr_ns"].get<std::uint64_t>(), 0u);
}

TEST(PluginRun, WdmPluginRunsTheDefaultScenarioLosingNothing) {
  expect_every_event_once(run_report(std::string("run scenarios/default.yaml --driver ") + WDM_PLUGIN, 0));
}

TEST(PluginRun, KmdfSampleOnOneCpuLosingNothing) {
  expect_every_event_once(
      run_report(std::string("run tests/host/cli/data/small.yaml --set host.cpus=1 --driver ") + KMDF_SAMPLE, 0));
}

TEST(PluginRun, ABrokenRuleStopsTheRunNamingRuleRoutineCpuAndTime) {
  const auto j = run_report(std::string("run tests/host/cli/data/small.yaml --driver ") + KMDF_BAD_RELEASE, 1);
  const std::string detail = check_detail(j, "driver_rules");
  EXPECT_NE(detail.find("SPIN_LOCK_NOT_OWNED"), std::string::npos) << detail;
  EXPECT_NE(detail.find("WdfSpinLockRelease"), std::string::npos) << detail;
  // "seed S, T ns, CPU c, DPC routine, ...: RULE: ..." (docs/checks.md)
  EXPECT_EQ(detail.rfind("seed 7, ", 0), 0u) << detail;
  EXPECT_NE(detail.find(" ns, CPU "), std::string::npos) << detail;
  EXPECT_FALSE(j["ok"].get<bool>());
}

TEST(PluginRun, AKmdfDriverWithoutFrameworkDriverSaysWhyItDidNotStart) {
  const auto j = run_report(std::string("run tests/host/cli/data/small.yaml --driver ") + KMDF_NO_FRAMEWORK, 1);
  const std::string detail = check_detail(j, "start_device");
  EXPECT_NE(detail.find("kmdf_no_framework"), std::string::npos) << detail;
  EXPECT_NE(detail.find("WdfDriverCreate"), std::string::npos) << detail;
}

// Pool a WDM driver still holds when it stops is a leak, reported as Driver Verifier does: the
// block's tag and size, not the one it freed.
TEST(PluginRun, PoolLeftAtStopIsADriverVerifierViolation) {
  const auto j = run_report(std::string("run scenarios/default.yaml --quiet --set run.until=time --set run.time_us=50 "
                                        "--driver ") + WDM_POOL_LEAK, 1);
  const std::string detail = check_detail(j, "driver_rules");
  EXPECT_NE(detail.find("DRIVER_VERIFIER_DETECTED_VIOLATION"), std::string::npos) << detail;
  EXPECT_NE(detail.find("wdm_pool_leak stopped with 1 pool allocation (8 bytes) not freed: 'Leak' 8 bytes"),
            std::string::npos)
      << detail;
  EXPECT_EQ(detail.find("Stch"), std::string::npos) << detail;
}

TEST(PluginRun, AnUnusablePluginIsBadInput) {
  const Result r = run(std::string("run tests/host/cli/data/small.yaml --driver ") + MISSING_SYMBOL);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("KeBugCheckEx"), std::string::npos) << r.output;
  const Result missing = run("run tests/host/cli/data/small.yaml --driver ./no-such-driver.so");
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_NE(missing.output.find("no-such-driver.so"), std::string::npos) << missing.output;
}

TEST(PluginRun, SameSeedGivesTheSameReportWithAPlugin) {
  auto a = run_report(std::string("run tests/host/cli/data/small.yaml --quiet --driver ") + KMDF_SAMPLE, 0);
  auto b = run_report(std::string("run tests/host/cli/data/small.yaml --quiet --driver ") + KMDF_SAMPLE, 0);
  a.erase("wall_s");
  b.erase("wall_s");
  EXPECT_EQ(a, b);
}

}  // namespace
