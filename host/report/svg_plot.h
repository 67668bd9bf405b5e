// Inline SVG charts for the self-contained HTML reports: scales with readable ticks, histograms,
// horizontal and stacked bars, line charts, legends and accessible titles; no scripts, every text escaped.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace irqrig::report {

/// `text` with &, <, >, " and ' replaced by entities: safe in HTML and SVG text and attribute values.
std::string escape(std::string_view text);
/// `text` reduced to [a-z0-9_-] (others become '-'), for element ids built from user names.
std::string make_id(std::string_view text);

/// Number formats for axes, labels and tables.
std::string format_si(double v);             ///< 950, 1.2k, 35M: compact counts
std::string format_ns(double ns);            ///< 850 ns, 1.2 µs, 3.4 ms, 2 s
std::string format_count(std::uint64_t n);   ///< 12 345 (thin-space groups)
std::string format_number(double v);         ///< up to 3 decimals, trailing zeros dropped
using Formatter = std::function<std::string(double)>;

/// The report palette (Okabe-Ito: tells apart for colour-blind readers too), by role.
namespace colors {
inline constexpr std::string_view kBlue = "#0072b2";
inline constexpr std::string_view kOrange = "#e69f00";
inline constexpr std::string_view kGreen = "#009e73";
inline constexpr std::string_view kVermillion = "#d55e00";
inline constexpr std::string_view kPurple = "#cc79a7";
inline constexpr std::string_view kSky = "#56b4e9";
inline constexpr std::string_view kYellow = "#c9a800";
inline constexpr std::string_view kGrey = "#d9dde3";
inline constexpr std::string_view kFail = "#c62828";
}  // namespace colors

enum class ScaleKind { kLinear, kLog };

/// Maps a data interval onto a pixel interval and chooses ticks a reader can read off.
class Scale {
 public:
  /// Throws std::invalid_argument for an empty interval or a log scale that reaches 0 or below.
  Scale(ScaleKind kind, double lo, double hi, double px_lo, double px_hi);
  /// A scale around [lo, hi] widened to round bounds: a linear one to a multiple of its tick step
  /// (from 0 when `from_zero`), a log one by a margin; a single value gets an interval around it.
  static Scale fit(ScaleKind kind, double lo, double hi, double px_lo, double px_hi, bool from_zero);

  double operator()(double v) const;
  /// Round values inside the interval: steps of 1, 2 or 5 x 10^k on a linear scale; powers of ten on
  /// a log scale, with 2 and 5 (or every digit) between them when the interval is narrow.
  std::vector<double> ticks(std::size_t target = 6) const;
  ScaleKind kind() const { return kind_; }
  double lo() const { return lo_; }
  double hi() const { return hi_; }

 private:
  ScaleKind kind_;
  double lo_, hi_, px_lo_, px_hi_;
};

/// What every chart has: its element id, a visible title (also the SVG's <title>), a <desc>
/// for screen readers, and the viewBox size (the SVG scales to its container's width).
struct ChartFrame {
  std::string id;
  std::string title;
  std::string description;
  double width = 640;
  double height = 300;
};

/// A latency histogram: bars over a log x axis, vertical markers (p50, p99) labelled with values.
struct HistogramChart {
  struct Marker {
    std::string label;
    double x;
  };
  ChartFrame frame;
  std::vector<std::pair<double, double>> buckets;  ///< [upper, count], ascending; the report's shape
  std::vector<Marker> markers;
  std::string x_label = "latency";
  Formatter x_format = format_ns;
  std::string color = std::string(colors::kBlue);
};

/// Horizontal bars, one labelled row each, values written at the bar's end.
struct BarChart {
  struct Bar {
    std::string label;
    double value;
    std::string color;
    std::string note;  ///< tooltip text beside the value; may be empty
  };
  ChartFrame frame;
  std::vector<Bar> bars;
  Formatter value_format = format_si;
};

/// Horizontal stacked bars: one row per item (a CPU), segments per part (ISR, DPC, ...), each row
/// shown as shares of its total.
struct StackedBarChart {
  struct Segment {
    std::string name;
    std::string color;
    std::vector<double> values;  ///< one per row
  };
  ChartFrame frame;
  std::vector<std::string> rows;
  std::vector<Segment> segments;
  Formatter value_format = format_si;
};

/// Lines with point markers over a numeric or a categorical x axis; flagged points (a failed sweep
/// point) get a red ring.
struct LineChart {
  struct Point {
    double x;  ///< the value, or the index into `categories`
    double y;
    bool flagged = false;
  };
  struct Series {
    std::string name;
    std::string color;
    std::vector<Point> points;
  };
  ChartFrame frame;
  std::string x_label, y_label;
  ScaleKind x_scale = ScaleKind::kLinear;
  ScaleKind y_scale = ScaleKind::kLinear;
  std::vector<std::string> categories;  ///< non-empty: x is categorical
  std::vector<Series> series;
  Formatter x_format = format_number;
  Formatter y_format = format_si;
};

/// Each returns one <svg> element. Without data it is still a titled frame saying so.
std::string render(const HistogramChart& chart);
std::string render(const BarChart& chart);
std::string render(const StackedBarChart& chart);
std::string render(const LineChart& chart);

}  // namespace irqrig::report
