// The `faults:` block of a scenario (docs/faults.md): good inputs become the typed Faults, every bad
// value a ScenarioError naming the file, the line and the dotted key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/scenario/scenario.h"

namespace irqrig::host {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Four vectors on four CPUs, then the faults block from line 7 on.
constexpr const char* kBase = R"(device:
  interrupts: { vectors: 4 }
  bursts: [{ vectors: [0, 1, 2, 3], events: 10 }]
host:
  cpus: 4
faults:
)";

ScenarioError fault_error(const std::string& faults, const std::vector<std::string>& overrides = {},
                          const std::string& base = kBase) {
  try {
    parse_scenario(base + faults, "t.yaml", overrides);
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ScenarioError for\n" << faults;
  return ScenarioError("", 0, "", "");
}

void expect_at(const ScenarioError& e, int line, const std::string& key, const std::string& problem_part) {
  EXPECT_EQ(e.line(), line) << e.what();
  EXPECT_EQ(e.key(), key) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("t.yaml:" + std::to_string(line) + ":")) << e.what();
  EXPECT_THAT(e.problem(), HasSubstr(problem_part)) << e.what();
}

TEST(ScenarioFaults, AbsentMeansNone) {
  const Scenario s = parse_scenario("device:\n  bursts: [{ vectors: [0], events: 1 }]\n", "t.yaml");
  EXPECT_EQ(s.faults, Faults{});
}

TEST(ScenarioFaults, EveryKeyIsStored) {
  const Scenario s = parse_scenario(std::string(kBase) + R"(  msi_jitter_ns: 300
  drop_msi: { probability: 0.25, nth: [5, 17] }
  hold_cpus:
    - { cpu: 1, irql: 15, from_us: 10, for_us: 200 }
    - { cpu: 1, irql: 3, from_us: 210, for_us: 5 }
    - { cpu: 2, from_us: 0, for_us: 1 }
  ipi_storm: { from_us: 100, for_us: 200, period_ns: 2000, worker_ns: 500, cpu: 3 }
  affinity_changes: [ { at_us: 50, vector: 2, cpu: 3 } ]
  table_rewrites: [ { at_us: 30, vector: 1 } ]
)",
                                    "t.yaml");
  const Faults& f = s.faults;
  EXPECT_EQ(f.msi_jitter_ns, 300u);
  EXPECT_EQ(f.drop_msi, (DropMsi{0.25, {5, 17}}));
  EXPECT_THAT(f.hold_cpus, ElementsAre(CpuHold{1, 15, 10, 200}, CpuHold{1, 3, 210, 5}, CpuHold{2, 15, 0, 1}));
  ASSERT_TRUE(f.ipi_storm);
  EXPECT_EQ(*f.ipi_storm, (IpiStorm{100, 200, 2000, 500, 3}));
  EXPECT_THAT(f.affinity_changes, ElementsAre(AffinityChange{50, 2, 3}));
  EXPECT_THAT(f.table_rewrites, ElementsAre(TableRewrite{30, 1}));
}

TEST(ScenarioFaults, SetOverridesReachTheBlock) {
  const Scenario s = parse_scenario(kBase, "t.yaml",
                                    {"faults.msi_jitter_ns=1000", "faults.drop_msi.nth=[3]",
                                     "faults.affinity_changes=[{at_us: 5, vector: 0, cpu: 1}]"});
  EXPECT_EQ(s.faults.msi_jitter_ns, 1000u);
  EXPECT_THAT(s.faults.drop_msi.nth, ElementsAre(3u));
  EXPECT_THAT(s.faults.affinity_changes, ElementsAre(AffinityChange{5, 0, 1}));
  // A bad value from --set names --set and the key.
  const ScenarioError e = fault_error("", {"faults.drop_msi.probability=2"});
  EXPECT_EQ(e.file(), "--set") << e.what();
  EXPECT_EQ(e.key(), "faults.drop_msi.probability") << e.what();
}

TEST(ScenarioFaults, BadValuesNameFileLineAndKey) {
  expect_at(fault_error("  msi_jitter_ns: -5\n"), 7, "faults.msi_jitter_ns", "");
  expect_at(fault_error("  drop_msi: { probability: 1.5 }\n"), 7, "faults.drop_msi.probability", "[0, 1]");
  expect_at(fault_error("  drop_msi: { probability: -0.1 }\n"), 7, "faults.drop_msi.probability", "[0, 1]");
  expect_at(fault_error("  drop_msi: { nth: [0] }\n"), 7, "faults.drop_msi.nth.0", "count from 1");
  expect_at(fault_error("  drop_msi: { nth: [4, 4] }\n"), 7, "faults.drop_msi.nth.1", "greater than");
  expect_at(fault_error("  drop_msi: {}\n"), 7, "faults.drop_msi", "probability");
  expect_at(fault_error("  drop_msi: { probabilty: 0.1 }\n"), 7, "faults.drop_msi.probabilty", "did you mean");
  expect_at(fault_error("  hold_cpus: [ { cpu: 4, from_us: 1, for_us: 1 } ]\n"), 7, "faults.hold_cpus.0.cpu",
            "CPU 4 does not exist");
  expect_at(fault_error("  hold_cpus: [ { cpu: 0, irql: 2, from_us: 1, for_us: 1 } ]\n"), 7,
            "faults.hold_cpus.0.irql", "");
  expect_at(fault_error("  hold_cpus: [ { cpu: 0, irql: 16, from_us: 1, for_us: 1 } ]\n"), 7,
            "faults.hold_cpus.0.irql", "");
  expect_at(fault_error("  hold_cpus: [ { cpu: 0, from_us: 1, for_us: 0 } ]\n"), 7, "faults.hold_cpus.0.for_us", "");
  expect_at(fault_error("  hold_cpus:\n    - { cpu: 0, from_us: 1, for_us: 10 }\n    - { cpu: 0, from_us: 5, for_us: 1 }\n"),
            9, "faults.hold_cpus.1", "overlaps");
  expect_at(fault_error("  ipi_storm: { for_us: 10, period_ns: 0 }\n"), 7, "faults.ipi_storm.period_ns", "");
  expect_at(fault_error("  ipi_storm: { for_us: 10, period_ns: -100 }\n"), 7, "faults.ipi_storm.period_ns", "");
  expect_at(fault_error("  ipi_storm: { for_us: 10, period_ns: 500, worker_ns: 500 }\n"), 7, "faults.ipi_storm",
            "shorter than period_ns");
  expect_at(fault_error("  ipi_storm: { period_ns: 500 }\n"), 7, "faults.ipi_storm.for_us", "");
  expect_at(fault_error("  ipi_storm: { for_us: 10, period_ns: 500, cpu: 4 }\n"), 7, "faults.ipi_storm.cpu",
            "CPU 4 does not exist");
  expect_at(fault_error("  affinity_changes: [ { at_us: 1, vector: 4, cpu: 0 } ]\n"), 7,
            "faults.affinity_changes.0.vector", "out of range");
  expect_at(fault_error("  affinity_changes: [ { at_us: 1, vector: 0, cpu: 9 } ]\n"), 7,
            "faults.affinity_changes.0.cpu", "CPU 9 does not exist");
  expect_at(fault_error("  table_rewrites: [ { at_us: 1, vector: 7 } ]\n"), 7, "faults.table_rewrites.0.vector",
            "out of range");
  expect_at(fault_error("  table_rewrite: []\n"), 7, "faults.table_rewrite", "did you mean");
}

TEST(ScenarioFaults, RewritesNeedMsix) {
  const std::string msi = R"(device:
  interrupts: { mode: msi, vectors: 4 }
  bursts: [{ vectors: [0, 1, 2, 3], events: 10 }]
host:
  cpus: 4
faults:
)";
  expect_at(fault_error("  affinity_changes:\n    - { at_us: 1, vector: 0, cpu: 1 }\n", {}, msi), 7,
            "faults.affinity_changes", "one Message Address");
  expect_at(fault_error("  table_rewrites:\n    - { at_us: 1, vector: 0 }\n", {}, msi), 7, "faults.table_rewrites",
            "msix");
}

TEST(ScenarioFaults, ExpectMayBoundTheFaultFigures) {
  const Scenario s = parse_scenario(std::string(kBase) + "  msi_jitter_ns: 10\nexpect:\n  faults: { msi_dropped: 0 }\n"
                                    "  events.lost_to_dropped_msi: { max: 1 }\n",
                                    "t.yaml");
  EXPECT_EQ(s.expect.at("faults.msi_dropped"), (Bound{std::nullopt, 0.0}));
  EXPECT_EQ(s.expect.at("events.lost_to_dropped_msi"), (Bound{std::nullopt, 1.0}));
}

}  // namespace
}  // namespace irqrig::host
