// End to end: every built-in mutant is caught by the stock scenario its registry entry names (exit
// code 1, that check failed, within 10 simulated ms), and the reference driver passes every stock
// scenario (exit code 0). Each case runs the irqrig executable, so CTest runs them in parallel.
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host/drivers/mutants/registry.h"
#include "tests/cli_harness.h"

namespace irqrig::host {

// The case's name in CTest's list: the mutant's.
void PrintTo(const Mutant& m, std::ostream* os) { *os << m.name; }

namespace {

constexpr std::uint64_t kTenMsInNs = 10'000'000;

struct RunResult {
  int code;
  std::string output;
  nlohmann::json report;
};

// `irqrig run SCENARIO --driver DRIVER`, from the source tree, with a report in a file of its own.
RunResult run_irqrig(const std::string& scenario, const std::string& driver, const std::string& tag) {
  const std::string report = test::temp_path("mutants_" + tag + ".json");
  const test::CliResult cli = test::run_cli("run " + scenario + " --driver " + driver + " --quiet --report " + report);
  RunResult r{cli.code, cli.output, nlohmann::json::parse(test::slurp(report), nullptr, false)};
  std::filesystem::remove(report);
  return r;
}

const nlohmann::json* find_check(const nlohmann::json& report, std::string_view name) {
  if (!report.contains("checks")) return nullptr;
  for (const auto& c : report["checks"])
    if (c["name"].get<std::string>() == name) return &c;
  return nullptr;
}

std::string mutant_case_name(const ::testing::TestParamInfo<Mutant>& info) { return std::string(info.param.name); }

class MutantCaughtTest : public ::testing::TestWithParam<Mutant> {};

TEST_P(MutantCaughtTest, ByItsStockScenarioAndCheck) {
  const Mutant& m = GetParam();
  ASSERT_TRUE(std::filesystem::is_regular_file(std::string(m.scenario))) << m.scenario;
  const RunResult r = run_irqrig(std::string(m.scenario), "mutant:" + std::string(m.name), std::string(m.name));
  ASSERT_EQ(r.code, 1) << r.output;
  ASSERT_TRUE(r.report.is_object()) << r.output;
  EXPECT_FALSE(r.report["ok"].get<bool>());
  EXPECT_LE(r.report["sim_time_ns"].get<std::uint64_t>(), kTenMsInNs);
  const nlohmann::json* check = find_check(r.report, m.check);
  ASSERT_NE(check, nullptr) << "no check " << m.check << " in " << r.report["checks"].dump(2);
  EXPECT_FALSE((*check)["ok"].get<bool>()) << (*check).dump(2);
}

INSTANTIATE_TEST_SUITE_P(Mutants, MutantCaughtTest, ::testing::ValuesIn(mutants().begin(), mutants().end()),
                         mutant_case_name);

std::vector<std::string> stock_scenarios() {
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(std::string(IRQRIG_SOURCE_DIR) + "/scenarios"))
    if (f.path().extension() == ".yaml") names.push_back(f.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ReferencePassesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferencePassesTest, StockScenario) {
  const RunResult r = run_irqrig("scenarios/" + GetParam() + ".yaml", "reference", GetParam());
  EXPECT_EQ(r.code, 0) << r.output << (r.report.is_object() ? r.report["checks"].dump(2) : std::string());
  ASSERT_TRUE(r.report.is_object()) << r.output;
  EXPECT_LE(r.report["sim_time_ns"].get<std::uint64_t>(), kTenMsInNs);
}

INSTANTIATE_TEST_SUITE_P(Stock, ReferencePassesTest, ::testing::ValuesIn(stock_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Issue 5: at least eight, each a line `NAME  description  (caught by scenarios/X.yaml: check)`.
TEST(MutantList, NamesEveryMutantWithItsScenarioAndCheck) {
  const test::CliResult list = test::run_cli("list mutants");
  ASSERT_EQ(list.code, 0) << list.output;
  const std::string& out = list.output;
  EXPECT_GE(mutants().size(), 8u);
  for (const Mutant& m : mutants()) {
    const std::string line = std::string(m.name) + "  " + std::string(m.description) + "  (caught by " +
                             std::string(m.scenario) + ": " + std::string(m.check) + ")\n";
    EXPECT_NE(out.find(line), std::string::npos) << out;
    EXPECT_TRUE(m.scenario.starts_with("scenarios/")) << m.scenario;  // a stock scenario
  }
}

}  // namespace
}  // namespace irqrig::host
