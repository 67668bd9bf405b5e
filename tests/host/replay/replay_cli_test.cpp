// End to end (docs/replay.md): a run recorded with --record replays with --replay to the same
// report, every time, with a trace; a message lost on the "board" fails the same check in the
// replay; bad recordings and bad combinations are refused with exit code 2.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host/replay/recording.h"
#include "tests/cli_harness.h"

namespace {

using irqrig::test::read_json;
using irqrig::test::run_cli;
using irqrig::test::slurp;
using irqrig::test::temp_path;
using nlohmann::json;

/// The report less what differs between any two runs by design: wall time and the target's name.
json comparable(json report) {
  report.erase("wall_s");
  report.erase("target");
  return report;
}

struct Recorded {
  std::string recording;
  json report;
  int code;
};

Recorded record(const std::string& name, const std::string& args) {
  Recorded r;
  r.recording = temp_path(name + ".jsonl");
  const std::string report = temp_path(name + "_recorded.json");
  const auto result = run_cli("run " + args + " --quiet --record " + r.recording + " --report " + report);
  r.code = result.code;
  EXPECT_TRUE(result.code == 0 || result.code == 1) << result.output;
  r.report = read_json(report);
  std::filesystem::remove(report);
  return r;
}

json replay(const std::string& recording, const std::string& extra, int expected_code) {
  const std::string report = temp_path("replayed.json");
  const auto result = run_cli("run --replay " + recording + " --quiet --report " + report + extra);
  EXPECT_EQ(result.code, expected_code) << result.output;
  const json j = read_json(report);
  std::filesystem::remove(report);
  EXPECT_EQ(j["target"], "replay:" + recording);
  return j;
}

/// Writes `rec` to `path` with the message of every arrival `drop` names left out: its records
/// landed, its interrupt never came (what a board that loses a message leaves in a recording).
template <typename Drop>
void write_without_messages(const irqrig::replay::Recording& rec, const std::string& path, Drop drop) {
  using Kind = irqrig::replay::Entry::Kind;
  irqrig::replay::RecordingWriter w(path, rec.header);
  unsigned arrival = 0;
  for (const auto& e : rec.entries) {
    switch (e.kind) {
      case Kind::kArrival:
        if (drop(arrival++)) {
          w.records(e.time_ps, e.records);
        } else {
          w.arrival(e.time_ps, *e.message, e.records);
        }
        break;
      case Kind::kRecords: w.records(e.time_ps, e.records); break;
      case Kind::kRaw: w.raw(e.time_ps, e.raw); break;
      case Kind::kAccess: w.access(e.time_ps, e.access); break;
    }
  }
  w.close(rec.end_ps);
}

class StockScenario : public testing::TestWithParam<const char*> {};

// Every host-side figure, every check and every device counter of the recorded run come back:
// the whole report, less wall_s and target. Twice, so the replay is deterministic too.
TEST_P(StockScenario, ReplaysToTheSameReport) {
  const std::string name = GetParam();
  const Recorded r = record(name, "scenarios/" + name + ".yaml");
  const json first = replay(r.recording, "", r.code);
  EXPECT_EQ(comparable(first), comparable(r.report));
  json again = replay(r.recording, "", r.code), once = first;
  again.erase("wall_s");
  once.erase("wall_s");
  EXPECT_EQ(again.dump(2), once.dump(2));
  std::filesystem::remove(r.recording);
}

INSTANTIATE_TEST_SUITE_P(Replay, StockScenario, testing::Values("default", "mask_storm", "msi_32", "moderation_frames"));

TEST(Replay, TraceOfAReplayIsTheRecordedRunsTrace) {
  const std::string trace = temp_path("recorded_trace.json"), replayed = temp_path("replayed_trace.json");
  const std::string recording = temp_path("trace.jsonl");
  ASSERT_EQ(run_cli("run tests/host/replay/data/lost_msi.yaml --quiet --record " + recording + " --trace " + trace).code, 0);
  ASSERT_EQ(run_cli("run --replay " + recording + " --quiet --trace " + replayed).code, 0);
  EXPECT_FALSE(slurp(trace).empty());
  EXPECT_EQ(slurp(trace), slurp(replayed));
  for (const auto& f : {trace, replayed, recording}) std::filesystem::remove(f);
}

// The point of replay: a failure seen on the board comes back, as the same failed check, in a
// simulation that can be traced and stepped.
TEST(Replay, AMessageDroppedOnTheRecordedRunFailsTheSameCheck) {
  const Recorded r = record("dropped", "tests/host/replay/data/lost_msi.yaml --set 'faults.drop_msi={nth: [10]}'");
  ASSERT_EQ(r.code, 1);
  const json replayed = replay(r.recording, "", 1);
  EXPECT_EQ(comparable(replayed), comparable(r.report));
  std::string failed;
  for (const auto& c : replayed["checks"])
    if (!c["ok"].get<bool>()) failed += c["name"].get<std::string>();
  EXPECT_EQ(failed, "late");
  std::filesystem::remove(r.recording);
}

// A board that loses the message sends nothing the recording could hold: the same recording
// without its 10th message, replayed with no fault injected, fails `late` at the same record.
TEST(Replay, AMessageTheBoardNeverSentFailsTheSameCheck) {
  const Recorded r = record("board", "tests/host/replay/data/lost_msi.yaml --set 'faults.drop_msi={nth: [10]}'");
  const irqrig::replay::Recording rec = irqrig::replay::read_recording(r.recording);
  const std::string lossy = temp_path("lossy.jsonl");
  write_without_messages(rec, lossy, [](unsigned arrival) { return arrival == 9; });  // the 10th
  // The scenario named on the command line has no drop_msi: the loss is in the recording.
  const json replayed = replay(lossy, " tests/host/replay/data/lost_msi.yaml", 1);
  json expected = comparable(r.report), got = comparable(replayed);
  // The host model injected nothing: its own fault counter is the one figure that differs.
  EXPECT_EQ(expected["faults"]["msi_dropped"], 1);
  EXPECT_EQ(got["faults"]["msi_dropped"], 0);
  expected["faults"].erase("msi_dropped");
  got["faults"].erase("msi_dropped");
  EXPECT_EQ(got, expected);
  for (const auto& f : {r.recording, lossy}) std::filesystem::remove(f);
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit code 2, a message naming the file, the line and what is wrong.

class BadReplay : public testing::Test {
 protected:
  void SetUp() override {
    recording_ = temp_path("good.jsonl");
    ASSERT_EQ(run_cli("run tests/host/replay/data/lost_msi.yaml --quiet --record " + recording_).code, 0);
  }
  void TearDown() override { std::filesystem::remove(recording_); }
  std::string text() const { return slurp(recording_); }
  static std::string write(const std::string& name, const std::string& content) {
    const std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string recording_;
};

TEST_F(BadReplay, TruncatedRecordingIsRefused) {
  const std::string t = text();
  const std::string cut = write("cut.jsonl", t.substr(0, t.size() / 2));
  const auto r = run_cli("run --replay " + cut);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(cut + ":"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
  std::filesystem::remove(cut);
}

TEST_F(BadReplay, CorruptLineIsRefusedWithItsNumber) {
  std::string t = text();
  const std::size_t second = t.find('\n') + 1;
  t.insert(second, "{\"t\": garbage}\n");
  const std::string bad = write("corrupt.jsonl", t);
  const auto r = run_cli("run --replay " + bad);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(bad + ":2: not JSON"), std::string::npos) << r.output;
  std::filesystem::remove(bad);
}

TEST_F(BadReplay, AnotherVersionIsRefused) {
  std::string t = text();
  t.replace(t.find("\"irqrig_recording\":1"), 20, "\"irqrig_recording\":9");
  const std::string bad = write("version.jsonl", t);
  const auto r = run_cli("run --replay " + bad);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(bad + ":1: recording version 9; this irqrig reads version 1"), std::string::npos) << r.output;
  std::filesystem::remove(bad);
}

TEST_F(BadReplay, ReplayWithATargetIsRefused) {
  const auto r = run_cli("run --replay " + recording_ + " --target sim");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--replay and --target"), std::string::npos) << r.output;
  const auto both = run_cli("run --replay " + recording_ + " --record " + temp_path("again.jsonl"));
  EXPECT_EQ(both.code, 2) << both.output;
  EXPECT_NE(both.output.find("--record with --replay"), std::string::npos) << both.output;
}

TEST_F(BadReplay, RecordToAnUnwritablePathIsRefusedBeforeTheRun) {
  const std::string report = temp_path("unwritable_report.json");
  const auto r = run_cli("run scenarios/default.yaml --record /nonexistent/dir/rec.jsonl --report " + report);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--record /nonexistent/dir/rec.jsonl: cannot open for writing"), std::string::npos)
      << r.output;
  // Refused before the run: the report was opened but nothing was simulated into it.
  EXPECT_EQ(slurp(report), "");
  std::filesystem::remove(report);
}

TEST_F(BadReplay, RecordingWithMoreVectorsThanTheScenarioIsRefused) {
  // lost_msi sends messages 0-3; this scenario grants 2 vectors.
  const auto r = run_cli("run tests/host/replay/data/lost_msi.yaml --set device.interrupts.vectors=2 "
                         "--set 'device.bursts=[{vectors: [0, 1], events: 4}]' --replay " + recording_);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("the recording sends message 3, the scenario grants 2 vectors"), std::string::npos)
      << r.output;
}

TEST_F(BadReplay, RunWithoutScenarioOrRecordingIsRefused) {
  const auto r = run_cli("run");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("a scenario file is required (or --replay FILE"), std::string::npos) << r.output;
  const auto missing = run_cli("run --replay /nonexistent/rec.jsonl");
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/rec.jsonl: cannot open for reading"), std::string::npos)
      << missing.output;
}

// What the device never sent is not waited for: a recording whose last message is missing ends
// at its own end, with that event lost and the run not drained.
TEST(Replay, ARecordingEndingWithRecordsUnprocessedEndsAtItsEnd) {
  const std::string full = temp_path("full.jsonl"), cut = temp_path("cut_end.jsonl");
  ASSERT_EQ(run_cli("run tests/host/replay/data/lost_msi.yaml --quiet --record " + full).code, 0);
  const irqrig::replay::Recording rec = irqrig::replay::read_recording(full);
  const std::uint64_t last = rec.arrivals() - 1;
  write_without_messages(rec, cut, [last](unsigned arrival) { return arrival == last; });
  const json r = replay(cut, "", 1);
  EXPECT_EQ(r["events"]["lost"], 1);
  EXPECT_LE(r["sim_time_ns"].get<std::uint64_t>(), (rec.end_ps + 999'999) / 1'000'000 * 1000);
  std::string failed;
  for (const auto& c : r["checks"])
    if (!c["ok"].get<bool>()) failed += c["name"].get<std::string>() + " ";
  EXPECT_EQ(failed, "exactly_once drained expect:events.lost ");
  for (const auto& c : r["checks"]) {
    if (c["name"] == "drained") {
      EXPECT_NE(c["detail"].get<std::string>().find("the recording's end (us)"), std::string::npos) << c["detail"];
    }
  }
  for (const auto& f : {full, cut}) std::filesystem::remove(f);
}

}  // namespace
