// The HTML pages of a run and a sweep: their sections and plots, escaping of everything taken from
// the input, tolerance of reports without the newer figures, and clear errors on bad input.
#include "host/report/html_report.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/host/report/xml_check.h"

namespace irqrig::report {
namespace {

using nlohmann::json;
using testing::element_with_id;
using testing::markup_problem;
using testing::occurrences;

json run_report() {
  return json::parse(R"({
    "irqrig_report": 1, "scenario": "default", "seed": 1, "target": "sim", "sim_time_ns": 2500000, "wall_s": 0.4,
    "device": { "events": 1000, "msi_sent": 400, "msi_pending_on_mask": 3, "moderation_coalesced": 600, "ring_overflows": 0 },
    "lapic": { "accepted": 380, "merged": 20 },
    "isr": { "calls": 380, "claimed": 380, "declined": 0 },
    "dpc": { "inserts": 380, "inserts_rejected": 80, "runs": 300, "max_runtime_ns": 9000 },
    "ipi": { "broadcasts": 0, "worker_calls": 0 },
    "events": { "processed": 1000, "lost": 0, "duplicated": 0 },
    "latency_ns": { "msi_to_isr": { "p50": 900, "p99": 1500, "max": 2000 },
                    "isr_to_dpc": { "p50": 1200, "p99": 4000, "max": 5000 },
                    "event_to_processed": { "p50": 3000, "p99": 20000, "max": 31000 } },
    "per_cpu": [ { "cpu": 0, "isr_ns": 100000, "dpc_ns": 300000, "ipi_ns": 0, "idle_ns": 2100000 },
                 { "cpu": 1, "isr_ns": 90000, "dpc_ns": 250000, "ipi_ns": 0, "idle_ns": 2160000 } ],
    "histograms": { "msi_to_isr": [[895, 200], [1010, 170], [1990, 10]],
                    "isr_to_dpc": [[1200, 250], [4000, 50]],
                    "event_to_processed": [[3000, 600], [10000, 390], [31000, 10]] },
    "rates": { "events_per_isr": 2.63, "events_per_dpc": 3.33 },
    "checks": [ { "name": "exactly_once", "ok": true, "detail": "1000 events" },
                { "name": "late", "ok": false, "detail": "seed 1, 5000 ns, CPU 1, DPC <drain>, seq 7: late & slow",
                  "first": { "time_ns": 5000, "cpu": 1, "routine": "drain", "seq": 7 } } ],
    "ok": false })");
}

json sweep_results() {
  json points = json::array();
  int id = 0;
  for (int usecs : {0, 10, 20})
    for (const char* pattern : {"round_robin", "random"}) {
      const bool ok = !(usecs == 20 && std::string(pattern) == "random");
      points.push_back({{"id", std::to_string(id++)},
                        {"values", {{"device.moderation.usecs", usecs}, {"device.bursts.0.pattern", pattern}}},
                        {"ok", ok},
                        {"exit", ok ? 0 : 1},
                        {"figures",
                         {{"device.events", 1000},
                          {"events.lost", ok ? 0 : 5},
                          {"events.duplicated", 0},
                          {"latency_ns.msi_to_isr.p99", 1000 + usecs * 10},
                          {"latency_ns.isr_to_dpc.p99", 2000 + usecs * 20},
                          {"latency_ns.event_to_processed.p99", 5000 + usecs * 1000},
                          {"rates.events_per_isr", 1 + usecs / 5.0},
                          {"rates.events_per_dpc", 2 + usecs / 5.0}}}});
    }
  return {{"irqrig_sweep", 1},
          {"sweep", "moderation <sweep>"},
          {"axes", {"device.moderation.usecs", "device.bursts.0.pattern"}},
          {"points", points}};
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("irqrig_report_test_" + std::to_string(getpid()) + "_" + name);
}

TEST(RunHtml, HasEverySectionAndPlot) {
  const std::string html = run_html(run_report());
  EXPECT_EQ(markup_problem(html), "");
  for (const char* id : {"summary", "checks", "latency", "coalescing", "cpus", "figures"})
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  for (const char* id : {"hist-msi_to_isr", "hist-isr_to_dpc", "hist-event_to_processed"}) {
    const auto svg = element_with_id(html, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_GT(occurrences(svg, R"(class="bar")"), 0u) << id;
    EXPECT_EQ(occurrences(svg, R"(class="marker")"), 2u) << id;
  }
  for (const char* id : {"coalescing-device", "coalescing-lapic", "coalescing-isr", "coalescing-dpc", "rates", "per-cpu-time"}) {
    const auto svg = element_with_id(html, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_GT(occurrences(svg, R"(class="bar")"), 0u) << id;
  }
  EXPECT_NE(html.find("<title>irqrig run: default</title>"), std::string::npos);
  EXPECT_NE(html.find(R"(<span class="badge fail">FAILED</span>)"), std::string::npos);
  // Self-contained: nothing is fetched.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // The only URL is the SVG namespace, which names and fetches nothing.
  std::string rest = html;
  for (std::size_t at; (at = rest.find("xmlns=\"http://www.w3.org/2000/svg\"")) != std::string::npos;) rest.erase(at, 34);
  EXPECT_EQ(rest.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
}

TEST(RunHtml, FailedChecksAreRedWithTheirDetailEscaped) {
  const std::string html = run_html(run_report());
  const auto table = element_with_id(html, "checks-table");
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(occurrences(table, R"(<tr class="fail">)"), 1u);
  EXPECT_EQ(occurrences(table, R"(<td class="result fail">FAILED</td>)"), 1u);
  EXPECT_EQ(occurrences(table, R"(<td class="result ok">passed</td>)"), 1u);
  EXPECT_NE(table.find("DPC &lt;drain&gt;, seq 7: late &amp; slow"), std::string::npos);
  EXPECT_NE(table.find("first: time_ns 5000, cpu 1, routine drain, seq 7"), std::string::npos);
  EXPECT_EQ(html.find("<drain>"), std::string::npos);
}

TEST(RunHtml, EscapesNamesFromTheInput) {
  json r = run_report();
  r["scenario"] = "<img src=x onerror=alert(1)>";
  r["target"] = "a\"b";
  const std::string html = run_html(r);
  EXPECT_EQ(markup_problem(html), "");
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("a&quot;b"), std::string::npos);
}

TEST(RunHtml, OlderReportWithoutHistogramsStillRenders) {
  json r = run_report();
  r.erase("histograms");
  r.erase("rates");
  const std::string html = run_html(r);
  EXPECT_EQ(markup_problem(html), "");
  EXPECT_EQ(occurrences(html, "no samples"), 3u);
  EXPECT_NE(html.find("carries no histograms"), std::string::npos);
  // The rates are derived from the counts: 1000 events / 380 claimed ISRs.
  EXPECT_NE(element_with_id(html, "rates").find("events per ISR (claimed): 2.63"), std::string::npos);
}

TEST(RunHtml, WrongTypesAreNamed) {
  json r = run_report();
  r["device"]["events"] = "many";
  try {
    run_html(r);
    FAIL() << "a string count was accepted";
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("device.events is not a number"), std::string::npos) << e.what();
  }
  r = run_report();
  r["histograms"]["msi_to_isr"] = json::array({json::array({1, 2, 3})});
  EXPECT_THROW(run_html(r), ReportError);
  r = run_report();
  r["per_cpu"] = 4;
  EXPECT_THROW(run_html(r), ReportError);
  EXPECT_THROW(run_html(json::array()), ReportError);
  EXPECT_THROW(run_html(json{{"scenario", "x"}}), ReportError);
}

TEST(SweepHtml, PlotsEachAxisAndTablesEveryPoint) {
  const std::string html = sweep_html(sweep_results());
  EXPECT_EQ(markup_problem(html), "");
  EXPECT_NE(html.find("<title>irqrig sweep: moderation &lt;sweep&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find(R"(<span class="badge fail">1 FAILED</span>)"), std::string::npos);
  for (const char* id : {"sweep-p99-0-device-moderation-usecs", "sweep-rates-0-device-moderation-usecs",
                         "sweep-p99-1-device-bursts-0-pattern", "sweep-rates-1-device-bursts-0-pattern"}) {
    const auto svg = element_with_id(html, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_GT(occurrences(svg, R"(<path class="line" d="M)"), 0u) << id;
  }
  // Three layers over the three usecs values; the worst over the two patterns.
  const auto p99 = element_with_id(html, "sweep-p99-0-device-moderation-usecs");
  EXPECT_EQ(occurrences(p99, R"(class="point")"), 9u);
  EXPECT_EQ(occurrences(p99, R"(class="flag")"), 3u);  // usecs 20 had a failed point
  EXPECT_NE(p99.find("event → processed: 25 µs at 20 (failed)"), std::string::npos);
  // The categorical axis keeps its values as labels.
  EXPECT_NE(element_with_id(html, "sweep-rates-1-device-bursts-0-pattern").find(">round_robin<"), std::string::npos);
  EXPECT_NE(html.find("combines 2 settings of the other axes"), std::string::npos);
  const auto table = element_with_id(html, "points-table");
  EXPECT_EQ(occurrences(table, "<tr"), 7u);  // header + 6 points
  EXPECT_EQ(occurrences(table, R"(<tr class="fail">)"), 1u);
  EXPECT_NE(table.find("FAILED (exit 1)"), std::string::npos);
  EXPECT_NE(html.find("1 failed (ids 5)"), std::string::npos);
}

TEST(SweepHtml, SingleAxisIsNotAggregatedAndMissingFiguresShowAsDashes) {
  json s = sweep_results();
  s["axes"] = {"device.moderation.usecs"};
  json points = json::array();
  for (auto& p : s["points"])
    if (p["values"]["device.bursts.0.pattern"] == "random") {
      p["values"].erase("device.bursts.0.pattern");
      points.push_back(p);
    }
  points.push_back({{"id", "bad"}, {"values", {{"device.moderation.usecs", 40}}}, {"ok", false}, {"exit", 2}});
  s["points"] = points;
  const std::string html = sweep_html(s);
  EXPECT_EQ(markup_problem(html), "");
  EXPECT_EQ(html.find("settings of the other axes"), std::string::npos);
  EXPECT_NE(element_with_id(html, "points-table").find("FAILED (exit 2)"), std::string::npos);
}

TEST(SweepHtml, RatesDerivedFromCountsWhenAbsent) {
  json s = {{"irqrig_sweep", 1},
            {"sweep", "s"},
            {"axes", {"gap_ns"}},
            {"points",
             {{{"id", "0"}, {"values", {{"gap_ns", 100}}}, {"ok", true}, {"exit", 0},
               {"figures", {{"events.processed", 100}, {"isr.claimed", 25}, {"dpc.runs", 50}}}}}}};
  const std::string html = sweep_html(s);
  EXPECT_NE(element_with_id(html, "sweep-rates-0-gap_ns").find("events per ISR: 4 at 100"), std::string::npos);
}

TEST(SweepHtml, EmptyAndBadShapes) {
  const std::string empty = sweep_html(json{{"irqrig_sweep", 1}, {"sweep", "nothing"}, {"axes", json::array()}, {"points", json::array()}});
  EXPECT_EQ(markup_problem(empty), "");
  EXPECT_NE(empty.find("NO POINTS"), std::string::npos);
  EXPECT_THROW(sweep_html(json{{"irqrig_sweep", 1}, {"sweep", "x"}}), ReportError);
  EXPECT_THROW(sweep_html(json{{"irqrig_sweep", 1}, {"points", 3}}), ReportError);
  EXPECT_THROW(sweep_html(json{{"irqrig_sweep", 1}, {"points", {1}}}), ReportError);
  EXPECT_THROW(sweep_html(json{{"irqrig_sweep", 1}, {"axes", {1}}, {"points", json::array()}}), ReportError);
  EXPECT_THROW(sweep_html(json{{"irqrig_sweep", 1}, {"points", {{{"id", "0"}, {"ok", "yes"}}}}}), ReportError);
  EXPECT_THROW(sweep_html(json{{"irqrig_sweep", 1}, {"points", {{{"id", "0"}, {"figures", 3}}}}}), ReportError);
}

std::string report_error(const std::function<std::string()>& render) {
  try {
    render();
  } catch (const ReportError& e) {
    return e.what();
  }
  return "rendered";
}

// Only format version 1 is rendered, and every field the page reads has the type it expects.
TEST(ReportHtml, AnotherVersionOrAFieldOfTheWrongTypeIsRefusedByName) {
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", 2}}); }), "irqrig_report is 2: only version 1 is understood");
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", "1"}}); }), "irqrig_report is \"1\": only version 1 is understood");
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", 1}, {"checks", {{{"name", 5}, {"ok", "x"}}}}}); }),
            "report: checks[0]: name is not a string (5)");
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", 1}, {"checks", {{{"name", "a"}, {"ok", "x"}}}}}); }),
            "report: checks[0]: ok is not true/false (\"x\")");
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", 1}, {"checks", {{{"name", "a"}}}}}); }),
            "report: checks[0]: ok is missing");
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", 1}, {"ok", 1}}); }), "report: ok is not true/false (1)");
  EXPECT_EQ(report_error([] { return run_html(json{{"irqrig_report", 1}, {"scenario", {1}}}); }),
            "report: scenario is not a string ([1])");
  EXPECT_EQ(report_error([] { return sweep_html(json{{"points", {{{"values", json::object()}}}}}); }),
            "not a sweep's results: the JSON object has no \"irqrig_sweep\" key");
  EXPECT_EQ(report_error([] { return sweep_html(json{{"irqrig_sweep", 3}, {"points", json::array()}}); }),
            "irqrig_sweep is 3: only version 1 is understood");
  EXPECT_EQ(report_error([] { return sweep_html(json{{"irqrig_sweep", 1}, {"points", {{{"id", 7}}}}}); }),
            "sweep results: points[0]: id is not a string (7)");
}

TEST(Files, BadInputFilesGiveClearErrors) {
  const auto missing = temp_path("missing.json");
  try {
    read_json_file(missing);
    FAIL();
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open for reading"), std::string::npos) << e.what();
  }
  const auto bad = temp_path("bad.json");
  std::ofstream(bad) << "{ \"irqrig_report\": 1, ";
  try {
    read_json_file(bad);
    FAIL();
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON (at byte"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
  const auto neither = temp_path("neither.json");
  std::ofstream(neither) << R"({"hello": 1})";
  try {
    render_file(neither, temp_path("out.html"));
    FAIL();
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("neither a run report"), std::string::npos) << e.what();
  }
  const auto wrong = temp_path("wrong.json");
  std::ofstream(wrong) << R"({"irqrig_report": 1, "device": {"events": "x"}})";
  try {
    render_file(wrong, temp_path("out.html"));
    FAIL();
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find(wrong.string() + ": report: device.events is not a number"), std::string::npos)
        << e.what();
  }
  for (const auto& p : {bad, neither, wrong}) std::filesystem::remove(p);
}

TEST(Files, WritesToAFileOrIntoADirectory) {
  const auto dir = temp_path("dir");
  std::filesystem::create_directories(dir);
  write_sweep_html(sweep_results(), dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "report.html"));
  const auto input = temp_path("run.json");
  std::ofstream(input) << run_report().dump();
  EXPECT_EQ(render_file(input, dir / "run.html"), InputKind::kRun);
  std::ifstream in(dir / "run.html");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("hist-msi_to_isr"), std::string::npos);
  EXPECT_THROW(write_run_html(run_report(), dir / "no" / "such" / "dir.html"), ReportError);
  std::filesystem::remove_all(dir);
  std::filesystem::remove(input);
}

}  // namespace
}  // namespace irqrig::report
