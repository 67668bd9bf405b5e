// The HTML reports as a browser sees them: a real run's page (scenarios/default.yaml) and a sweep's
// page are loaded by headless Chromium, and its serialized DOM must hold every plot with its marks.
// Screenshots go to IRQRIG_SCREENSHOT_DIR. Skipped, saying why, where no Chromium is installed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli_harness.h"

namespace {

namespace fs = std::filesystem;

using Result = irqrig::test::CliResult;

Result shell(const std::string& cmd) { return irqrig::test::run_command(cmd); }

/// $IRQRIG_CHROMIUM, else the first of Debian's and others' names on PATH; empty when none.
std::string find_chromium() {
  if (const char* env = std::getenv("IRQRIG_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::vector<std::string> entries;
  for (std::string d; std::getline(dirs, d, ':');) entries.push_back(d);
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
    for (const std::string& d : entries) {
      const fs::path p = fs::path(d) / name;
      if (!d.empty() && access(p.c_str(), X_OK) == 0) return p.string();
    }
  return {};
}

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    if (chromium_.empty()) GTEST_SKIP() << "chromium not found (install Debian's `chromium` or set IRQRIG_CHROMIUM)";
    dir_ = fs::temp_directory_path() / ("irqrig_browser_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  /// Chromium's own profile per call, so parallel tests do not share one; root needs --no-sandbox.
  std::string chromium(const std::string& args) const {
    return "timeout 120 " + chromium_ + " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage " +
           "--no-first-run --hide-scrollbars --user-data-dir=" + (dir_ / "profile").string() + " " + args;
  }

  /// The DOM after Chromium parsed and laid out the page.
  std::string dump_dom(const fs::path& html) const {
    const Result r = shell(chromium("--dump-dom file://" + fs::absolute(html).string()) + " 2>/dev/null");
    EXPECT_EQ(r.code, 0) << r.output;
    return r.output;
  }

  void screenshot(const fs::path& html, const std::string& name) const {
    fs::create_directories(IRQRIG_SCREENSHOT_DIR);
    const fs::path png = fs::path(IRQRIG_SCREENSHOT_DIR) / name;
    fs::remove(png);
    const Result r = shell(chromium("--window-size=1280,4000 --screenshot=" + png.string() + " file://" +
                                    fs::absolute(html).string()) + " 2>&1");
    ASSERT_EQ(r.code, 0) << r.output;
    ASSERT_TRUE(fs::exists(png)) << r.output;
    // A blank page compresses to almost nothing; plots and text do not.
    EXPECT_GT(fs::file_size(png), 40'000u) << png;
  }

  std::string chromium_;
  fs::path dir_;
};

std::size_t occurrences(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

/// The <svg> element with this id in the DOM; empty when it is not there.
std::string svg_with_id(const std::string& dom, const std::string& id) {
  const std::size_t at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const std::size_t start = dom.rfind("<svg", at);
  const std::size_t end = dom.find("</svg>", at);
  if (start == std::string::npos || end == std::string::npos) return {};
  return dom.substr(start, end + 6 - start);
}

TEST_F(Browser, RunReportShowsEveryPlot) {
  const fs::path html = dir_ / "run.html";
  const Result run = shell(std::string(IRQRIG_BIN) + " run scenarios/default.yaml --quiet --html " + html.string() + " 2>&1");
  ASSERT_EQ(run.code, 0) << run.output;
  const std::string dom = dump_dom(html);
  ASSERT_NE(dom.find("<title>irqrig run: default</title>"), std::string::npos) << dom.substr(0, 2000);
  for (const char* id : {"hist-msi_to_isr", "hist-isr_to_dpc", "hist-event_to_processed"}) {
    const std::string svg = svg_with_id(dom, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_GT(occurrences(svg, "class=\"bar\""), 0u) << id;
    EXPECT_EQ(occurrences(svg, "class=\"marker\""), 2u) << id << ": p50 and p99";
    EXPECT_NE(svg.find(">p99 "), std::string::npos) << id;
  }
  for (const char* id : {"coalescing-device", "coalescing-lapic", "coalescing-isr", "coalescing-dpc", "rates", "per-cpu-time"}) {
    const std::string svg = svg_with_id(dom, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_GT(occurrences(svg, "class=\"bar\""), 0u) << id;
    EXPECT_NE(svg.find("<title id=\""), std::string::npos) << id;
  }
  // Four CPUs in the default scenario, each with DPC time.
  EXPECT_EQ(occurrences(svg_with_id(dom, "per-cpu-time"), "· DPC:"), 4u);
  EXPECT_NE(dom.find("id=\"checks-table\""), std::string::npos);
  EXPECT_EQ(occurrences(dom, "class=\"result fail\""), 0u);
  screenshot(html, "run-default.png");
}

TEST_F(Browser, SweepReportShowsEveryPlotAndPoint) {
  // A synthetic sweep in the contract's shape: moderation usecs x burst gap, one failed point.
  nlohmann::json points = nlohmann::json::array();
  int id = 0;
  for (int usecs : {0, 5, 10, 20, 50})
    for (int gap : {100, 200, 400}) {
      const bool ok = !(usecs == 50 && gap == 100);
      const double per_isr = 1 + usecs * 200.0 / gap / 4;
      points.push_back({{"id", std::to_string(id++)},
                        {"values", {{"device.moderation.usecs", usecs}, {"device.bursts.0.gap_ns", gap}}},
                        {"ok", ok},
                        {"exit", ok ? 0 : 1},
                        {"figures",
                         {{"device.events", 10000},
                          {"events.processed", ok ? 10000 : 9990},
                          {"events.lost", ok ? 0 : 10},
                          {"events.duplicated", 0},
                          {"latency_ns.msi_to_isr.p99", 900 + 3000.0 / gap * 100},
                          {"latency_ns.isr_to_dpc.p99", 1500 + usecs * 30},
                          {"latency_ns.event_to_processed.p99", 4000 + usecs * 1000},
                          {"rates.events_per_isr", per_isr},
                          {"rates.events_per_dpc", per_isr * 1.5}}}});
    }
  const nlohmann::json results = {{"irqrig_sweep", 1},
                                  {"sweep", "moderation_sweep"},
                                  {"axes", {"device.moderation.usecs", "device.bursts.0.gap_ns"}},
                                  {"points", points}};
  const fs::path json = dir_ / "results.json", html = dir_ / "report.html";
  std::ofstream(json) << results.dump(2);
  const Result r = shell(std::string(IRQRIG_BIN) + " report " + json.string() + " --html " + html.string() + " 2>&1");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string dom = dump_dom(html);
  ASSERT_NE(dom.find("<title>irqrig sweep: moderation_sweep</title>"), std::string::npos) << dom.substr(0, 2000);
  for (const char* id : {"sweep-p99-0-device-moderation-usecs", "sweep-rates-0-device-moderation-usecs",
                         "sweep-p99-1-device-bursts-0-gap_ns", "sweep-rates-1-device-bursts-0-gap_ns"}) {
    const std::string svg = svg_with_id(dom, id);
    ASSERT_FALSE(svg.empty()) << id;
    const std::size_t d = svg.find("class=\"line\" d=\"M");
    ASSERT_NE(d, std::string::npos) << id;
    EXPECT_NE(svg.find(" L", d), std::string::npos) << id << ": a line through several values";
    EXPECT_GT(occurrences(svg, "class=\"point\""), 0u) << id;
  }
  EXPECT_EQ(occurrences(svg_with_id(dom, "sweep-p99-0-device-moderation-usecs"), "class=\"point\""), 15u);
  EXPECT_EQ(occurrences(svg_with_id(dom, "sweep-rates-1-device-bursts-0-gap_ns"), "class=\"point\""), 6u);
  const std::size_t table = dom.find("id=\"points-table\"");
  ASSERT_NE(table, std::string::npos);
  EXPECT_EQ(occurrences(dom.substr(table), "<tr class=\"fail\">"), 1u);
  EXPECT_EQ(occurrences(dom.substr(table), "<tr"), 16u);
  screenshot(html, "sweep-moderation.png");
}

}  // namespace
