#include "host/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace irqrig::report {
namespace {

constexpr double kTitleY = 22;
constexpr double kFontSize = 12;

/// 1, 2 or 5 x 10^k nearest above `raw`: the step of a linear axis.
double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * mag;
}

/// Rough width of `text` at the chart's font size: places legends and value labels.
double text_width(std::string_view text, double size = kFontSize) {
  return static_cast<double>(text.size()) * size * 0.56;
}

/// One SVG document built up as text.
class Svg {
 public:
  Svg(const ChartFrame& frame, double height) : frame_(frame), height_(height) {
    const std::string id = make_id(frame.id);
    fmt::format_to(std::back_inserter(out_),
                   R"(<svg xmlns="http://www.w3.org/2000/svg" id="{0}" class="chart" viewBox="0 0 {1:.0f} {2:.0f}" )"
                   R"(width="{1:.0f}" height="{2:.0f}" role="img" aria-labelledby="{0}-title {0}-desc" )"
                   R"(font-size="{3}">)"
                   "<title id=\"{0}-title\">{4}</title><desc id=\"{0}-desc\">{5}</desc>",
                   id, frame.width, height, kFontSize, escape(frame.title), escape(frame.description));
    text(14, kTitleY, frame.title, R"(class="chart-title" font-size="15" font-weight="600")");
  }

  void text(double x, double y, std::string_view content, std::string_view attrs = "") {
    fmt::format_to(std::back_inserter(out_), R"(<text x="{:.1f}" y="{:.1f}" {}>{}</text>)", x, y, attrs,
                   escape(content));
  }
  void line(double x1, double y1, double x2, double y2, std::string_view attrs) {
    fmt::format_to(std::back_inserter(out_), R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" {}/>)", x1, y1,
                   x2, y2, attrs);
  }
  /// A rectangle with a tooltip.
  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view cls,
            std::string_view tip) {
    fmt::format_to(std::back_inserter(out_),
                   R"(<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}</title></rect>)",
                   cls, x, y, std::max(w, 0.0), std::max(h, 0.0), escape(fill), escape(tip));
  }
  void raw(std::string_view s) { out_.append(s); }
  /// Colour swatches with names in one row from `x`; returns where the row ends.
  double legend(double x, double y, const std::vector<std::pair<std::string, std::string>>& items) {
    out_ += R"(<g class="legend">)";
    for (const auto& [name, color] : items) {
      fmt::format_to(std::back_inserter(out_), R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" rx="2" fill="{}"/>)",
                     x, y - 10, escape(color));
      text(x + 17, y, name, R"(class="legend-label")");
      x += 17 + text_width(name) + 18;
    }
    out_ += "</g>";
    return x;
  }
  /// The frame of a chart without data: its title and why it is empty.
  void empty(std::string_view why) {
    text(frame_.width / 2, height_ / 2, why, R"(class="empty" text-anchor="middle" fill="#6b7280")");
  }
  std::string finish() {
    out_ += "</svg>";
    return std::move(out_);
  }

 private:
  const ChartFrame& frame_;
  double height_;
  std::string out_;
};

/// Horizontal grid lines and labels of a y scale over [left, right].
void y_axis(Svg& svg, const Scale& y, double left, double right, const Formatter& fmt_tick) {
  svg.raw(R"(<g class="axis y-axis">)");
  for (double t : y.ticks(5)) {
    const double py = y(t);
    svg.line(left, py, right, py, R"(stroke="#e5e7eb" stroke-width="1")");
    svg.text(left - 6, py + 4, fmt_tick(t), R"(text-anchor="end" fill="#4b5563")");
  }
  svg.raw("</g>");
}

/// Ticks and labels of an x scale along `bottom`, optionally with vertical grid lines up to `top`.
void x_axis(Svg& svg, const Scale& x, double bottom, double top, const Formatter& fmt_tick, bool grid,
            std::size_t target = 6) {
  svg.raw(R"(<g class="axis x-axis">)");
  double label_end = -1e9;
  for (double t : x.ticks(target)) {
    const double px = x(t);
    if (grid) svg.line(px, top, px, bottom, R"(stroke="#eef0f3" stroke-width="1")");
    svg.line(px, bottom, px, bottom + 4, R"(stroke="#9ca3af")");
    // A label that would run into the previous one is left out; its tick stays.
    const std::string label = fmt_tick(t);
    if (px - text_width(label) / 2 < label_end + 8) continue;
    svg.text(px, bottom + 17, label, R"(text-anchor="middle" fill="#4b5563")");
    label_end = px + text_width(label) / 2;
  }
  svg.raw("</g>");
}

std::string trim_number(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string make_id(std::string_view text) {
  std::string out;
  for (char c : text) {
    const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    out += ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') ? l : '-';
  }
  return out.empty() ? std::string("chart") : out;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (std::fabs(v) >= 1e15) return fmt::format("{:.3g}", v);
  return trim_number(fmt::format("{:.3f}", v));
}

std::string format_si(double v) {
  if (!std::isfinite(v)) return "n/a";
  const double a = std::fabs(v);
  if (a < 1000) return a < 10 ? format_number(std::round(v * 100) / 100) : format_number(std::round(v * 10) / 10);
  static constexpr const char* kUnits[] = {"k", "M", "G", "T", "P"};
  double scaled = v;
  for (const char* unit : kUnits) {
    scaled /= 1000;
    if (std::fabs(scaled) < 999.5) return fmt::format("{:.3g}{}", scaled, unit);
  }
  return fmt::format("{:.3g}", v);
}

std::string format_ns(double ns) {
  if (!std::isfinite(ns)) return "n/a";
  const double a = std::fabs(ns);
  if (a < 1000) return fmt::format("{} ns", format_number(std::round(ns * 10) / 10));
  if (a < 999.5e3) return fmt::format("{:.3g} µs", ns / 1e3);
  if (a < 999.5e6) return fmt::format("{:.3g} ms", ns / 1e6);
  return fmt::format("{:.3g} s", ns / 1e9);
}

std::string format_count(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += "\u202f";  // narrow no-break space
    out += digits[i];
  }
  return out;
}

Scale::Scale(ScaleKind kind, double lo, double hi, double px_lo, double px_hi)
    : kind_(kind), lo_(lo), hi_(hi), px_lo_(px_lo), px_hi_(px_hi) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi))
    throw std::invalid_argument(fmt::format("scale: empty interval [{}, {}]", lo, hi));
  if (kind == ScaleKind::kLog && !(lo > 0))
    throw std::invalid_argument(fmt::format("scale: a log scale cannot reach {}", lo));
}

Scale Scale::fit(ScaleKind kind, double lo, double hi, double px_lo, double px_hi, bool from_zero) {
  if (lo > hi) std::swap(lo, hi);
  if (kind == ScaleKind::kLog) {
    if (!(lo > 0)) throw std::invalid_argument(fmt::format("scale: a log scale cannot reach {}", lo));
    if (lo == hi) return Scale(kind, lo / 2, hi * 2, px_lo, px_hi);
    return Scale(kind, lo / 1.15, hi * 1.15, px_lo, px_hi);
  }
  if (from_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
    if (from_zero && lo < 0 && hi > 0 && lo >= -pad) lo = 0;
  }
  const double step = nice_step((hi - lo) / 5);
  return Scale(kind, std::floor(lo / step) * step, std::ceil(hi / step) * step, px_lo, px_hi);
}

double Scale::operator()(double v) const {
  double t;
  if (kind_ == ScaleKind::kLog) {
    const double c = std::max(v, lo_ / 10);
    t = (std::log(c) - std::log(lo_)) / (std::log(hi_) - std::log(lo_));
  } else {
    t = (v - lo_) / (hi_ - lo_);
  }
  return px_lo_ + t * (px_hi_ - px_lo_);
}

std::vector<double> Scale::ticks(std::size_t target) const {
  std::vector<double> out;
  if (target == 0) target = 1;
  const double eps = (hi_ - lo_) * 1e-9;
  if (kind_ == ScaleKind::kLinear) {
    const double step = nice_step((hi_ - lo_) / static_cast<double>(target));
    for (double t = std::ceil((lo_ - eps) / step) * step; t <= hi_ + eps; t += step)
      out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    return out;
  }
  const int first = static_cast<int>(std::floor(std::log10(lo_)));
  const int last = static_cast<int>(std::ceil(std::log10(hi_)));
  static const std::vector<std::vector<double>> kMultiples = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  for (const auto& multiples : kMultiples) {
    out.clear();
    for (int e = first; e <= last; ++e)
      for (double m : multiples) {
        const double t = m * std::pow(10.0, e);
        if (t >= lo_ * (1 - 1e-12) && t <= hi_ * (1 + 1e-12)) out.push_back(t);
      }
    if (out.size() >= 3) break;
  }
  // Wide intervals: every k-th decade, so labels do not collide.
  if (out.size() > target + 2) {
    const std::size_t k = (out.size() + target - 1) / target;
    std::vector<double> thinned;
    for (std::size_t i = 0; i < out.size(); i += k) thinned.push_back(out[i]);
    out = std::move(thinned);
  }
  return out;
}

std::string render(const HistogramChart& c) {
  const ChartFrame& f = c.frame;
  Svg svg(f, f.height);
  const double left = 56, right = f.width - 18, top = 58, bottom = f.height - 42;
  std::uint64_t total = 0;
  std::vector<double> uppers;
  for (const auto& [upper, count] : c.buckets)
    if (count > 0) {
      total += static_cast<std::uint64_t>(count);
      uppers.push_back(std::max(upper, 1.0));
    }
  if (total == 0) {
    svg.empty("no samples");
    return svg.finish();
  }
  std::sort(uppers.begin(), uppers.end());
  // Display bins split each octave [2^m, 2^(m+1)) into k equal steps, the way the rig's histogram
  // splits it into 64: k divides 64, so every bin holds whole source buckets and the bars show no
  // aliasing comb. k is no finer than the usual (lower-quartile) spacing of the buckets, so a
  // coarsened report shows no gaps between its bins, and coarse enough that the bulk of the
  // samples spans at most 24 bins (wide bars read better than a comb of the rig's clock steps).
  std::vector<double> gaps;
  for (std::size_t i = 1; i < uppers.size(); ++i) gaps.push_back(std::log2(uppers[i] / uppers[i - 1]));
  std::sort(gaps.begin(), gaps.end());
  const double typical_gap = gaps.empty() ? 0 : gaps[gaps.size() / 4];
  unsigned k = 64;
  while (k > 1 && 1.0 / k < typical_gap * 0.999) k /= 2;
  struct Bin {
    double lo, hi;
  };
  auto bin_of = [](double v, unsigned steps) {
    const double m = std::floor(std::log2(v));
    const double j = std::min(std::floor((v / std::exp2(m) - 1) * steps), steps - 1.0);
    return static_cast<long>(m) * static_cast<long>(steps) + static_cast<long>(j);
  };
  auto edges = [](long index, unsigned steps) {
    const double m = std::floor(static_cast<double>(index) / steps);
    const double j = static_cast<double>(index) - m * steps;
    return Bin{std::exp2(m) * (1 + j / steps), std::exp2(m) * (1 + (j + 1) / steps)};
  };
  // The bin count is judged where the samples are: from the 1st percentile up, so a few early
  // outliers do not coarsen the whole plot (they are still drawn).
  double dense_from = uppers.front();
  {
    std::vector<std::pair<double, double>> sorted;
    for (const auto& [upper, count] : c.buckets)
      if (count > 0) sorted.emplace_back(std::max(upper, 1.0), count);
    std::sort(sorted.begin(), sorted.end());
    double seen = 0;
    for (const auto& [upper, count] : sorted) {
      seen += count;
      if (seen >= 0.01 * static_cast<double>(total)) {
        dense_from = upper;
        break;
      }
    }
  }
  while (k > 1 && bin_of(uppers.back(), k) - bin_of(dense_from, k) + 1 > 24) k /= 2;
  const long first = bin_of(uppers.front(), k), last = bin_of(uppers.back(), k);
  std::vector<double> bins(static_cast<std::size_t>(last - first + 1), 0);
  for (const auto& [upper, count] : c.buckets)
    if (count > 0) bins[static_cast<std::size_t>(bin_of(std::max(upper, 1.0), k) - first)] += count;
  double lo = edges(first, k).lo, hi = edges(last, k).hi, top_count = 0;
  for (const auto& m : c.markers)
    if (m.x >= 1) {
      lo = std::min(lo, m.x);
      hi = std::max(hi, m.x);
    }
  const Scale x(ScaleKind::kLog, lo / 1.08, hi * 1.08, left, right);
  for (double b : bins) top_count = std::max(top_count, b);
  const Scale y = Scale::fit(ScaleKind::kLinear, 0, top_count, bottom, top, true);
  y_axis(svg, y, left, right, format_si);
  x_axis(svg, x, bottom, top, c.x_format, false);
  svg.raw(fmt::format(R"(<g class="bars" data-samples="{}">)", total));
  for (std::size_t i = 0; i < bins.size(); ++i) {
    if (bins[i] <= 0) continue;
    const Bin b = edges(first + static_cast<long>(i), k);
    const double x0 = x(b.lo), x1 = x(b.hi);
    // The tail matters: a bin with any samples stays visible.
    const double h = std::max(bottom - y(bins[i]), 1.5);
    svg.rect(x0 + 0.5, bottom - h, std::max(x1 - x0 - 1, 1.0), h, c.color, "bar",
             fmt::format("{} – {}: {} samples ({:.2f} %)", c.x_format(b.lo), c.x_format(b.hi),
                         format_count(static_cast<std::uint64_t>(bins[i])), 100.0 * bins[i] / static_cast<double>(total)));
  }
  svg.raw("</g>");
  svg.line(left, bottom, right, bottom, R"(stroke="#6b7280")");
  svg.raw(R"(<g class="markers">)");
  double last_label_x = -1e9;
  int stagger = 0;
  for (const auto& m : c.markers) {
    const double px = x(std::max(m.x, 1.0));
    svg.line(px, top - 4, px, bottom, R"(class="marker" stroke="#111827" stroke-width="1.2" stroke-dasharray="4 3")");
    const std::string label = fmt::format("{} {}", m.label, c.x_format(m.x));
    stagger = std::fabs(px - last_label_x) < text_width(label) + 8 ? 1 - stagger : 0;
    const double lx = std::clamp(px, left + text_width(label) / 2, right - text_width(label) / 2);
    svg.text(lx, top - 8 - 14 * stagger, label, R"(class="marker-label" text-anchor="middle" font-weight="600" fill="#111827")");
    last_label_x = px;
  }
  svg.raw("</g>");
  svg.text((left + right) / 2, f.height - 8, c.x_label + " (log scale)", R"(text-anchor="middle" fill="#374151")");
  svg.text(14, top - 30 + 12, "samples", R"(fill="#6b7280" font-size="11")");
  return svg.finish();
}

std::string render(const BarChart& c) {
  const ChartFrame& f = c.frame;
  constexpr double kRow = 30, kTop = 42;
  const double height = kTop + std::max<double>(1, static_cast<double>(c.bars.size())) * kRow + 30;
  Svg svg(f, height);
  if (c.bars.empty()) {
    svg.empty("no data");
    return svg.finish();
  }
  double label_w = 0, top_value = 0, value_w = 0;
  for (const auto& b : c.bars) {
    label_w = std::max(label_w, text_width(b.label));
    top_value = std::max(top_value, b.value);
    value_w = std::max(value_w, text_width(c.value_format(b.value)));
  }
  const double left = std::min(14 + label_w + 10, f.width * 0.45), right = f.width - value_w - 24;
  const double bottom = kTop + static_cast<double>(c.bars.size()) * kRow;
  const Scale x = Scale::fit(ScaleKind::kLinear, 0, top_value, left, right, true);
  x_axis(svg, x, bottom, kTop, c.value_format, true, 5);
  svg.raw(R"(<g class="bars">)");
  for (std::size_t i = 0; i < c.bars.size(); ++i) {
    const auto& b = c.bars[i];
    const double y0 = kTop + static_cast<double>(i) * kRow;
    svg.text(left - 8, y0 + kRow / 2 + 4, b.label, R"(text-anchor="end" fill="#1f2937")");
    const double w = b.value > 0 ? std::max(x(b.value) - left, 1.5) : 0;
    const std::string value = c.value_format(b.value);
    svg.rect(left, y0 + 5, w, kRow - 10, b.color, "bar",
             b.note.empty() ? fmt::format("{}: {}", b.label, value) : fmt::format("{}: {} ({})", b.label, value, b.note));
    svg.text(left + w + 6, y0 + kRow / 2 + 4, value, R"(class="value" fill="#111827" font-weight="600")");
  }
  svg.raw("</g>");
  svg.line(left, kTop, left, bottom, R"(stroke="#6b7280")");
  return svg.finish();
}

std::string render(const StackedBarChart& c) {
  const ChartFrame& f = c.frame;
  constexpr double kRow = 26, kTop = 50;
  const double height = kTop + std::max<double>(1, static_cast<double>(c.rows.size())) * kRow + 30;
  Svg svg(f, height);
  if (c.rows.empty() || c.segments.empty()) {
    svg.empty("no data");
    return svg.finish();
  }
  std::vector<std::pair<std::string, std::string>> legend;
  for (const auto& s : c.segments) legend.emplace_back(s.name, s.color);
  svg.legend(14, 42, legend);
  double label_w = 0;
  for (const auto& r : c.rows) label_w = std::max(label_w, text_width(r));
  const double left = 14 + label_w + 10, right = f.width - 18;
  const double bottom = kTop + static_cast<double>(c.rows.size()) * kRow;
  const Scale x(ScaleKind::kLinear, 0, 100, left, right);
  x_axis(svg, x, bottom, kTop, [](double v) { return format_number(v) + " %"; }, true, 5);
  svg.raw(R"(<g class="bars">)");
  for (std::size_t r = 0; r < c.rows.size(); ++r) {
    const double y0 = kTop + static_cast<double>(r) * kRow;
    svg.text(left - 8, y0 + kRow / 2 + 4, c.rows[r], R"(text-anchor="end" fill="#1f2937")");
    double total = 0;
    for (const auto& s : c.segments) total += r < s.values.size() ? std::max(s.values[r], 0.0) : 0;
    if (total <= 0) continue;
    double at = 0;
    for (const auto& s : c.segments) {
      const double v = r < s.values.size() ? std::max(s.values[r], 0.0) : 0;
      if (v <= 0) continue;
      const double share = 100 * v / total;
      svg.rect(x(at), y0 + 4, x(at + share) - x(at), kRow - 8, s.color, "bar",
               fmt::format("{} · {}: {} ({:.1f} %)", c.rows[r], s.name, c.value_format(v), share));
      at += share;
    }
  }
  svg.raw("</g>");
  return svg.finish();
}

std::string render(const LineChart& c) {
  const ChartFrame& f = c.frame;
  Svg svg(f, f.height);
  const double left = 64, right = f.width - 24, top = 72, bottom = f.height - 46;
  double xlo = std::numeric_limits<double>::max(), xhi = std::numeric_limits<double>::lowest();
  double ylo = xlo, yhi = xhi;
  bool x_positive = true, y_positive = true;
  std::size_t points = 0;
  for (const auto& s : c.series)
    for (const auto& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      ++points;
      xlo = std::min(xlo, p.x);
      xhi = std::max(xhi, p.x);
      ylo = std::min(ylo, p.y);
      yhi = std::max(yhi, p.y);
      x_positive = x_positive && p.x > 0;
      y_positive = y_positive && p.y > 0;
    }
  std::vector<std::pair<std::string, std::string>> legend;
  for (const auto& s : c.series) legend.emplace_back(s.name, s.color);
  svg.legend(14, 42, legend);
  if (points == 0) {
    svg.empty("no data");
    return svg.finish();
  }
  const bool categorical = !c.categories.empty();
  // A log scale that would have to reach 0 falls back to a linear one (say so on the axis label).
  const ScaleKind xk = !categorical && c.x_scale == ScaleKind::kLog && x_positive ? ScaleKind::kLog : ScaleKind::kLinear;
  const ScaleKind yk = c.y_scale == ScaleKind::kLog && y_positive ? ScaleKind::kLog : ScaleKind::kLinear;
  const double n = static_cast<double>(c.categories.size());
  auto px = [&, xs = categorical ? Scale(ScaleKind::kLinear, -0.5, n - 0.5, left, right)
                                 : Scale::fit(xk, xlo, xhi, left + 10, right - 10, false)](double v) { return xs(v); };
  const Scale y = Scale::fit(yk, ylo, yhi, bottom, top, yk == ScaleKind::kLinear);
  y_axis(svg, y, left, right, c.y_format);
  if (categorical) {
    svg.raw(R"(<g class="axis x-axis">)");
    const double slot = (right - left) / n;
    for (std::size_t i = 0; i < c.categories.size(); ++i) {
      const double p = px(static_cast<double>(i));
      svg.line(p, bottom, p, bottom + 4, R"(stroke="#9ca3af")");
      std::string label = c.categories[i];
      const std::size_t fits = static_cast<std::size_t>(std::max(3.0, slot / (kFontSize * 0.56)));
      if (label.size() > fits) label = label.substr(0, fits - 1) + "…";
      svg.text(p, bottom + 17, label, R"(text-anchor="middle" fill="#4b5563")");
    }
    svg.raw("</g>");
  } else {
    x_axis(svg, Scale::fit(xk, xlo, xhi, left + 10, right - 10, false), bottom, top, c.x_format, true);
  }
  svg.line(left, bottom, right, bottom, R"(stroke="#6b7280")");
  for (const auto& s : c.series) {
    std::vector<LineChart::Point> pts;
    for (const auto& p : s.points)
      if (std::isfinite(p.x) && std::isfinite(p.y)) pts.push_back(p);
    std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
    svg.raw(fmt::format(R"(<g class="series" data-series="{}">)", escape(s.name)));
    std::string d;
    for (const auto& p : pts) d += fmt::format("{}{:.1f} {:.1f}", d.empty() ? "M" : " L", px(p.x), y(p.y));
    if (!d.empty())
      svg.raw(fmt::format(R"(<path class="line" d="{}" fill="none" stroke="{}" stroke-width="2.2" stroke-linejoin="round"/>)",
                          d, escape(s.color)));
    for (const auto& p : pts) {
      const std::string at = categorical ? c.categories[static_cast<std::size_t>(p.x)] : c.x_format(p.x);
      const std::string tip = fmt::format("{}: {} at {}{}", s.name, c.y_format(p.y), at, p.flagged ? " (failed)" : "");
      if (p.flagged)
        svg.raw(fmt::format(R"(<circle class="flag" cx="{:.1f}" cy="{:.1f}" r="7" fill="none" stroke="{}" stroke-width="2"/>)",
                            px(p.x), y(p.y), colors::kFail));
      svg.raw(fmt::format(R"(<circle class="point" cx="{:.1f}" cy="{:.1f}" r="3.6" fill="{}" stroke="#fff" stroke-width="1"><title>{}</title></circle>)",
                          px(p.x), y(p.y), escape(s.color), escape(tip)));
    }
    svg.raw("</g>");
  }
  const std::string x_label = c.x_label + (xk == ScaleKind::kLog ? " (log scale)" : "");
  svg.text((left + right) / 2, f.height - 8, x_label, R"(text-anchor="middle" fill="#374151")");
  svg.text(14, top - 12, c.y_label + (yk == ScaleKind::kLog ? " (log scale)" : ""), R"(fill="#6b7280" font-size="11")");
  return svg.finish();
}

}  // namespace irqrig::report
