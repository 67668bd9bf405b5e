// End to end: `irqrig run --html` writes the run's page beside its JSON report, and `irqrig report`
// renders a report or a sweep's results, answering bad input with exit code 2 and the file's name.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli_harness.h"

namespace {

using Result = irqrig::test::CliResult;
using irqrig::test::temp_path;

Result run(const std::string& args) { return irqrig::test::run_cli(args); }
std::string read(const std::string& path) { return irqrig::test::slurp(path); }

TEST(ReportCli, RunWritesHtmlAndItsReportCarriesHistogramsAndRates) {
  const std::string json_path = temp_path("run.json"), html = temp_path("run.html"), again = temp_path("again.html");
  const Result r = run("run scenarios/default.yaml --quiet --report " + json_path + " --html " + html);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto report = nlohmann::json::parse(read(json_path));
  std::uint64_t total = 0;
  for (const char* layer : {"msi_to_isr", "isr_to_dpc", "event_to_processed"}) {
    const auto& h = report["histograms"][layer];
    ASSERT_TRUE(h.is_array()) << layer;
    EXPECT_FALSE(h.empty()) << layer;
    EXPECT_LE(h.size(), 64u) << layer;
    std::uint64_t previous = 0, count = 0;
    for (const auto& b : h) {
      EXPECT_GT(b[1].get<std::uint64_t>(), 0u);  // non-empty buckets only
      EXPECT_GE(b[0].get<std::uint64_t>(), previous);
      previous = b[0].get<std::uint64_t>();
      count += b[1].get<std::uint64_t>();
    }
    // The p99 lies inside the histogram's range.
    EXPECT_LE(report["latency_ns"][layer]["p99"].get<std::uint64_t>(), previous) << layer;
    if (std::string(layer) == "event_to_processed") total = count;
  }
  // Every processed event has one end-to-end latency sample.
  EXPECT_EQ(total, report["events"]["processed"].get<std::uint64_t>());
  const double per_isr = report["rates"]["events_per_isr"].get<double>();
  EXPECT_DOUBLE_EQ(per_isr, report["events"]["processed"].get<double>() / report["isr"]["claimed"].get<double>());
  EXPECT_GT(report["rates"]["events_per_dpc"].get<double>(), 0);
  const std::string page = read(html);
  EXPECT_NE(page.find("<title>irqrig run: default</title>"), std::string::npos);
  EXPECT_NE(page.find(R"(id="hist-event_to_processed")"), std::string::npos);
  // `irqrig report` renders the same report again.
  const Result rr = run("report " + json_path + " --html " + again);
  ASSERT_EQ(rr.code, 0) << rr.output;
  EXPECT_NE(rr.output.find("run report written to"), std::string::npos) << rr.output;
  EXPECT_NE(read(again).find(R"(id="per-cpu-time")"), std::string::npos);
  for (const auto& p : {json_path, html, again}) std::filesystem::remove(p);
}

TEST(ReportCli, UnwritableHtmlIsBadInputBeforeTheRun) {
  const Result r = run("run scenarios/default.yaml --quiet --html /nonexistent/dir/x.html");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--html /nonexistent/dir/x.html: cannot open for writing"), std::string::npos) << r.output;
}

TEST(ReportCli, BadInputFilesExitTwoNamingTheFile) {
  const std::string bad = temp_path("bad.json"), out = temp_path("out.html");
  std::ofstream(bad) << "[1, 2,";
  Result r = run("report " + bad + " --html " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(bad + ": not valid JSON"), std::string::npos) << r.output;
  std::ofstream(bad) << R"({"something": "else"})";
  r = run("report " + bad + " --html " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("neither a run report"), std::string::npos) << r.output;
  r = run("report " + temp_path("missing.json") + " --html " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot open for reading"), std::string::npos) << r.output;
  r = run("report " + bad);
  EXPECT_EQ(r.code, 2) << r.output;  // --html is required
  // Shapes the page cannot show: another version, fields of the wrong type, a sweep without its key.
  const std::pair<const char*, const char*> malformed[] = {
      {R"({"irqrig_report":2})", "irqrig_report is 2"},
      {R"({"irqrig_report":1,"checks":[{"name":5,"ok":"x"}]})", "checks[0]: name is not a string"},
      {R"({"points":[{"values":{}}]})", "no \"irqrig_sweep\" key"}};
  for (const auto& [text, message] : malformed) {
    std::ofstream(bad) << text;
    r = run("report " + bad + " --html " + out);
    EXPECT_EQ(r.code, 2) << text << "\n" << r.output;
    EXPECT_NE(r.output.find(bad + ": "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
  }
  std::filesystem::remove(bad);
  std::filesystem::remove(out);
}

}  // namespace
