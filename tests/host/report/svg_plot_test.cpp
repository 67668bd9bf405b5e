// The SVG plotting module: escaping, number formats, scales and their ticks, each chart kind with
// and without data, and that its markup is well formed.
#include "host/report/svg_plot.h"

#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/host/report/xml_check.h"

namespace irqrig::report {
namespace {

using testing::element_with_id;
using testing::markup_problem;
using testing::occurrences;

TEST(Escape, ReplacesEveryMarkupCharacter) {
  EXPECT_EQ(escape(R"(<a href="x">Tom & 'Jerry'</a>)"), "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(escape("plain µs → text"), "plain µs → text");
  EXPECT_EQ(escape(""), "");
}

TEST(Escape, IdsKeepOnlySafeCharacters) {
  EXPECT_EQ(make_id("sweep-p99-0-device.moderation.usecs"), "sweep-p99-0-device-moderation-usecs");
  EXPECT_EQ(make_id("A\"><script>"), "a---script-");
  EXPECT_EQ(make_id(""), "chart");
}

TEST(Format, Numbers) {
  EXPECT_EQ(format_ns(850), "850 ns");
  EXPECT_EQ(format_ns(1200), "1.2 µs");
  EXPECT_EQ(format_ns(3.4e6), "3.4 ms");
  EXPECT_EQ(format_ns(2e9), "2 s");
  EXPECT_EQ(format_si(950), "950");
  EXPECT_EQ(format_si(1200), "1.2k");
  EXPECT_EQ(format_si(35e6), "35M");
  EXPECT_EQ(format_si(2.5), "2.5");
  EXPECT_EQ(format_count(1234567), "1\u202f234\u202f567");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(-0.0001), "0");
  EXPECT_EQ(format_number(NAN), "n/a");
}

TEST(Scale, LinearFitsRoundBoundsAndTicks) {
  const Scale s = Scale::fit(ScaleKind::kLinear, 3, 97, 0, 500, true);
  EXPECT_EQ(s.lo(), 0);
  EXPECT_EQ(s.hi(), 100);
  EXPECT_DOUBLE_EQ(s(50), 250);
  EXPECT_EQ(s.ticks(5), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  // An inverted pixel range (a y axis) maps the top value to the top pixel.
  const Scale y = Scale::fit(ScaleKind::kLinear, 0, 10, 200, 0, true);
  EXPECT_DOUBLE_EQ(y(10), 0);
  EXPECT_DOUBLE_EQ(y(0), 200);
}

TEST(Scale, LinearSingleValueGetsAnInterval) {
  const Scale s = Scale::fit(ScaleKind::kLinear, 0, 0, 0, 100, true);
  EXPECT_LT(s.lo(), s.hi());
  const Scale t = Scale::fit(ScaleKind::kLinear, 5, 5, 0, 100, false);
  EXPECT_LT(t.lo(), 5);
  EXPECT_GT(t.hi(), 5);
}

TEST(Scale, LogTicksArePowersOfTenOrRoundMultiples) {
  const Scale wide(ScaleKind::kLog, 1, 1e6, 0, 600);
  EXPECT_EQ(wide.ticks(8), (std::vector<double>{1, 10, 100, 1e3, 1e4, 1e5, 1e6}));
  EXPECT_NEAR(wide(1e3), 300, 1e-9);
  // Narrow: no two powers of ten inside, so 2 and 5 multiples (or every digit) are used.
  const Scale narrow(ScaleKind::kLog, 120, 900, 0, 100);
  const auto t = narrow.ticks(6);
  ASSERT_GE(t.size(), 3u);
  for (double v : t) {
    EXPECT_GE(v, 120);
    EXPECT_LE(v, 900);
    const double mantissa = v / std::pow(10.0, std::floor(std::log10(v)));
    EXPECT_NEAR(mantissa, std::round(mantissa), 1e-9) << v;
  }
  // A very wide interval is thinned so labels do not collide.
  EXPECT_LE(Scale(ScaleKind::kLog, 1, 1e15, 0, 100).ticks(5).size(), 7u);
}

TEST(Scale, RejectsWhatCannotBeDrawn) {
  EXPECT_THROW(Scale(ScaleKind::kLog, 0, 10, 0, 100), std::invalid_argument);
  EXPECT_THROW(Scale(ScaleKind::kLinear, 5, 5, 0, 100), std::invalid_argument);
  EXPECT_THROW(Scale::fit(ScaleKind::kLog, -1, 10, 0, 100, false), std::invalid_argument);
}

HistogramChart histogram() {
  HistogramChart h;
  h.frame = {"hist-test", "MSI → ISR <latency> & more", "a test histogram", 640, 300};
  h.buckets = {{800, 10}, {900, 40}, {1200, 5}, {50000, 1}};
  h.markers = {{"p50", 900}, {"p99", 1200}};
  return h;
}

TEST(Histogram, DrawsBarsMarkersAndAccessibleTitle) {
  const std::string svg = render(histogram());
  EXPECT_EQ(markup_problem(svg), "") << svg;
  EXPECT_NE(svg.find(R"(id="hist-test")"), std::string::npos);
  EXPECT_NE(svg.find(R"(aria-labelledby="hist-test-title hist-test-desc")"), std::string::npos);
  EXPECT_NE(svg.find("<title id=\"hist-test-title\">MSI → ISR &lt;latency&gt; &amp; more</title>"), std::string::npos);
  EXPECT_EQ(svg.find("<latency>"), std::string::npos);
  EXPECT_NE(svg.find(R"(data-samples="56")"), std::string::npos);
  // Six octaves at no more than 24 bins: half-octave bins, so 800 and 900 ns share 768-1024 ns;
  // 1.2 µs and 50 µs get bars of their own.
  EXPECT_EQ(occurrences(svg, R"(class="bar")"), 3u);
  EXPECT_NE(svg.find("768 ns – 1.02 µs: 50 samples"), std::string::npos);
  EXPECT_EQ(occurrences(svg, R"(class="marker")"), 2u);
  EXPECT_NE(svg.find("p50 900 ns"), std::string::npos);
  EXPECT_NE(svg.find("p99 1.2 µs"), std::string::npos);
  // The lonely 50 µs sample is still drawn: a bin with samples is at least 1.5 px tall.
  EXPECT_NE(svg.find("1 samples"), std::string::npos);
}

TEST(Histogram, ZeroLatencyIsDrawnAtTheAxisStart) {
  HistogramChart h = histogram();
  h.buckets = {{0, 3}, {1, 2}};
  h.markers = {{"p50", 0}};
  const std::string svg = render(h);
  EXPECT_EQ(markup_problem(svg), "") << svg;
  EXPECT_EQ(occurrences(svg, R"(class="bar")"), 1u);
}

TEST(Charts, EmptyDataIsATitledFrameSayingSo) {
  HistogramChart h = histogram();
  h.buckets.clear();
  const std::string hs = render(h);
  EXPECT_NE(hs.find("no samples"), std::string::npos);
  EXPECT_EQ(occurrences(hs, R"(class="bar")"), 0u);
  EXPECT_EQ(markup_problem(hs), "");

  BarChart b;
  b.frame = {"bars", "Bars", "", 640, 0};
  EXPECT_NE(render(b).find("no data"), std::string::npos);
  StackedBarChart s;
  s.frame = {"stack", "Stack", "", 640, 0};
  EXPECT_NE(render(s).find("no data"), std::string::npos);
  LineChart l;
  l.frame = {"line", "Line", "", 640, 300};
  l.series = {{"empty", "#000", {}}};
  const std::string ls = render(l);
  EXPECT_NE(ls.find("no data"), std::string::npos);
  EXPECT_NE(ls.find(R"(id="line")"), std::string::npos);
  EXPECT_EQ(markup_problem(ls), "");
}

TEST(BarChart, OneRowPerBarWithValueAndTooltip) {
  BarChart b;
  b.frame = {"coalescing-device", "Device", "", 640, 0};
  b.bars = {{"events generated", 10000, "#0072b2", ""}, {"coalesced <by> moderation", 0, "#e69f00", "no message"}};
  const std::string svg = render(b);
  EXPECT_EQ(markup_problem(svg), "") << svg;
  EXPECT_EQ(occurrences(svg, R"(class="bar")"), 2u);
  EXPECT_NE(svg.find("<title>events generated: 10k</title>"), std::string::npos);
  EXPECT_NE(svg.find("coalesced &lt;by&gt; moderation: 0 (no message)"), std::string::npos);
  // A zero value is an empty bar, not a negative or minimum one.
  EXPECT_NE(svg.find(R"(width="0.0")"), std::string::npos);
}

TEST(StackedBarChart, RowsAreSharesOfTheirTotal) {
  StackedBarChart s;
  s.frame = {"per-cpu-time", "CPUs", "", 960, 0};
  s.rows = {"CPU 0", "CPU 1"};
  s.segments = {{"ISR", "#d55e00", {250, 0}}, {"idle", "#ddd", {750, 0}}};
  s.value_format = format_ns;
  const std::string svg = render(s);
  EXPECT_EQ(markup_problem(svg), "") << svg;
  EXPECT_NE(svg.find("CPU 0 · ISR: 250 ns (25.0 %)"), std::string::npos);
  EXPECT_NE(svg.find("CPU 0 · idle: 750 ns (75.0 %)"), std::string::npos);
  // CPU 1 has no time at all: no segment, but its row label.
  EXPECT_EQ(occurrences(svg, R"(class="bar")"), 2u);
  EXPECT_NE(svg.find(">CPU 1<"), std::string::npos);
  EXPECT_EQ(occurrences(svg, R"(class="legend-label")"), 2u);
}

TEST(LineChart, SortedPathsMarkersAndFlags) {
  LineChart l;
  l.frame = {"sweep-p99", "p99", "", 640, 320};
  l.x_label = "usecs";
  l.series = {{"MSI → ISR", "#0072b2", {{20, 5000}, {0, 1000}, {10, 3000, true}}}};
  const std::string svg = render(l);
  EXPECT_EQ(markup_problem(svg), "") << svg;
  const auto d = svg.find(R"(<path class="line" d="M)");
  ASSERT_NE(d, std::string::npos);
  EXPECT_EQ(occurrences(svg, R"(class="point")"), 3u);
  EXPECT_EQ(occurrences(svg, R"(class="flag")"), 1u);
  EXPECT_NE(svg.find("MSI → ISR: 3k at 10 (failed)"), std::string::npos);
  EXPECT_NE(svg.find(">usecs<"), std::string::npos);
}

TEST(LineChart, LogAxisFallsBackToLinearAtZero) {
  LineChart l;
  l.frame = {"l", "t", "", 640, 320};
  l.x_label = "usecs";
  l.x_scale = ScaleKind::kLog;
  l.series = {{"s", "#000", {{0, 1}, {100, 2}}}};
  EXPECT_NE(render(l).find(">usecs<"), std::string::npos);
  l.series = {{"s", "#000", {{1, 1}, {100, 2}}}};
  EXPECT_NE(render(l).find(">usecs (log scale)<"), std::string::npos);
}

TEST(LineChart, CategoricalAxisLabelsEachCategory) {
  LineChart l;
  l.frame = {"cat", "by pattern", "", 640, 320};
  l.categories = {"round_robin", "random", "<fixed>"};
  l.series = {{"events per ISR", "#0072b2", {{0, 1.5}, {1, 2}, {2, 4}}}};
  const std::string svg = render(l);
  EXPECT_EQ(markup_problem(svg), "") << svg;
  EXPECT_NE(svg.find(">round_robin<"), std::string::npos);
  EXPECT_NE(svg.find(">&lt;fixed&gt;<"), std::string::npos);
  EXPECT_FALSE(element_with_id(svg, "cat").empty());
}

TEST(XmlCheck, CatchesBrokenMarkup) {
  EXPECT_EQ(markup_problem("<svg><g></g></svg>"), "");
  EXPECT_NE(markup_problem("<svg><g></svg>"), "");
  EXPECT_NE(markup_problem("<svg>a < b</svg>"), "");
  EXPECT_NE(markup_problem("<svg>Tom & Jerry</svg>"), "");
  EXPECT_NE(markup_problem("<svg x=1></svg>"), "");
}

}  // namespace
}  // namespace irqrig::report
