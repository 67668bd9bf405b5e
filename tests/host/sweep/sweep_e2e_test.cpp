// End-to-end: `irqrig sweep` on small sweeps of a fast scenario: unsharded against two shards
// merged (byte-identical results), resuming, an interrupted sweep, failing points and bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/cli_harness.h"

namespace {

namespace fs = std::filesystem;

const std::string kData = IRQRIG_SWEEP_TEST_DATA;

using Result = irqrig::test::CliResult;
using irqrig::test::slurp;

Result sweep(const std::string& args) { return irqrig::test::run_cli("sweep " + args); }

// "N ran now, M already done" from the summary line.
std::pair<int, int> ran_and_done(const std::string& output) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(R"((\d+) ran now, (\d+) already done)"))) return {-1, -1};
  return {std::stoi(m[1]), std::stoi(m[2])};
}

std::size_t records_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir / "points"))
    if (e.path().extension() == ".json" && e.path().filename().string()[0] != '.') ++n;
  return n;
}

class SweepE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("irqrig_sweep_e2e_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SweepE2e, TwoShardsMergedEqualTheUnshardedSweepAndResumeRerunsOnlyWhatIsMissing) {
  const std::string file = kData + "/tiny_sweep.yaml";
  const fs::path whole = dir_ / "whole", sharded = dir_ / "sharded";

  Result r = sweep(file + " -j 2 --out " + whole.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ran_and_done(r.output), std::make_pair(4, 0)) << r.output;
  EXPECT_EQ(records_in(whole), 4u);

  r = sweep(file + " -j 2 --shard 1/2 --out " + sharded.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ran_and_done(r.output), std::make_pair(2, 0)) << r.output;
  EXPECT_FALSE(fs::exists(sharded / "results.csv"));  // a shard merges nothing
  r = sweep(file + " -j 2 --shard 2/2 --out " + sharded.string());
  ASSERT_EQ(r.code, 0) << r.output;
  r = sweep(file + " --merge --out " + sharded.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ran_and_done(r.output), std::make_pair(0, 4)) << r.output;

  const std::string csv = slurp(whole / "results.csv"), json = slurp(whole / "results.json");
  EXPECT_EQ(slurp(sharded / "results.csv"), csv);
  EXPECT_EQ(slurp(sharded / "results.json"), json);
  // The sweep's HTML report comes with the merged results, the same whichever way they were made.
  EXPECT_NE(slurp(whole / "report.html").find("id=\"points-table\""), std::string::npos);
  EXPECT_EQ(slurp(sharded / "report.html"), slurp(whole / "report.html"));

  const auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["sweep"], "tiny_sweep");
  EXPECT_EQ(j["axes"], nlohmann::json::array({"device.moderation.frames", "host.cpus"}));
  ASSERT_EQ(j["points"].size(), 4u);
  EXPECT_EQ(j["points"][3]["values"], nlohmann::json::parse(R"({"device.moderation.frames":4,"host.cpus":2})"));
  for (const auto& p : j["points"]) {
    EXPECT_TRUE(p["ok"].get<bool>());
    EXPECT_EQ(p["exit"], 0);
    EXPECT_EQ(p["figures"]["device.events"], 200);
    EXPECT_EQ(p["figures"]["events.processed"], 200);
    EXPECT_TRUE(p["figures"].contains("latency_ns.event_to_processed.p99"));
    EXPECT_FALSE(p["figures"].contains("wall_s"));
  }
  // Moderation by 4 frames sends fewer messages than one per event.
  EXPECT_LT(j["points"][2]["figures"]["device.msi_sent"].get<int>(),
            j["points"][0]["figures"]["device.msi_sent"].get<int>());
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);

  // Running again finds everything done; deleting one record re-runs exactly that point.
  r = sweep(file + " --out " + whole.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ran_and_done(r.output), std::make_pair(0, 4)) << r.output;
  const std::string id = j["points"][1]["id"];
  ASSERT_TRUE(fs::remove(whole / "points" / (id + ".json")));
  r = sweep(file + " --out " + whole.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ran_and_done(r.output), std::make_pair(1, 3)) << r.output;
  EXPECT_EQ(slurp(whole / "results.csv"), csv);
  // A record that does not parse counts as missing too.
  std::ofstream(whole / "points" / (id + ".json")) << "{ half a rec";
  r = sweep(file + " --quiet --out " + whole.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  EXPECT_EQ(slurp(whole / "results.json"), json);
}

TEST_F(SweepE2e, MergeWithAShardMissingSaysSoAndExits3) {
  const std::string file = kData + "/tiny_sweep.yaml";
  Result r = sweep(file + " --shard 2/2 --out " + dir_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  r = sweep(file + " --merge --out " + dir_.string());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("2 of 4 points have no record"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results.csv"));
}

TEST_F(SweepE2e, AFailingPointIsRecordedAndTheSweepGoesOn) {
  const Result r = sweep(kData + "/tiny_failing.yaml --out " + dir_.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("1 ok, 1 failed checks, 0 could not run"), std::string::npos) << r.output;
  // Not a terminal: one plain line per point.
  EXPECT_NE(r.output.find("sweep: [2/2] "), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(slurp(dir_ / "results.json"));
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][0]["ok"], true);
  EXPECT_EQ(j["points"][1]["ok"], false);
  EXPECT_EQ(j["points"][1]["exit"], 1);
  EXPECT_EQ(j["points"][1]["values"]["expect.processed"], "{max: 1}");
  EXPECT_EQ(j["points"][1]["failed_checks"].size(), 1u);
  EXPECT_EQ(j["points"][1]["figures"]["events.processed"], 200);
}

TEST_F(SweepE2e, APointThatCannotRunKeepsItsStderrAndExits3) {
  // The driver path passes validation; loading it fails only in the run.
  std::ofstream(dir_.string() + ".yaml") << "scenario: " << kData << "/tiny.yaml\naxes:\n  host.driver: [reference, "
                                         << dir_.string() << "/missing_driver.so]\n";
  const Result r = sweep(dir_.string() + ".yaml --out " + dir_.string());
  fs::remove(dir_.string() + ".yaml");
  EXPECT_EQ(r.code, 3) << r.output;
  const auto j = nlohmann::json::parse(slurp(dir_ / "results.json"));
  EXPECT_EQ(j["points"][0]["ok"], true);
  EXPECT_EQ(j["points"][1]["ok"], false);
  EXPECT_NE(j["points"][1]["exit"], 0);
  EXPECT_NE(j["points"][1]["error"].get<std::string>().find("missing_driver.so"), std::string::npos) << j.dump(2);
}

TEST_F(SweepE2e, BadInputExits2NamingFileLineAndKeyBeforeRunningAnything) {
  Result r = sweep(kData + "/bad_axis_key.yaml --out " + dir_.string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("bad_axis_key.yaml:4:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("axes.device.moderation.frams: unknown key"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_));
  for (const char* args : {"--shard 3/2", "--shard 1/2 --merge", "-j 0", "--shard x", "--bogus"}) {
    r = sweep(kData + "/tiny_sweep.yaml --out " + dir_.string() + " " + args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.output;
  }
  r = sweep(kData + "/no_such_sweep.yaml");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no_such_sweep.yaml: cannot open"), std::string::npos) << r.output;
}

TEST_F(SweepE2e, InterruptedSweepKeepsFinishedPointsAndResumes) {
  const std::string file = kData + "/tiny_six.yaml";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string out = dir_.string();
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "w", stdout);
    execl(IRQRIG_BIN, IRQRIG_BIN, "sweep", file.c_str(), "-j", "1", "--out", out.c_str(), nullptr);
    _exit(127);
  }
  // Wait for the first finished point, then interrupt as Ctrl-C would.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && !(fs::exists(dir_ / "points") && records_in(dir_) >= 1))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(child, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const std::size_t kept = records_in(dir_);
  // tiny_six's points are slow enough that the signal always lands mid-sweep: no skipping.
  ASSERT_EQ(WEXITSTATUS(status), 130);
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 6u);
  EXPECT_FALSE(fs::exists(dir_ / "results.csv"));
  // Nothing half-written: every file in points/ is a whole record (temporaries removed).
  for (const auto& e : fs::directory_iterator(dir_ / "points"))
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();

  const Result r = sweep(file + " -j 2 --out " + dir_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ran_and_done(r.output), std::make_pair(static_cast<int>(6 - kept), static_cast<int>(kept))) << r.output;
}

// `irqrig sweep ... 2>&1 | head` with the reader gone: no SIGPIPE death orphaning the children; the
// sweep notices the failed write, stops as on Ctrl-C and leaves no temporaries behind. Temporaries a
// dead sweep left are removed when the next one starts; a live process's are not touched.
TEST_F(SweepE2e, AClosedOutputPipeStopsTheSweepCleanlyAndStaleTemporariesAreRemoved) {
  fs::create_directories(dir_ / "points");
  const fs::path stale = dir_ / "points" / ".999999999.p0001.stderr";  // beyond pid_max: dead
  const fs::path live = dir_ / "points" / ("." + std::to_string(getpid()) + ".p0001.stderr");
  std::ofstream(stale) << "left by a killed sweep\n";
  std::ofstream(live) << "another sweep's, still running\n";

  const std::string file = kData + "/tiny_six.yaml";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    const std::string out = dir_.string();
    execl(IRQRIG_BIN, IRQRIG_BIN, "sweep", file.c_str(), "-j", "1", "--out", out.c_str(), nullptr);
    _exit(127);
  }
  close(fds[0]);  // the reader goes away before the first line
  close(fds[1]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  fs::remove(live);
  for (const auto& e : fs::directory_iterator(dir_ / "points"))
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
  EXPECT_GE(records_in(dir_), 1u);
  EXPECT_LT(records_in(dir_), 6u);
}

// The stock sweep runs clean, and more frames per message means fewer messages at every usecs.
TEST_F(SweepE2e, StockModerationSweepPassesAndFramesCutTheMessages) {
  const Result r =
      sweep(std::string(IRQRIG_SOURCE_DIR) + "/sweeps/moderation_sweep.yaml --quiet --out " + dir_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(slurp(dir_ / "results.json"));
  ASSERT_EQ(j["axes"], nlohmann::json::array({"device.moderation.frames", "device.moderation.usecs"}));
  std::map<std::uint64_t, std::map<std::uint64_t, std::uint64_t>> msi;  // usecs -> frames -> msi_sent
  for (const auto& p : j["points"]) {
    EXPECT_TRUE(p["ok"].get<bool>()) << p.dump();
    EXPECT_EQ(p["figures"]["events.lost"], 0);
    msi[p["values"]["device.moderation.usecs"]][p["values"]["device.moderation.frames"]] =
        p["figures"]["device.msi_sent"].get<std::uint64_t>();
  }
  for (const auto& [usecs, by_frames] : msi) {
    EXPECT_EQ(by_frames.begin()->first, 1u);
    EXPECT_EQ(by_frames.begin()->second, j["points"][0]["figures"]["device.events"]) << "frames 1 signals every event";
    std::uint64_t last = UINT64_MAX;
    for (const auto& [frames, sent] : by_frames) {
      EXPECT_LE(sent, last) << "usecs " << usecs << ", frames " << frames;
      last = sent;
    }
  }
  EXPECT_LT(msi[50][64], msi[50][16]);
}

}  // namespace
