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
void write_without_messages(const irqrig::host::replay::Recording& rec, const std::string& path, Drop drop) {
  using Kind = irqrig::host::replay::Entry::Kind;
  irqrig::host::replay::RecordingWriter w(path, rec.header);
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
  const irqrig::host::replay::Recording rec = irqrig::host::replay::read_recording(r.recording);
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
  const std::string report = write("unwritable_report.json", "precious\n");
  const auto r = run_cli("run scenarios/default.yaml --record /nonexistent/dir/rec.jsonl --report " + report);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--record /nonexistent/dir/rec.jsonl: cannot open for writing"), std::string::npos)
      << r.output;
  // Refused before the run: the report already there keeps what it held.
  EXPECT_EQ(slurp(report), "precious\n");
  std::filesystem::remove(report);
}

// Bad usage found after the outputs were named never empties a file the user already has: every
// combination is checked first, and outputs are only checked for writing, not truncated.
TEST_F(BadReplay, BadUsageLeavesExistingOutputsAsTheyWere) {
  const std::string waves = write("precious.fst", "precious\n"), report = write("precious.json", "precious\n"),
                    trace = write("precious_trace.json", "precious\n");
  const std::string outputs = " --report " + report + " --trace " + trace;
  const auto replay_waves = run_cli("run --replay " + recording_ + " --waves " + waves + outputs);
  EXPECT_EQ(replay_waves.code, 2) << replay_waves.output;
  EXPECT_NE(replay_waves.output.find("--waves: a replay has no RTL to trace"), std::string::npos) << replay_waves.output;
  const auto remote_waves =
      run_cli("run scenarios/default.yaml --target remote:unix:/nonexistent.sock --waves " + waves + outputs);
  EXPECT_EQ(remote_waves.code, 2) << remote_waves.output;
  EXPECT_NE(remote_waves.output.find("--waves: only the in-process target (sim)"), std::string::npos)
      << remote_waves.output;
  // A target that cannot be reached (exit 3) leaves the previous report too.
  const auto unreachable = run_cli("run scenarios/default.yaml --target remote:unix:/nonexistent.sock" + outputs);
  EXPECT_EQ(unreachable.code, 3) << unreachable.output;
  for (const auto& f : {waves, report, trace}) {
    EXPECT_EQ(slurp(f), "precious\n") << f;
    std::filesystem::remove(f);
  }
}

// Only a regular file of bounded size is read: a device would be read until memory runs out.
TEST_F(BadReplay, ARecordingThatIsNotARegularFileIsRefused) {
  const auto zero = run_cli("run --replay /dev/zero");
  EXPECT_EQ(zero.code, 2) << zero.output;
  EXPECT_NE(zero.output.find("/dev/zero: not a regular file"), std::string::npos) << zero.output;
  const std::string dir = temp_path("recording_dir");
  std::filesystem::create_directory(dir);
  const auto directory = run_cli("run --replay " + dir);
  EXPECT_EQ(directory.code, 2) << directory.output;
  EXPECT_NE(directory.output.find(dir + ": is a directory"), std::string::npos) << directory.output;
  std::filesystem::remove(dir);
}

// An end time near 2^64 ps is refused with the reason, rather than wrapping the replay's length.
TEST_F(BadReplay, AnEndBeyondWhatTheHostModelSimulatesIsRefused) {
  std::string t = text();
  const std::size_t end_line = t.rfind("{\"end\":{\"t\":");
  ASSERT_NE(end_line, std::string::npos);
  const std::size_t number = end_line + 12, comma = t.find(',', number);
  t.replace(number, comma - number, "18446744073709551615");
  const std::string bad = write("far_end.jsonl", t);
  const auto r = run_cli("run --replay " + bad);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("'t' is 18446744073709551615 ps, beyond the"), std::string::npos) << r.output;
  std::filesystem::remove(bad);
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

// A run whose target dies mid-run (the server killed) exits 3 and leaves a recording marked
// aborted, which a replay refuses (exit 2) instead of blaming the driver for the events never sent.
TEST(Replay, ARecordingOfARunWhoseTargetDiedIsRefused) {
  const std::string socket = temp_path("died.sock"), recording = temp_path("died.jsonl");
  const std::string bin = IRQRIG_BIN;
  // The server is killed once the run has connected and begun its recording (its header line).
  const auto r = irqrig::test::run_command(
      "sh -c '" + bin + " serve --listen unix:" + socket + " --once >/dev/null 2>&1 & server=$!; " +
      "while [ ! -S " + socket + " ]; do sleep 0.01; done; " + bin +
      " run scenarios/default.yaml --set \"device.bursts=[{vectors: [0, 1, 2, 3], events: 1000000, gap_ns: 200}]\" --set run.time_us=1000000 --quiet "
      "--target remote:unix:" + socket + " --record " + recording + " 2>&1 & run=$!; " +
      "while [ ! -s " + recording + " ]; do sleep 0.01; done; sleep 0.2; kill -9 $server; wait $run; echo exit $?' 2>&1");
  EXPECT_NE(r.output.find("target failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("exit 3"), std::string::npos) << r.output;
  const std::string text = slurp(recording);
  EXPECT_NE(text.find(R"("aborted":"target failed: )"), std::string::npos) << text.substr(text.size() > 400 ? text.size() - 400 : 0);
  const auto replayed = run_cli("run --replay " + recording);
  EXPECT_EQ(replayed.code, 2) << replayed.output;
  EXPECT_NE(replayed.output.find("the recorded run failed (target failed: "), std::string::npos) << replayed.output;
  EXPECT_EQ(replayed.output.find("exactly_once"), std::string::npos) << replayed.output;
  for (const auto& f : {socket, recording}) std::filesystem::remove(f);
}

/// The header of a recording made against `irqrig serve --target SERVED`.
json header_recorded_through_server(const std::string& served, const std::string& name) {
  const std::string socket = temp_path(name + ".sock"), recording = temp_path(name + ".jsonl");
  const std::string bin = IRQRIG_BIN;
  const auto r = irqrig::test::run_command(
      "sh -c '" + bin + " serve --listen unix:" + socket + " --target " + served + " --once >/dev/null 2>&1 & " +
      "while [ ! -S " + socket + " ]; do sleep 0.01; done; " + bin +
      " run tests/host/replay/data/lost_msi.yaml --quiet --target remote:unix:" + socket + " --record " + recording +
      "; echo exit $?; wait' 2>&1");
  EXPECT_NE(r.output.find("exit 0"), std::string::npos) << r.output;
  const std::string text = slurp(recording);
  for (const auto& f : {socket, recording}) std::filesystem::remove(f);
  return text.empty() ? json() : json::parse(text.substr(0, text.find('\n')));
}

// The replay's posted-write delay is the Verilated endpoint's only when the server runs it: a
// server in front of a card (HelloAck backend vfio) leaves it unknown (0), as vfio: does.
TEST(Replay, APostedWriteDelayIsRecordedOnlyForAServedEndpoint) {
  EXPECT_EQ(header_recorded_through_server("sim", "served_sim")["posted_write_ps"], 32000);
  EXPECT_EQ(header_recorded_through_server("vfio:loopback", "served_card")["posted_write_ps"], 0);
}

// What the device never sent is not waited for: a recording whose last message is missing ends
// at its own end, with that event lost and the run not drained.
TEST(Replay, ARecordingEndingWithRecordsUnprocessedEndsAtItsEnd) {
  const std::string full = temp_path("full.jsonl"), cut = temp_path("cut_end.jsonl");
  ASSERT_EQ(run_cli("run tests/host/replay/data/lost_msi.yaml --quiet --record " + full).code, 0);
  const irqrig::host::replay::Recording rec = irqrig::host::replay::read_recording(full);
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
