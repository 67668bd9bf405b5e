// Unit tests of the sweep library: sweep files and their errors, the product's order and ids,
// shards, records, figures, results CSV/JSON, the progress line and the process launcher.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "host/scenario/scenario.h"
#include "host/sweep/launcher.h"
#include "host/sweep/progress.h"
#include "host/sweep/results.h"
#include "host/sweep/spec.h"

namespace {

using irqrig::host::ScenarioError;
using namespace irqrig::host::sweep;
using nlohmann::ordered_json;

const std::string kData = IRQRIG_SWEEP_TEST_DATA;
// An in-memory sweep "lives" in the data folder so `scenario: tiny.yaml` resolves.
const std::string kFile = kData + "/inline.yaml";

SweepSpec parse(const std::string& text) { return parse_sweep(text, kFile); }

// The error a sweep text raises, parsing and validating every point.
ScenarioError error_of(const std::string& text) {
  try {
    const SweepSpec spec = parse(text);
    validate(spec, expand(spec));
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return ScenarioError("", 0, "", "");
}

TEST(SweepSpec, ReadsScenarioSetAxesAndRanges) {
  const SweepSpec s = parse(
      "name: demo\n"
      "scenario: tiny.yaml\n"
      "set: { run.time_us: 3000 }\n"
      "axes:\n"
      "  device.moderation.frames: { from: 1, to: 16, mul: 2 }\n"
      "  device.moderation.usecs: { from: 0, to: 25, step: 10 }\n"
      "  host.affinity: [spread, cpu0, '[1, 0]']\n");
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(s.scenario, "tiny.yaml");
  EXPECT_EQ(s.scenario_path, kData + "/tiny.yaml");
  ASSERT_EQ(s.fixed.size(), 1u);
  EXPECT_EQ(s.fixed[0].text, "run.time_us=3000");
  ASSERT_EQ(s.axes.size(), 3u);
  std::vector<std::string> frames, usecs;
  for (const auto& v : s.axes[0].values) frames.push_back(v.text);
  for (const auto& v : s.axes[1].values) usecs.push_back(v.text);
  EXPECT_EQ(frames, (std::vector<std::string>{"1", "2", "4", "8", "16"}));
  EXPECT_EQ(usecs, (std::vector<std::string>{"0", "10", "20"}));
  EXPECT_EQ(s.axes[0].values[2].json, 4);
  EXPECT_EQ(s.axes[2].values[0].json, "spread");
  // A quoted value stays a string for the scenario parser too.
  EXPECT_EQ(s.axes[2].values[2].text, "\"[1, 0]\"");
  EXPECT_EQ(s.axes[2].values[2].json, "[1, 0]");
  EXPECT_EQ(point_count(s), 5u * 3u * 3u);
}

TEST(SweepSpec, NameDefaultsToTheFileStemAndListsKeepTheirFlowText) {
  const SweepSpec s = parse("scenario: tiny.yaml\naxes:\n  device.bursts.0.vectors: [[0], [0, 1]]\n");
  EXPECT_EQ(s.name, "inline");
  EXPECT_EQ(s.axes[0].values[1].text, "[0, 1]");
  const auto points = expand(s);
  EXPECT_NO_THROW(validate(s, points));
  EXPECT_EQ(points[1].overrides.back(), "device.bursts.0.vectors=[0, 1]");
}

TEST(SweepSpec, ProductIsRowMajorWithTheLastAxisFastest) {
  const SweepSpec s = parse("scenario: tiny.yaml\naxes:\n  host.cpus: [1, 2, 3]\n  device.moderation.frames: [1, 8]\n");
  const auto points = expand(s);
  ASSERT_EQ(points.size(), 6u);
  std::vector<std::string> seen;
  for (const auto& p : points) {
    EXPECT_EQ(p.index, static_cast<std::size_t>(&p - points.data()));
    seen.push_back(p.overrides[0] + " " + p.overrides[1]);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "host.cpus=1 device.moderation.frames=1", "host.cpus=1 device.moderation.frames=8",
                      "host.cpus=2 device.moderation.frames=1", "host.cpus=2 device.moderation.frames=8",
                      "host.cpus=3 device.moderation.frames=1", "host.cpus=3 device.moderation.frames=8"}));
  EXPECT_EQ(point_values(s, points[3]).dump(), R"({"host.cpus":2,"device.moderation.frames":8})");
  // Fixed overrides come first in every point.
  const SweepSpec f = parse("scenario: tiny.yaml\nset: { run.time_us: 100 }\naxes: { host.cpus: [1] }\n");
  EXPECT_EQ(expand(f)[0].overrides, (std::vector<std::string>{"run.time_us=100", "host.cpus=1"}));
}

TEST(SweepSpec, IdsAreStableUniqueAndSurviveExtendingAnAxis) {
  const std::string text = "scenario: tiny.yaml\naxes:\n  host.cpus: [1, 2]\n  device.moderation.frames: [1, 8]\n";
  const auto a = expand(parse(text));
  const auto b = expand(parse(text));
  std::set<std::string> ids;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].id.size(), 16u);
    ids.insert(a[i].id);
  }
  EXPECT_EQ(ids.size(), a.size());
  // A third CPU count moves indices, not the ids of the points that already were.
  const auto c =
      expand(parse("scenario: tiny.yaml\naxes:\n  host.cpus: [1, 2, 4]\n  device.moderation.frames: [1, 8]\n"));
  std::set<std::string> extended;
  for (const auto& p : c) extended.insert(p.id);
  for (const auto& id : ids) EXPECT_TRUE(extended.count(id)) << id;
  // What the point runs is in its id: another scenario text, another id.
  EXPECT_NE(point_id("seed: 1\n", {"host.cpus=1"}), point_id("seed: 2\n", {"host.cpus=1"}));
  EXPECT_NE(point_id("", {"a=1", "b=2"}), point_id("", {"a=1b=2"}));
  // FNV-1a 64 of one NUL byte, murmur3-finalized: the algorithm is pinned (ids must agree across builds).
  EXPECT_EQ(point_id("", {}), "b9034ad37056f5fb");
}

TEST(SweepSpec, SeedsAddALastAxisFromTheBaseSeed) {
  const SweepSpec s = parse("scenario: tiny.yaml\naxes: { host.cpus: [1, 2] }\nseeds: 3\n");
  ASSERT_EQ(s.axes.size(), 2u);
  EXPECT_EQ(s.axes[1].key, "seed");
  std::vector<std::string> seeds;
  for (const auto& v : s.axes[1].values) seeds.push_back(v.text);
  EXPECT_EQ(seeds, (std::vector<std::string>{"5", "6", "7"}));  // tiny.yaml's seed is 5
  EXPECT_EQ(point_count(s), 6u);
  // Seeds alone make a sweep.
  EXPECT_EQ(point_count(parse("scenario: tiny.yaml\nseeds: 4\n")), 4u);
  // The base seed is the one after `set:`.
  const SweepSpec t = parse("scenario: tiny.yaml\nset: { seed: 100 }\nseeds: 2\n");
  EXPECT_EQ(t.axes[0].values[0].text, "100");
}

TEST(SweepShard, ShardsPartitionThePoints) {
  const auto points =
      expand(parse("scenario: tiny.yaml\naxes:\n  host.cpus: [1, 2, 3]\n  device.moderation.frames: [1, 2, 4]\n"));
  for (unsigned n : {1u, 2u, 4u, 9u, 20u}) {
    std::vector<int> hits(points.size());
    for (unsigned i = 1; i <= n; ++i)
      for (const auto& p : points)
        if (in_shard(p.index, i, n)) ++hits[p.index];
    for (int h : hits) EXPECT_EQ(h, 1) << n << " shards";
  }
  EXPECT_TRUE(in_shard(0, 1, 2));
  EXPECT_TRUE(in_shard(1, 2, 2));
  EXPECT_FALSE(in_shard(2, 2, 2));
}

TEST(SweepShard, ParsesIOverN) {
  EXPECT_EQ(parse_shard("1/2"), std::make_pair(1u, 2u));
  EXPECT_EQ(parse_shard("8/8"), std::make_pair(8u, 8u));
  for (const char* bad : {"0/2", "3/2", "1/0", "1", "/2", "1/", "a/b", "1/2/3", "-1/2", "1 /2"})
    EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
}

TEST(SweepSpec, BadInputNamesFileLineAndKey) {
  {
    const auto e = error_of("scenario: tiny.yaml\naxis:\n  host.cpus: [1]\n");
    EXPECT_EQ(e.file(), kFile);
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.key(), "axis");
    EXPECT_NE(e.problem().find("did you mean 'axes'"), std::string::npos) << e.what();
  }
  {  // an axis key the scenario parser refuses: at that axis's value
    const auto e = error_of("scenario: tiny.yaml\naxes:\n  host.cpus: [1, 2]\n  device.moderation.frams: [1, 4]\n");
    EXPECT_EQ(e.line(), 4) << e.what();
    EXPECT_EQ(e.key(), "axes.device.moderation.frams");
    EXPECT_NE(e.problem().find("unknown key"), std::string::npos) << e.what();
  }
  {  // a value the parser refuses, found in a later point: at that value
    const auto e = error_of("scenario: tiny.yaml\naxes:\n  host.cpus:\n    - 1\n    - 2\n    - 0\n");
    EXPECT_EQ(e.line(), 6) << e.what();
    EXPECT_EQ(e.key(), "axes.host.cpus");
    EXPECT_NE(e.problem().find("value 0"), std::string::npos) << e.what();
  }
  {  // a fixed override the parser refuses
    const auto e = error_of("scenario: tiny.yaml\nset:\n  host.cpus: 99\naxes: { seed: [1] }\n");
    EXPECT_EQ(e.line(), 3) << e.what();
    EXPECT_EQ(e.key(), "set.host.cpus");
  }
  struct Case {
    const char* text;
    int line;
    const char* key;
    const char* words;
  };
  for (const Case& c : std::vector<Case>{
           {"scenario: tiny.yaml\naxes:\n  host.cpus: []\n", 3, "axes.host.cpus", "at least one value"},
           {"scenario: tiny.yaml\naxes: {}\n", 2, "axes", "no axes"},
           {"scenario: tiny.yaml\n", 0, "axes", "no axes"},
           {"axes: { host.cpus: [1] }\n", 0, "scenario", "missing"},
           {"scenario: nowhere.yaml\naxes: { host.cpus: [1] }\n", 1, "scenario", "cannot open"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: 4\n", 3, "axes.host.cpus", "expected a list"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: [1, 2, 1]\n", 3, "axes.host.cpus", "appears twice"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: [1]\n  host.cpus: [2]\n", 4, "axes.host.cpus", "repeated"},
           {"scenario: tiny.yaml\nset: { host.cpus: 2 }\naxes:\n  host.cpus: [1]\n", 4, "axes.host.cpus",
            "also under set"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: { from: 4, to: 1, step: 1 }\n", 3, "axes.host.cpus.to", ""},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: { from: 1, to: 4 }\n", 3, "axes.host.cpus", "exactly one of"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: { from: 1, to: 4, stp: 1 }\n", 3, "axes.host.cpus.stp",
            "did you mean 'step'"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: { from: 0, to: 4, mul: 2 }\n", 3, "axes.host.cpus.from",
            "1 or more"},
           {"scenario: tiny.yaml\naxes:\n  host.cpus: [1, ~]\n", 3, "axes.host.cpus", "no value"},
           {"scenario: tiny.yaml\nseeds: 0\n", 2, "seeds", ""},
           {"scenario: tiny.yaml\naxes: { seed: [1] }\nseeds: 2\n", 3, "seeds", "already given"},
           {"scenario: tiny.yaml\naxes:\n  a: { from: 1, to: 1000, step: 1 }\n  b: { from: 1, to: 1000, step: 1 }\n"
            "  c: [1, 2]\n",
            2, "axes", "more than"},
           {"[1, 2]\n", 1, "", "expected a sweep"},
           {"scenario: [tiny.yaml\n", 2, "", "YAML syntax error"},
           {"", 0, "", "empty"},
       }) {
    const auto e = error_of(c.text);
    EXPECT_EQ(e.line(), c.line) << c.text << " -> " << e.what();
    EXPECT_EQ(e.key(), c.key) << c.text << " -> " << e.what();
    EXPECT_NE(e.problem().find(c.words), std::string::npos) << c.text << " -> " << e.what();
  }
}

TEST(SweepSpec, ACombinationTheScenarioRefusesNamesThePoint) {
  {  // At the value, with the point's other values: vector 3 does not exist with 2 vectors.
    const auto e = error_of(
        "scenario: tiny.yaml\naxes:\n  device.interrupts.vectors: [4, 2]\n  device.bursts.0.vectors: [[0, 3]]\n");
    EXPECT_EQ(e.file(), kFile);
    EXPECT_EQ(e.line(), 4);
    EXPECT_EQ(e.key(), "axes.device.bursts.0.vectors.1");
    EXPECT_NE(e.problem().find("point 1 (device.interrupts.vectors=2, device.bursts.0.vectors=[0, 3])"),
              std::string::npos)
        << e.what();
  }
  {  // In the scenario file (its burst uses vector 1), caused by the axis: at `axes:`, naming the point.
    const auto e = error_of("scenario: tiny.yaml\naxes:\n  device.interrupts.vectors: [2, 1]\n");
    EXPECT_EQ(e.key(), "axes");
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(e.problem().find("point 1 (device.interrupts.vectors=1)"), std::string::npos) << e.what();
    EXPECT_NE(e.problem().find("tiny.yaml:"), std::string::npos) << e.what();
  }
}

TEST(SweepSpec, LoadsTheStockModerationSweep) {
  const SweepSpec s = load_sweep(std::string(IRQRIG_SOURCE_DIR) + "/sweeps/moderation_sweep.yaml");
  const auto points = expand(s);
  EXPECT_GE(points.size(), 4u);
  EXPECT_LE(points.size(), 12u);
  EXPECT_NO_THROW(validate(s, points));
}

ordered_json sample_report(std::uint64_t events, bool ok) {
  ordered_json r;
  r["irqrig_report"] = 1;
  r["scenario"] = "tiny";
  r["seed"] = 5;
  r["target"] = "sim";
  r["sim_time_ns"] = 1234;
  r["wall_s"] = 0.25;
  r["device"] = {{"events", events}, {"msi_sent", 7}};
  r["latency_ns"] = {{"msi_to_isr", {{"p50", 10}, {"p99", 20}, {"max", 30}}}};
  r["rates"] = {{"events_per_isr", 1.5}};
  r["per_cpu"] = ordered_json::array({{{"cpu", 0}, {"isr_ns", 1}}});
  r["checks"] = ordered_json::array({{{"name", "exactly_once"}, {"ok", ok}, {"detail", ""}},
                                     {{"name", "expect:events.lost"}, {"ok", true}, {"detail", ""}}});
  r["ok"] = ok;
  return r;
}

TEST(SweepResults, FiguresAreTheReportsNumbersWithoutHostDependentOnes) {
  const ordered_json f = flatten_figures(sample_report(200, true));
  EXPECT_EQ(f.dump(), R"({"sim_time_ns":1234,"device.events":200,"device.msi_sent":7,"latency_ns.msi_to_isr.p50":10,)"
                      R"("latency_ns.msi_to_isr.p99":20,"latency_ns.msi_to_isr.max":30,"rates.events_per_isr":1.5})");
  EXPECT_TRUE(flatten_figures(ordered_json()).empty());
  EXPECT_EQ(failed_checks(sample_report(1, false)), std::vector<std::string>{"exactly_once"});
}

TEST(SweepResults, RecordsRoundTripAndJunkIsNoRecord) {
  PointRecord r;
  r.id = "0123456789abcdef";
  r.index = 3;
  r.values = {{"host.cpus", 2}};
  r.overrides = {"host.cpus=2"};
  r.exit = 1;
  r.report = sample_report(10, false);
  EXPECT_TRUE(r.ran());
  EXPECT_FALSE(r.ok());
  const auto back = record_from_json(to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json(*back), to_json(r));

  PointRecord broken = r;
  broken.exit = 3;
  broken.report = nullptr;
  broken.error = "irqrig: target failed: boom";
  EXPECT_FALSE(broken.ran());
  EXPECT_FALSE(record_from_json(ordered_json{{"id", "x"}}));
  EXPECT_FALSE(record_from_json(ordered_json::array()));

  const auto dir = std::filesystem::temp_directory_path() / ("irqrig_sweep_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  write_atomically(dir / "r.json", to_json(r).dump());
  ASSERT_TRUE(read_record(dir / "r.json"));
  EXPECT_EQ(to_json(*read_record(dir / "r.json")), to_json(r));
  write_atomically(dir / "r.json", "{ truncated");
  EXPECT_FALSE(read_record(dir / "r.json"));
  EXPECT_FALSE(read_record(dir / "absent.json"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);  // no temporary file left behind
  EXPECT_THROW(write_atomically(dir / "no" / "such" / "dir.json", "{}"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(SweepResults, CsvQuotesFieldsPerRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
}

TEST(SweepResults, MergedJsonAndCsvHaveOneRowPerPoint) {
  const SweepSpec s = parse("name: m\nscenario: tiny.yaml\naxes:\n  host.affinity: [spread, '[0, 1]']\n");
  const auto points = expand(s);
  std::vector<PointRecord> records;
  for (const auto& p : points) {
    PointRecord r;
    r.id = p.id;
    r.index = p.index;
    r.values = point_values(s, p);
    r.overrides = p.overrides;
    records.push_back(r);
  }
  records[0].report = sample_report(200, true);
  records[1].exit = 3;
  records[1].error = "irqrig: target failed: gone, \"really\"";
  const ordered_json merged = merge(s, records);
  EXPECT_EQ(merged["sweep"], "m");
  EXPECT_EQ(merged["axes"], ordered_json::array({"host.affinity"}));
  ASSERT_EQ(merged["points"].size(), 2u);
  EXPECT_EQ(merged["points"][0]["ok"], true);
  EXPECT_EQ(merged["points"][0]["figures"]["device.events"], 200);
  EXPECT_EQ(merged["points"][1]["ok"], false);
  EXPECT_EQ(merged["points"][1]["exit"], 3);
  EXPECT_TRUE(merged["points"][1]["figures"].empty());
  for (const char* k : {"id", "values", "ok", "exit", "failed_checks", "error", "figures"})
    EXPECT_TRUE(merged["points"][1].contains(k)) << k;

  const std::string csv = to_csv(merged);
  const std::string header =
      "id,host.affinity,ok,exit,failed_checks,sim_time_ns,device.events,device.msi_sent,latency_ns.msi_to_isr.p50,"
      "latency_ns.msi_to_isr.p99,latency_ns.msi_to_isr.max,rates.events_per_isr\n";
  const std::string row0 = points[0].id + ",spread,true,0,,1234,200,7,10,20,30,1.5\n";
  const std::string row1 = points[1].id + ",\"[0, 1]\",false,3,,,,,,,,\n";
  EXPECT_EQ(csv, header + row0 + row1);
}

TEST(SweepProgress, LineShowsCountsRateAndEta) {
  EXPECT_EQ(progress_line(0, 10, 0, 0), "[........................] 0/10 points");
  EXPECT_EQ(progress_line(5, 10, 1, 2.0), "[############............] 5/10 points, 1 failed, 2.5 points/s, ETA 0:02");
  EXPECT_EQ(progress_line(10, 10, 0, 4.0), "[########################] 10/10 points, 2.5 points/s, ETA 0:00");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3723), "1:02:03");
}

TEST(SweepLauncher, RunsEveryJobAndReportsHowEachEnded) {
  std::vector<JobEnd> ends(5);
  std::vector<int> order;
  const bool finished = run_jobs(
      5, 2,
      [](std::size_t i) {
        Job j;
        if (i == 4) {
          j.argv = {"/nonexistent/program"};
        } else if (i == 3) {
          j.argv = {"/bin/sh", "-c", "kill -9 $$"};
        } else {
          j.argv = {"/bin/sh", "-c", "exit " + std::to_string(i)};
        }
        return j;
      },
      [&](std::size_t i, const JobEnd& e) {
        ends[i] = e;
        order.push_back(static_cast<int>(i));
      });
  EXPECT_TRUE(finished);
  EXPECT_EQ(order.size(), 5u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ends[i].exit, i);
  EXPECT_EQ(ends[3].signal, 9);
  EXPECT_EQ(ends[3].exit, 128 + 9);
  EXPECT_EQ(ends[4].exit, 127);
  EXPECT_NE(ends[4].spawn_error.find("/nonexistent/program"), std::string::npos);
  for (const auto& e : ends) EXPECT_FALSE(e.interrupted);
}

TEST(SweepLauncher, NeverRunsMoreThanParallelAtOnce) {
  // Each job holds a lock file for a moment; a job that finds the limit exceeded exits 1.
  const auto dir = std::filesystem::temp_directory_path() / ("irqrig_sweep_par_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string script =
      "d=" + dir.string() + "; touch $d/$$; n=$(ls $d | wc -l); sleep 0.05; rm $d/$$; [ $n -le 2 ]";
  int failures = 0;
  run_jobs(
      8, 2,
      [&](std::size_t) {
        return Job{{"/bin/sh", "-c", script}};
      },
      [&](std::size_t, const JobEnd& e) { failures += e.exit != 0; });
  EXPECT_EQ(failures, 0);
  std::filesystem::remove_all(dir);
}

TEST(SweepLauncher, AnInterruptStopsTheRunningJobsAndStartsNoMore) {
  std::vector<std::size_t> started;
  std::vector<JobEnd> ends;
  const auto t0 = std::chrono::steady_clock::now();
  const bool finished = run_jobs(
      4, 2,
      [&](std::size_t i) {
        started.push_back(i);
        // Ctrl-C while the second job starts: blocked here, so it is the launcher that takes it.
        if (i == 1) kill(getpid(), SIGINT);
        return Job{{"/bin/sleep", "5"}};
      },
      [&](std::size_t, const JobEnd& e) { ends.push_back(e); });
  EXPECT_FALSE(finished);
  EXPECT_EQ(started, (std::vector<std::size_t>{0, 1}));
  ASSERT_EQ(ends.size(), 2u);
  for (const JobEnd& e : ends) {
    EXPECT_TRUE(e.interrupted);
    EXPECT_EQ(e.signal, SIGTERM);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
}

}  // namespace
