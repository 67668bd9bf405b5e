// Scenario loader tests: good scenarios become the expected struct; every bad input becomes a
// ScenarioError naming the file, the line of the offending node and the dotted key.
#include "host/scenario/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace irqrig::host {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string data(const std::string& name) { return std::string(IRQRIG_SCENARIO_TEST_DATA) + "/" + name; }

// The error `f` throws; a test fails (and gets an empty error) when it throws none.
ScenarioError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ScenarioError";
  return ScenarioError("", 0, "", "");
}

ScenarioError parse_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return error_of([&] { parse_scenario(text, "t.yaml", overrides); });
}

// Checks the error's location and key, and that what() carries them as "t.yaml:LINE:...KEY: ".
void expect_at(const ScenarioError& e, int line, const std::string& key, const std::string& problem_part) {
  EXPECT_EQ(e.file(), "t.yaml") << e.what();
  EXPECT_EQ(e.line(), line) << e.what();
  EXPECT_EQ(e.key(), key) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("t.yaml:" + std::to_string(line) + ":")) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(": " + key + ": ")) << e.what();
  EXPECT_THAT(e.problem(), HasSubstr(problem_part)) << e.what();
}

// A valid scenario, one key per line so that tests can point at line numbers.
constexpr const char* kBase = R"(device:
  interrupts:
    vectors: 4
  bursts:
    - vectors: [0, 1]
      events: 10
host:
  cpus: 4
)";

// ---------------------------------------------------------------------------------------------
// Good inputs

TEST(ScenarioTest, FullExampleParses) {
  Scenario s = load_scenario(data("full.yaml"));
  EXPECT_EQ(s.name, "default");
  EXPECT_EQ(s.file, data("full.yaml"));
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.mode, InterruptMode::kMsix);
  EXPECT_EQ(s.vectors, 4u);
  EXPECT_EQ(s.ring_entries, 256u);
  ASSERT_EQ(s.bursts.size(), 2u);
  EXPECT_EQ(s.bursts[0], (BurstSpec{{0, 1, 2, 3}, 10000, 200, Pattern::kRoundRobin}));
  EXPECT_EQ(s.bursts[1], (BurstSpec{{2}, 50, 0, Pattern::kFixed}));
  EXPECT_EQ(s.cpus, 2u);
  EXPECT_THAT(s.affinity, ElementsAre(1, 0, 1, 1));
  EXPECT_EQ(s.affinity_text, "list");
  EXPECT_EQ(s.driver, "reference");
  EXPECT_EQ(s.costs, (Costs{400, 900, 60, 700, 90}));
  EXPECT_EQ(s.until, Until::kTime);
  EXPECT_EQ(s.time_us, 2000u);
  EXPECT_EQ(s.quantum_cycles, 16u);
  std::map<std::string, Bound> expect{
      {"events.lost", {std::nullopt, 0.0}},
      {"events.duplicated", {std::nullopt, 0.0}},
      {"isr.calls", {1.0, std::nullopt}},
      {"latency_ns.msi_to_isr.p99", {std::nullopt, 5000.0}},
  };
  EXPECT_EQ(s.expect, expect);
}

TEST(ScenarioTest, DefaultsWhenAbsent) {
  Scenario s = load_scenario(data("minimal.yaml"));
  Scenario defaults;
  EXPECT_EQ(s.name, "minimal");  // the file's stem
  EXPECT_EQ(s.seed, defaults.seed);
  EXPECT_EQ(s.mode, InterruptMode::kMsix);
  EXPECT_EQ(s.vectors, 4u);
  EXPECT_EQ(s.ring_entries, 1024u);
  ASSERT_EQ(s.bursts.size(), 1u);
  EXPECT_EQ(s.bursts[0], (BurstSpec{{0, 1}, 100, 0, Pattern::kRoundRobin}));
  EXPECT_EQ(s.cpus, 4u);
  EXPECT_THAT(s.affinity, ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(s.affinity_text, "spread");
  EXPECT_EQ(s.driver, "reference");
  EXPECT_EQ(s.costs, Costs{});
  EXPECT_EQ(s.until, Until::kDrained);
  EXPECT_EQ(s.time_us, 5000u);
  EXPECT_EQ(s.quantum_cycles, 64u);
  std::map<std::string, Bound> expect{{"events.lost", {std::nullopt, 0.0}}, {"events.duplicated", {std::nullopt, 0.0}}};
  EXPECT_EQ(s.expect, expect);
}

TEST(ScenarioTest, OffValuesOfUnsupportedKeysAreAccepted) {
  Scenario s = parse_scenario(R"(device:
  interrupts: { mode: msix }
  moderation: { frames: 1, usecs: 0 }
  masks: []
  bursts: [{ vectors: [0], events: 1 }]
host:
  dpc: { importance: medium, target: current, threaded: false }
  driver: reference
  ipi:
)",
                              "t.yaml");
  EXPECT_EQ(s.bursts.size(), 1u);
}

TEST(ScenarioTest, MasksRepeatAndRingPolicyAreStored) {
  Scenario s = parse_scenario(R"(device:
  interrupts: { vectors: 4 }
  ring: { entries: 64, on_full: stall }
  bursts: [{ vectors: [0, 3], events: 10, repeat: 3 }]
  masks:
    - { vector: 3, from_us: 10, to_us: 40 }
    - { vector: 0, from_us: 5 }
)",
                              "t.yaml");
  EXPECT_EQ(s.ring_on_full, RingFull::kStall);
  EXPECT_EQ(s.bursts[0].repeat, 3u);
  EXPECT_THAT(s.masks, ElementsAre(MaskWindow{3, 10, 40}, MaskWindow{0, 5, std::nullopt}));
}

TEST(ScenarioTest, HostDpcIpiKernelAndDriverAreStored) {
  Scenario s = parse_scenario(R"(device:
  bursts: [{ vectors: [0], events: 1 }]
host:
  cpus: 2
  driver: drivers/libmine.so
  dpc: { importance: medium_high, target: 1, threaded: true }
  ipi: { period_us: 50, worker_ns: 1500 }
  kernel: { tick_us: 1000, maximum_dpc_queue_depth: 8, minimum_dpc_rate: 0, adaptive_dpc_depth: true,
            threaded_dpcs: false }
)",
                              "dir/t.yaml");
  EXPECT_EQ(s.driver, "dir/drivers/libmine.so");  // beside the scenario
  EXPECT_EQ(s.dpc, (DpcSettings{Importance::kMediumHigh, 1u, true}));
  ASSERT_TRUE(s.ipi);
  EXPECT_EQ(*s.ipi, (IpiSettings{50, 1500}));
  EXPECT_EQ(s.kernel, (KernelSettings{1000, 8, 0, true, false}));
}

TEST(ScenarioTest, ModerationIsStored) {
  const std::string base = "device:\n  bursts: [{ vectors: [0], events: 1 }]\n";
  EXPECT_EQ(parse_scenario(base + "  moderation: { frames: 8, usecs: 20 }\n", "t.yaml").moderation,
            (Moderation{8, 20, 0}));
  EXPECT_EQ(parse_scenario(base + "  moderation: { usecs: 5 }\n", "t.yaml").moderation, (Moderation{0, 5, 0}));
  EXPECT_EQ(parse_scenario(base + "  moderation: { itr_ns: 8000 }\n", "t.yaml").moderation, (Moderation{1, 0, 8000}));
  EXPECT_TRUE(parse_scenario(base, "t.yaml").moderation.off());
  EXPECT_EQ(parse_scenario(base + "  ring: { on_full: drop }\n", "t.yaml").ring_on_full, RingFull::kDrop);
  expect_at(parse_error(base + "  moderation: { frames: 70000 }\n"), 3, "device.moderation.frames", "");
  expect_at(parse_error(base + "  moderation: { itr_ns: 20000000 }\n"), 3, "device.moderation.itr_ns", "");
  expect_at(parse_error(base + "  moderation: { itr_ns: 100, frames: 2 }\n"), 3, "device.moderation", "not both");
}

TEST(ScenarioTest, BadNewKeys) {
  std::string base = "device:\n  bursts: [{ vectors: [0], events: 1, repeat: 0 }]\n";
  expect_at(parse_error(base), 2, "device.bursts.0.repeat", "");
  std::string ok = "device:\n  bursts: [{ vectors: [0], events: 1 }]\n";
  expect_at(parse_error(ok + "  ring: { on_full: spill }\n"), 3, "device.ring.on_full", "");
  expect_at(parse_error(ok + "  masks:\n    - { vector: 0, from_us: 9, to_us: 9 }\n"), 4, "device.masks.0.to_us",
            "must be after from_us");
  expect_at(parse_error(ok + "host:\n  ipi: { period_us: 1, worker_ns: 1000 }\n"), 4, "host.ipi",
            "must be shorter than period_us");
  expect_at(parse_error(ok + "host:\n  kernel: { tick_us: 0 }\n"), 4, "host.kernel.tick_us", "");
  expect_at(parse_error(ok + "host:\n  kernel: { threaded_dpc: false }\n"), 4, "host.kernel.threaded_dpc",
            "did you mean 'host.kernel.threaded_dpcs'?");
}

// `checks:` (docs/checks.md): the defaults, each key stored, 0 turning a bound off.
TEST(ScenarioChecksTest, DefaultsAndValuesAreStored) {
  EXPECT_EQ(parse_scenario(kBase, "t.yaml").checks, (CheckBounds{3000, 5000, 5000}));
  Scenario s = parse_scenario(std::string(kBase) +
                                  "checks:\n  dpc_watchdog: { single_us: 300, cumulative_us: 900 }\n  late_us: 50\n",
                              "t.yaml");
  EXPECT_EQ(s.checks, (CheckBounds{300, 900, 50}));
  s = parse_scenario(std::string(kBase) + "checks: { dpc_watchdog: { single_us: 0 }, late_us: 0 }\n", "t.yaml");
  EXPECT_EQ(s.checks, (CheckBounds{0, 5000, 0}));
  // Off on one side: the other bound is not compared against it.
  s = parse_scenario(std::string(kBase) + "checks: { dpc_watchdog: { single_us: 5000, cumulative_us: 0 } }\n",
                     "t.yaml");
  EXPECT_EQ(s.checks, (CheckBounds{5000, 0, 5000}));
}

TEST(ScenarioChecksTest, OverridesSetEachBound) {
  Scenario s = parse_scenario(kBase, "t.yaml",
                              {"checks.dpc_watchdog.single_us=200", "checks.dpc_watchdog.cumulative_us=700",
                               "checks.late_us=30"});
  EXPECT_EQ(s.checks, (CheckBounds{200, 700, 30}));
  ScenarioError e = parse_error(kBase, {"checks.late_us=-1"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_EQ(e.key(), "checks.late_us");
}

TEST(ScenarioChecksTest, BadValuesNameLineAndKey) {
  const std::string base(kBase);  // 8 lines
  expect_at(parse_error(base + "checks:\n  late_us: -5\n"), 10, "checks.late_us", "");
  expect_at(parse_error(base + "checks:\n  late_us: soon\n"), 10, "checks.late_us", "");
  expect_at(parse_error(base + "checks:\n  late_us: 1.5\n"), 10, "checks.late_us", "");
  expect_at(parse_error(base + "checks:\n  dpc_watchdog:\n    single_us: 99999999999\n"), 11,
            "checks.dpc_watchdog.single_us", "out of range");
  expect_at(parse_error(base + "checks:\n  dpc_watchdog:\n    single_us: 500\n    cumulative_us: 100\n"), 11,
            "checks.dpc_watchdog.single_us", "is above cumulative_us (100)");
  expect_at(parse_error(base + "checks:\n  dpc_watchdog:\n    cumulative_us: 100\n"), 11,
            "checks.dpc_watchdog.cumulative_us", "single_us (3000) is above cumulative_us (100)");
  expect_at(parse_error(base + "checks:\n  dpc_watchdog: 5\n"), 10, "checks.dpc_watchdog", "");
  expect_at(parse_error(base + "checks:\n  late: 5\n"), 10, "checks.late", "did you mean 'checks.late_us'?");
  expect_at(parse_error(base + "checks:\n  dpc_watchdog: { single: 5 }\n"), 10, "checks.dpc_watchdog.single",
            "did you mean");
}

TEST(ScenarioTest, AffinitySpreadWrapsAroundTheCpus) {
  Scenario s = parse_scenario(kBase, "t.yaml", {"device.interrupts.vectors=8", "host.cpus=3"});
  EXPECT_EQ(s.affinity_text, "spread");
  EXPECT_THAT(s.affinity, ElementsAre(0, 1, 2, 0, 1, 2, 0, 1));
}

TEST(ScenarioTest, AffinityCpu0) {
  Scenario s = parse_scenario(kBase, "t.yaml", {"host.affinity=cpu0"});
  EXPECT_EQ(s.affinity_text, "cpu0");
  EXPECT_THAT(s.affinity, ElementsAre(0, 0, 0, 0));
}

TEST(ScenarioTest, AffinityList) {
  Scenario s = parse_scenario(kBase, "t.yaml", {"host.affinity=[3, 3, 0, 1]"});
  EXPECT_EQ(s.affinity_text, "list");
  EXPECT_THAT(s.affinity, ElementsAre(3, 3, 0, 1));
}

TEST(ScenarioTest, ExpectForms) {
  Scenario s = parse_scenario(R"(device:
  bursts: [{ vectors: [0], events: 1 }]
expect:
  lost: 3
  processed: { min: 1, max: 1 }
  dpc.runs: { max: 10 }
  isr: { calls: { min: 1 }, declined: 0 }
  latency_ns:
    msi_to_isr.p99: 2.5e3
  sim_time_ns: { min: 100 }
)",
                              "t.yaml");
  std::map<std::string, Bound> expect{
      {"events.lost", {std::nullopt, 3.0}},
      {"events.duplicated", {std::nullopt, 0.0}},
      {"events.processed", {1.0, 1.0}},
      {"dpc.runs", {std::nullopt, 10.0}},
      {"isr.calls", {1.0, std::nullopt}},
      {"isr.declined", {std::nullopt, 0.0}},
      {"latency_ns.msi_to_isr.p99", {std::nullopt, 2500.0}},
      {"sim_time_ns", {100.0, std::nullopt}},
  };
  EXPECT_EQ(s.expect, expect);
}

TEST(ScenarioTest, ExpectLostMayBeLoosened) {
  Scenario s =
      parse_scenario("device: { bursts: [{ vectors: [0], events: 1 }] }\nexpect: { lost: { min: 0 } }\n", "t.yaml");
  EXPECT_EQ(s.expect.at("events.lost"), (Bound{0.0, std::nullopt}));
}

TEST(ScenarioTest, OverrideChangesAValue) {
  Scenario s = parse_scenario(kBase, "t.yaml", {"device.interrupts.vectors=8"});
  EXPECT_EQ(s.vectors, 8u);
  EXPECT_EQ(s.affinity.size(), 8u);
}

TEST(ScenarioTest, OverrideCreatesAMissingKey) {
  Scenario s = parse_scenario(kBase, "t.yaml", {"run.time_us=100", "run.until=time", "seed=99", "name=other"});
  EXPECT_EQ(s.time_us, 100u);
  EXPECT_EQ(s.until, Until::kTime);
  EXPECT_EQ(s.seed, 99u);
  EXPECT_EQ(s.name, "other");
}

TEST(ScenarioTest, OverrideIndexesAndAppendsToLists) {
  Scenario s = parse_scenario(kBase, "t.yaml",
                              {"device.bursts.0.events=5", "device.bursts.0.vectors.1=3",
                               "device.bursts.1={vectors: [2], events: 7, pattern: random}"});
  ASSERT_EQ(s.bursts.size(), 2u);
  EXPECT_EQ(s.bursts[0], (BurstSpec{{0, 3}, 5, 0, Pattern::kRoundRobin}));
  EXPECT_EQ(s.bursts[1], (BurstSpec{{2}, 7, 0, Pattern::kRandom}));
}

TEST(ScenarioTest, OverrideSetsExpectBoundsInEitherForm) {
  std::string text =
      "device: { bursts: [{ vectors: [0], events: 1 }] }\n"
      "expect: { latency_ns.msi_to_isr.p99: 500, lost: 0 }\n";
  Scenario s = parse_scenario(
      text, "t.yaml", {"expect.latency_ns.msi_to_isr.p99=1000", "expect.isr.calls.min=2", "expect.events.lost=4"});
  EXPECT_EQ(s.expect.at("latency_ns.msi_to_isr.p99"), (Bound{std::nullopt, 1000.0}));
  EXPECT_EQ(s.expect.at("isr.calls"), (Bound{2.0, std::nullopt}));
  // `events.lost` from --set wins over the file's `lost` instead of being a repeated bound.
  EXPECT_EQ(s.expect.at("events.lost"), (Bound{std::nullopt, 4.0}));
}

TEST(ScenarioTest, LoadScenarioAppliesOverrides) {
  Scenario s = load_scenario(data("full.yaml"), {"host.cpus=8"});
  EXPECT_EQ(s.cpus, 8u);
}

// ---------------------------------------------------------------------------------------------
// Bad overrides: the file is `--set`, there is no line, and the override text is quoted.

TEST(ScenarioOverrideTest, UnknownKeyNamesSet) {
  ScenarioError e = parse_error(kBase, {"device.vectors=8"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_EQ(e.line(), 0);
  EXPECT_EQ(e.key(), "device.vectors");
  EXPECT_THAT(e.what(), HasSubstr("--set: device.vectors: unknown key"));
  EXPECT_THAT(e.what(), HasSubstr("did you mean 'device.interrupts.vectors'?"));
  EXPECT_THAT(e.what(), HasSubstr("device.vectors=8"));
}

TEST(ScenarioOverrideTest, BadValueNamesSet) {
  ScenarioError e = parse_error(kBase, {"device.interrupts.vectors=4096"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_EQ(e.key(), "device.interrupts.vectors");
  EXPECT_THAT(e.what(), HasSubstr("--set: device.interrupts.vectors: out of range: 4096 (allowed 1..2048)"));
}

TEST(ScenarioOverrideTest, ConsequenceInTheFileNamesTheFile) {
  // Shrinking vectors makes the file's burst vector 1 invalid: that is the file's line, not the override.
  ScenarioError e = parse_error(kBase, {"device.interrupts.vectors=1"});
  expect_at(e, 5, "device.bursts.0.vectors.1", "out of range");
}

TEST(ScenarioOverrideTest, WithoutEquals) {
  ScenarioError e = parse_error(kBase, {"device.interrupts.vectors"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_EQ(e.line(), 0);
  EXPECT_THAT(e.what(), HasSubstr("expected KEY=VALUE"));
}

TEST(ScenarioOverrideTest, EmptyKey) {
  ScenarioError e = parse_error(kBase, {"=8"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_THAT(e.what(), HasSubstr("empty key"));
  ScenarioError part = parse_error(kBase, {"device..vectors=8"});
  EXPECT_EQ(part.file(), "--set");
  EXPECT_THAT(part.what(), HasSubstr("empty part"));
}

TEST(ScenarioOverrideTest, IndexOutOfRange) {
  ScenarioError e = parse_error(kBase, {"device.bursts.3.events=5"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_EQ(e.key(), "device.bursts.3");
  EXPECT_THAT(e.what(), HasSubstr("index out of range"));
}

TEST(ScenarioOverrideTest, NotAnIndex) {
  ScenarioError e = parse_error(kBase, {"device.bursts.first.events=5"});
  EXPECT_EQ(e.key(), "device.bursts");
  EXPECT_THAT(e.what(), HasSubstr("is a list"));
}

TEST(ScenarioOverrideTest, IntoAScalar) {
  ScenarioError e = parse_error(kBase, {"host.cpus.count=2"});
  EXPECT_EQ(e.key(), "host.cpus");
  EXPECT_THAT(e.what(), HasSubstr("not a map or a list"));
}

TEST(ScenarioOverrideTest, BadYamlValue) {
  ScenarioError e = parse_error(kBase, {"host.affinity=[1, 2"});
  EXPECT_EQ(e.file(), "--set");
  EXPECT_EQ(e.key(), "host.affinity");
  EXPECT_THAT(e.what(), HasSubstr("not valid YAML"));
}

// ---------------------------------------------------------------------------------------------
// Bad files

TEST(ScenarioFileTest, SyntaxError) {
  std::string path = data("syntax_error.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), 5);  // yaml-cpp notices the unclosed `{` of line 4 at the next key
  EXPECT_THAT(e.what(), HasSubstr(path + ":5:"));
  EXPECT_THAT(e.what(), HasSubstr("YAML syntax error"));
}

TEST(ScenarioFileTest, MissingFile) {
  std::string path = data("no_such_scenario.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), 0);
  EXPECT_THAT(e.what(), HasSubstr(path + ": cannot open: No such file or directory"));
}

TEST(ScenarioFileTest, DirectoryIsUnreadable) {
  std::string path = std::string(IRQRIG_SCENARIO_TEST_DATA);
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.file(), path);
  EXPECT_THAT(e.what(), HasSubstr("cannot read"));
}

TEST(ScenarioFileTest, PermissionDenied) {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "irqrig_scenario_unreadable.yaml";
  { std::ofstream(path) << "device: { bursts: [{ vectors: [0], events: 1 }] }\n"; }
  std::filesystem::permissions(path, std::filesystem::perms::none);
  if (std::ifstream(path)) {
    std::filesystem::remove(path);
    GTEST_SKIP() << "permissions are not enforced for this user (root?)";
  }
  ScenarioError e = error_of([&] { load_scenario(path.string()); });
  std::filesystem::remove(path);
  EXPECT_EQ(e.file(), path.string());
  EXPECT_THAT(e.what(), HasSubstr("cannot open: Permission denied"));
}

TEST(ScenarioFileTest, EmptyFile) {
  std::string path = data("empty.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.file(), path);
  EXPECT_THAT(e.what(), HasSubstr(path + ": the file is empty"));
}

TEST(ScenarioFileTest, CommentsOnlyFileIsEmpty) {
  std::string path = data("comments_only.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_THAT(e.what(), HasSubstr(path + ": the file is empty"));
}

TEST(ScenarioFileTest, DocumentIsNotAMap) {
  std::string path = data("not_a_map.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.line(), 1);
  EXPECT_THAT(e.what(), HasSubstr(path + ":1:1: expected the scenario to be a map"));
  EXPECT_THAT(e.what(), HasSubstr("got a list"));
  ScenarioError scalar = parse_error("just words\n");
  EXPECT_THAT(scalar.what(), HasSubstr("t.yaml:1:1: expected the scenario to be a map"));
}

TEST(ScenarioFileTest, TwoDocuments) {
  std::string path = data("two_documents.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.line(), 5);
  EXPECT_THAT(e.what(), HasSubstr("one YAML document"));
}

TEST(ScenarioFileTest, UnknownNestedKeyWithSuggestion) {
  std::string path = data("unknown_nested.yaml");
  ScenarioError e = error_of([&] { load_scenario(path); });
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "device.interupts");
  EXPECT_THAT(e.what(), HasSubstr(path + ":3:3: device.interupts: unknown key; did you mean 'device.interrupts'?"));
}

// ---------------------------------------------------------------------------------------------
// Bad keys and values (inline)

TEST(ScenarioErrorTest, UnknownTopLevelKey) {
  ScenarioError e = parse_error(std::string(kBase) + "hosts:\n  cpus: 2\n");
  expect_at(e, 9, "hosts", "unknown key; did you mean 'host'?");
  EXPECT_THAT(e.what(), HasSubstr("t.yaml:9:1: hosts: unknown key"));
}

TEST(ScenarioErrorTest, UnknownKeyWithoutNearMatchListsTheAllowedOnes) {
  ScenarioError e = parse_error(std::string(kBase) + "  flavour: vanilla\n");
  expect_at(e, 9, "host.flavour", "allowed here: cpus, affinity, driver, costs, dpc, ipi");
}

TEST(ScenarioErrorTest, KeyInTheWrongSection) {
  ScenarioError e = parse_error(R"(device:
  cpus: 4
  bursts: [{ vectors: [0], events: 1 }]
)");
  expect_at(e, 2, "device.cpus", "did you mean 'host.cpus'?");
}

TEST(ScenarioErrorTest, UnknownKeyInsideABurst) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    - { vectors: [0], events: 1 }
    - { vectors: [0], events: 1, gap: 5 }
)");
  expect_at(e, 4, "device.bursts.1.gap", "did you mean 'device.bursts.1.gap_ns'?");
}

TEST(ScenarioErrorTest, RepeatedKey) {
  ScenarioError e = parse_error(std::string(kBase) + "  cpus: 2\n");
  expect_at(e, 9, "host.cpus", "repeated key (first given at line 8)");
}

TEST(ScenarioErrorTest, StringWhereANumberGoes) {
  std::string text = kBase;
  text.replace(text.find("cpus: 4"), 7, "cpus: four");
  expect_at(parse_error(text), 8, "host.cpus", "expected an unsigned integer, got 'four'");
}

TEST(ScenarioErrorTest, QuotedNumber) {
  std::string text = kBase;
  text.replace(text.find("cpus: 4"), 7, "cpus: \"4\"");
  expect_at(parse_error(text), 8, "host.cpus", "got the string \"4\"; write it without quotes");
}

TEST(ScenarioErrorTest, MapWhereAListGoes) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    vectors: [0]
    events: 1
)");
  expect_at(e, 3, "device.bursts", "expected a list, got a map");
}

TEST(ScenarioErrorTest, ListWhereAMapGoes) {
  ScenarioError e = parse_error(std::string(kBase) + "run: [drained]\n");
  expect_at(e, 9, "run", "expected a map (key: value), got a list");
}

TEST(ScenarioErrorTest, ScalarWhereAListGoes) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    - { vectors: 0, events: 1 }
)");
  expect_at(e, 3, "device.bursts.0.vectors", "expected a list, got '0'");
}

TEST(ScenarioErrorTest, NegativeNumber) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    - vectors: [0]
      events: -5
)");
  expect_at(e, 4, "device.bursts.0.events", "must not be negative, got -5");
}

TEST(ScenarioErrorTest, NotAWholeNumber) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    - vectors: [0]
      events: 10
      gap_ns: 1.5
)");
  expect_at(e, 5, "device.bursts.0.gap_ns", "expected a whole number, got 1.5");
}

TEST(ScenarioErrorTest, NoValue) {
  ScenarioError e = parse_error(std::string(kBase) + "seed:\n");
  expect_at(e, 9, "seed", "has no value");
}

TEST(ScenarioErrorTest, NumberTooLarge) {
  ScenarioError e = parse_error(std::string(kBase) + "seed: 99999999999999999999999\n");
  expect_at(e, 9, "seed", "too large");
}

TEST(ScenarioErrorTest, BadBool) {
  ScenarioError e = parse_error(std::string(kBase) + "  dpc: { threaded: maybe }\n");
  expect_at(e, 9, "host.dpc.threaded", "expected true or false, got 'maybe'");
}

struct RangeCase {
  std::string replace;  // a line of kBase
  std::string with;
  int line;
  std::string key;
  std::string problem;
};

void PrintTo(const RangeCase& c, std::ostream* os) { *os << c.key << " <- " << c.with; }

class ScenarioRangeTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(ScenarioRangeTest, OutOfRange) {
  const RangeCase& c = GetParam();
  std::string text = kBase;
  std::size_t at = text.find(c.replace);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, c.replace.size(), c.with);
  expect_at(parse_error(text), c.line, c.key, c.problem);
}

INSTANTIATE_TEST_SUITE_P(
    Values, ScenarioRangeTest,
    ::testing::Values(
        RangeCase{"vectors: 4", "vectors: 0", 3, "device.interrupts.vectors", "out of range: 0 (allowed 1..2048)"},
        RangeCase{"vectors: 4", "vectors: 4096", 3, "device.interrupts.vectors",
                  "out of range: 4096 (allowed 1..2048)"},
        RangeCase{"vectors: 4", "vectors: 64\n    mode: msi", 3, "device.interrupts.vectors",
                  "out of range: 64 (allowed 1..32)"},
        RangeCase{"cpus: 4", "cpus: 0", 8, "host.cpus", "out of range: 0 (allowed 1..64)"},
        RangeCase{"cpus: 4", "cpus: 65", 8, "host.cpus", "out of range: 65 (allowed 1..64)"},
        RangeCase{"events: 10", "events: 0", 6, "device.bursts.0.events", "out of range: 0 (must be at least 1)"},
        RangeCase{"cpus: 4", "cpus: 4\nrun:\n  quantum_cycles: 0", 10, "run.quantum_cycles",
                  "out of range: 0 (allowed 1..1000000)"},
        RangeCase{"cpus: 4", "cpus: 4\nrun:\n  quantum_cycles: 1000001", 10, "run.quantum_cycles",
                  "out of range: 1000001 (allowed 1..1000000)"},
        RangeCase{"cpus: 4", "cpus: 4\nrun:\n  time_us: 0", 10, "run.time_us", "out of range: 0 (must be at least 1)"},
        RangeCase{"vectors: 4", "vectors: 4\n  ring: { entries: 1 }", 4, "device.ring.entries",
                  "out of range: 1 (allowed 2..65536)"},
        RangeCase{"vectors: 4", "vectors: 4\n  ring: { entries: 131072 }", 4, "device.ring.entries",
                  "out of range: 131072 (allowed 2..65536)"}));

TEST(ScenarioErrorTest, RingNotAPowerOfTwo) {
  ScenarioError e = parse_error(R"(device:
  ring: { entries: 1000 }
  bursts: [{ vectors: [0], events: 1 }]
)");
  expect_at(e, 2, "device.ring.entries", "must be a power of two (2..65536), got 1000");
}

TEST(ScenarioErrorTest, MsiVectorsNotAPowerOfTwo) {
  ScenarioError e = parse_error(R"(device:
  interrupts: { mode: msi, vectors: 3 }
  bursts: [{ vectors: [0], events: 1 }]
)");
  expect_at(e, 2, "device.interrupts.vectors", "power of two");
  EXPECT_THAT(e.problem(), Not(HasSubstr("not supported")));  // the shape error comes first
}

TEST(ScenarioErrorTest, BurstVectorOutOfRange) {
  ScenarioError e = parse_error(R"(device:
  interrupts: { vectors: 2 }
  bursts:
    - vectors: [0, 1, 2]
      events: 5
)");
  expect_at(e, 4, "device.bursts.0.vectors.2", "vector 2 is out of range: device.interrupts.vectors is 2, so 0..1");
}

TEST(ScenarioErrorTest, BurstWithoutEvents) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    - vectors: [0]
)");
  expect_at(e, 3, "device.bursts.0.events", "required key is missing");
}

TEST(ScenarioErrorTest, MissingBursts) {
  ScenarioError e = parse_error(R"(device:
  interrupts: { vectors: 2 }
)");
  expect_at(e, 2, "device.bursts", "required key is missing");
}

TEST(ScenarioErrorTest, NoBursts) {
  ScenarioError e = parse_error("device:\n  bursts: []\n");
  expect_at(e, 2, "device.bursts", "needs at least one burst");
}

TEST(ScenarioErrorTest, MissingDevice) {
  ScenarioError e = parse_error("name: x\n");
  expect_at(e, 1, "device", "required key is missing");
}

TEST(ScenarioErrorTest, AffinityListWrongLength) {
  ScenarioError e = parse_error(std::string(kBase) + "  affinity: [0, 1, 2]\n");
  expect_at(e, 9, "host.affinity", "lists 3 CPU(s) but device.interrupts.vectors is 4");
}

TEST(ScenarioErrorTest, AffinityCpuDoesNotExist) {
  ScenarioError e = parse_error(std::string(kBase) + "  affinity:\n    - 0\n    - 1\n    - 4\n    - 2\n");
  expect_at(e, 12, "host.affinity.2", "CPU 4 does not exist: host.cpus is 4, so 0..3");
}

TEST(ScenarioErrorTest, AffinityBadWord) {
  ScenarioError e = parse_error(std::string(kBase) + "  affinity: spred\n");
  expect_at(e, 9, "host.affinity", "expected one of spread | cpu0, got 'spred'; did you mean 'spread'?");
}

TEST(ScenarioErrorTest, BadPattern) {
  ScenarioError e = parse_error(R"(device:
  bursts:
    - vectors: [0]
      events: 5
      pattern: roundrobin
)");
  expect_at(e, 5, "device.bursts.0.pattern",
            "expected one of round_robin | random | fixed, got 'roundrobin'; did you mean 'round_robin'?");
}

TEST(ScenarioErrorTest, BadUntil) {
  ScenarioError e = parse_error(std::string(kBase) + "run: { until: forever }\n");
  expect_at(e, 9, "run.until", "expected one of drained | time, got 'forever'");
}

TEST(ScenarioErrorTest, BadMode) {
  ScenarioError e = parse_error("device:\n  interrupts: { mode: msi-x }\n  bursts: [{ vectors: [0], events: 1 }]\n");
  expect_at(e, 2, "device.interrupts.mode", "did you mean 'msix'?");
}

TEST(ScenarioErrorTest, UnknownExpectFigure) {
  ScenarioError e = parse_error(std::string(kBase) + "expect:\n  isr.call: 3\n");
  expect_at(e, 10, "expect.isr.call", "unknown report figure 'isr.call'; did you mean 'isr.calls'?");
}

TEST(ScenarioErrorTest, UnknownNestedExpectFigure) {
  ScenarioError e = parse_error(std::string(kBase) + "expect:\n  latency_ns:\n    msi_to_isr: { p999: 3 }\n");
  expect_at(e, 11, "expect.latency_ns.msi_to_isr.p999", "did you mean 'latency_ns.msi_to_isr.p99'?");
}

TEST(ScenarioErrorTest, BadExpectBound) {
  expect_at(parse_error(std::string(kBase) + "expect: { lost: [0] }\n"), 9, "expect.lost",
            "expected a number (at most N) or {min: A, max: B}, got a list");
  expect_at(parse_error(std::string(kBase) + "expect: { isr.calls: { minimum: 1 } }\n"), 9, "expect.isr.calls.minimum",
            "did you mean 'min'?");
  expect_at(parse_error(std::string(kBase) + "expect: { isr.calls: { min: 5, max: 1 } }\n"), 9, "expect.isr.calls",
            "min (5) is greater than max (1)");
  expect_at(parse_error(std::string(kBase) + "expect: { lost: -1 }\n"), 9, "expect.lost", "must not be negative");
}

TEST(ScenarioErrorTest, ExpectBoundTwice) {
  ScenarioError e = parse_error(std::string(kBase) + "expect:\n  lost: 0\n  events.lost: 1\n");
  expect_at(e, 11, "expect.events.lost", "bounds events.lost again (already bounded at line 10)");
}

// ---------------------------------------------------------------------------------------------
// Mutant drivers: the parser takes any `mutant:NAME` as written; the loader knows the names (an
// unknown one is bad input there, naming the mutants: tests/host/drivers/loader_test.cpp).

TEST(ScenarioTest, MutantDriverIsStoredAsWritten) {
  const std::string base = "device:\n  bursts: [{ vectors: [0, 1], events: 1 }]\n";
  EXPECT_EQ(parse_scenario(base + "host:\n  driver: mutant:ring_wrap\n", "dir/t.yaml").driver, "mutant:ring_wrap");
  EXPECT_EQ(parse_scenario(kBase, "t.yaml", {"host.driver=mutant:one_event_per_dpc"}).driver,
            "mutant:one_event_per_dpc");
  expect_at(parse_error(base + "host:\n  driver: 'mutant:'\n"), 4, "host.driver", "expected reference, mutant:NAME");
}

TEST(ScenarioErrorTest, TyposInsideAreStillTypos) {
  std::string base = "device:\n  bursts: [{ vectors: [0], events: 1 }]\n";
  expect_at(parse_error(base + "  moderation: { frams: 8 }\n"), 3, "device.moderation.frams",
            "did you mean 'device.moderation.frames'?");
  expect_at(parse_error(base + "  masks:\n    - { vector: 4, from_us: 10 }\n"), 4, "device.masks.0.vector",
            "out of range");
  expect_at(parse_error(base + "host:\n  ipi: { period: 100 }\n"), 4, "host.ipi.period",
            "did you mean 'host.ipi.period_us'?");
  expect_at(parse_error(base + "host:\n  dpc: { importance: hihg }\n"), 4, "host.dpc.importance",
            "did you mean 'high'?");
  expect_at(parse_error(base + "host:\n  dpc: { target: 7 }\n"), 4, "host.dpc.target", "CPU 7 does not exist");
  expect_at(parse_error(base + "host:\n  driver: refrence\n"), 4, "host.driver", "did you mean 'reference'?");
  expect_at(parse_error(base + "  moderation: { frames: 0, usecs: 0 }\n"), 3, "device.moderation", "never signal");
}

TEST(ScenarioErrorMessageTest, Format) {
  EXPECT_STREQ(ScenarioError("a.yaml", 3, "host.cpus", "bad", 5).what(), "a.yaml:3:5: host.cpus: bad");
  EXPECT_STREQ(ScenarioError("a.yaml", 3, "host.cpus", "bad").what(), "a.yaml:3: host.cpus: bad");
  EXPECT_STREQ(ScenarioError("--set", 0, "device.vectors", "unknown key").what(), "--set: device.vectors: unknown key");
  EXPECT_STREQ(ScenarioError("a.yaml", 0, "", "cannot open").what(), "a.yaml: cannot open");
}

// Scenario strings end up in the JSON report, which must be UTF-8.
TEST(Scenario, AStringThatIsNotUtf8NamesFileLineAndKey) {
  const std::string base(kBase);  // 8 lines
  expect_at(parse_error(base + "name: \"\xff\xfe\"\n"), 9, "name", "is not valid UTF-8");  // raw bytes
  expect_at(parse_error(base + "name: \"a\xc3\"\n"), 9, "name", "is not valid UTF-8");  // cut short
  expect_at(parse_error(base + "name: \"\xed\xa0\x80\"\n"), 9, "name", "is not valid UTF-8");  // a surrogate
  EXPECT_EQ(parse_scenario(base + "name: \"caf\xc3\xa9 \\u00e9\"\n", "t.yaml").name, "caf\xc3\xa9 \xc3\xa9");
}

}  // namespace
}  // namespace irqrig::host
