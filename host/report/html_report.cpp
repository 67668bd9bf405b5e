#include "host/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "host/report/svg_plot.h"

namespace irqrig::report {
namespace {

using nlohmann::json;

/// The three latency layers of the report, in the order an interrupt passes them.
struct Layer {
  const char* key;
  const char* name;
  std::string_view color;
  const char* meaning;
};
constexpr Layer kLayers[] = {
    {"msi_to_isr", "MSI → ISR", colors::kBlue,
     "from the MSI write reaching its local APIC to the ISR routine starting (APIC wait, IRQL, entry cost)"},
    {"isr_to_dpc", "ISR → DPC", colors::kOrange,
     "from KeInsertQueueDpc in the ISR to the DPC routine starting (queue wait, entry cost)"},
    {"event_to_processed", "event → processed", colors::kGreen,
     "from the event record reaching host memory to the driver marking it processed: the whole path"},
};

constexpr std::string_view kStyle = R"css(
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff; --ok:#1b7f3b; --fail:#c62828;
        --fail-bg:#fdecec; --accent:#0072b2; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 28px clamp(12px, 3vw, 40px) 48px; }
header { display:flex; flex-wrap:wrap; align-items:baseline; gap: 8px 16px; margin-bottom: 8px; }
header .kicker { width:100%; text-transform:uppercase; letter-spacing:.08em; font-size:12px; color:var(--muted); font-weight:600; }
h1 { margin:0; font-size: clamp(24px, 3vw, 32px); letter-spacing:-.01em; }
h2 { font-size: 19px; margin: 36px 0 4px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.lead, p.note { color:#374151; margin: 6px 0 14px; max-width: 80ch; }
p.meta { width:100%; margin:0; color:var(--muted); }
.badge { display:inline-block; padding: 2px 10px; border-radius: 999px; font-weight:700; font-size:13px; letter-spacing:.04em; }
.badge.ok { background:#e6f4ea; color:var(--ok); } .badge.fail { background:var(--fail-bg); color:var(--fail); }
.cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 14px 0; }
.card { background:var(--card); border:1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.card .v { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .l { font-size: 12.5px; color: var(--muted); }
.card.bad { border-color:#f3b4b4; background:var(--fail-bg); } .card.bad .v { color:var(--fail); }
.grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 16px; }
figure, .panel { margin:0; background:var(--card); border:1px solid var(--line); border-radius: 10px; padding: 10px 12px 12px; }
.panel h3 { margin: 6px 2px 10px; font-size: 15px; } .panel .table-wrap { border:none; border-radius:0; }
.panel p.note { font-size: 13px; color:#4b5563; }
figure svg.chart { display:block; width:100%; height:auto; }
figcaption { font-size: 13px; color:#4b5563; margin-top: 6px; }
svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.chart rect.bar:hover, svg.chart circle.point:hover { opacity:.75; }
.table-wrap { overflow-x:auto; background:var(--card); border:1px solid var(--line); border-radius:10px; }
table { border-collapse: collapse; width:100%; font-size: 13.5px; }
th, td { text-align:left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background:#f9fafb; font-weight:600; color:#374151; position: sticky; top: 0; overflow-wrap: anywhere; }
td.result { white-space: nowrap; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:last-child td { border-bottom: none; }
tr.fail td { background: var(--fail-bg); }
td.result.ok { color: var(--ok); font-weight:600; } td.result.fail { color: var(--fail); font-weight:700; }
td.detail { color:#374151; word-break: break-word; }
details { margin: 14px 0; } summary { cursor:pointer; color: var(--accent); font-weight:600; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
@media print { body { background:#fff; } figure, .card, .table-wrap { break-inside: avoid; } }
)css";

// ----------------------------------------------------------------------------------------------
// Reading the input: a field is absent (shown as "—") or of the right type; a wrong type is an error.

const json* find(const json& j, std::string_view dotted) {
  const json* cur = &j;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = dotted.find('.', start);
    const std::string part(dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!cur->is_object()) return nullptr;
    const auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

std::optional<double> number(const json& j, std::string_view path, std::string_view what = "report") {
  const json* v = find(j, path);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number()) throw ReportError(fmt::format("{}: {} is not a number ({})", what, path, v->dump()));
  return v->get<double>();
}

double number_or(const json& j, std::string_view path, double fallback = 0) {
  return number(j, path).value_or(fallback);
}

std::string text_of(const json& j, std::string_view path, std::string fallback = "") {
  const json* v = find(j, path);
  if (!v || v->is_null()) return fallback;
  return v->is_string() ? v->get<std::string>() : v->dump();
}

// A text field the page shows: absent/null is allowed (the fallback shows), anything but a string is not.
std::string string_field(const json& j, std::string_view path, std::string_view what, std::string fallback = "") {
  const json* v = find(j, path);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) throw ReportError(fmt::format("{}: {} is not a string ({})", what, path, v->dump()));
  return v->get<std::string>();
}

// A true/false field: absent is `fallback`, anything but a boolean is refused.
bool bool_field(const json& j, std::string_view path, std::string_view what, bool fallback = false) {
  const json* v = find(j, path);
  if (!v) return fallback;
  if (!v->is_boolean()) throw ReportError(fmt::format("{}: {} is not true/false ({})", what, path, v->dump()));
  return v->get<bool>();
}

// The format version a reader of this page understands: 1; another (or none) is refused by name.
void check_version(const json& j, std::string_view key, std::string_view what) {
  const json* v = find(j, key);
  if (!v) throw ReportError(fmt::format("not {}: the JSON object has no \"{}\" key", what, key));
  if (!v->is_number_integer() || v->get<long long>() != 1)
    throw ReportError(fmt::format("{} is {}: only version 1 is understood", key, v->dump()));
}

std::string count_text(std::optional<double> v) {
  if (!v) return "—";
  return *v >= 0 && *v == std::floor(*v) && *v < 1.8e19 ? format_count(static_cast<std::uint64_t>(*v)) : format_number(*v);
}

std::string ns_text(std::optional<double> v) { return v ? format_ns(*v) : "—"; }

/// Every scalar of `j` under its dotted path, in document order (arrays by index).
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], fmt::format("{}.{}", prefix, i), out);
  } else {
    out.emplace_back(prefix, j.is_string() ? j.get<std::string>() : j.dump());
  }
}

// ----------------------------------------------------------------------------------------------
// Page parts.

std::string page(std::string_view title, std::string_view body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"irqrig\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n{}"
      "<footer>Generated by irqrig. This page is self-contained: no scripts, fonts or links are loaded. "
      "Hover a bar or a point for its value. See docs/reports.md for how to read each plot.</footer>\n"
      "</main>\n</body>\n</html>\n",
      escape(title), kStyle, body);
}

std::string card(std::string_view label, std::string_view value, bool bad = false) {
  return fmt::format(R"(<div class="card{}"><div class="v">{}</div><div class="l">{}</div></div>)", bad ? " bad" : "",
                     escape(value), escape(label));
}

std::string figure(const std::string& svg, std::string_view caption) {
  return fmt::format("<figure>{}<figcaption>{}</figcaption></figure>\n", svg, escape(caption));
}

/// One table cell: its text (escaped when written) and an optional class ("result fail").
struct Cell {
  Cell(std::string t, std::string c = "") : text(std::move(t)), cls(std::move(c)) {}
  Cell(const char* t) : text(t) {}
  std::string text;
  std::string cls;
};

/// A table from a header and rows of cells; `numeric` marks right-aligned columns; a row whose
/// flag is set gets class "fail".
struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;
  std::vector<std::pair<bool, std::vector<Cell>>> rows;
  std::string id;

  std::string html() const {
    std::string out = fmt::format(R"(<div class="table-wrap"><table{}><thead><tr>)",
                                  id.empty() ? "" : fmt::format(R"( id="{}")", make_id(id)));
    for (std::size_t i = 0; i < header.size(); ++i)
      out += fmt::format(R"(<th{}>{}</th>)", i < numeric.size() && numeric[i] ? R"( class="num")" : "", escape(header[i]));
    out += "</tr></thead><tbody>";
    for (const auto& [failed, cells] : rows) {
      out += failed ? R"(<tr class="fail">)" : "<tr>";
      for (std::size_t i = 0; i < cells.size(); ++i) {
        std::string cls = cells[i].cls;
        if (i < numeric.size() && numeric[i]) cls += cls.empty() ? "num" : " num";
        out += fmt::format(R"(<td{}>{}</td>)", cls.empty() ? "" : fmt::format(R"( class="{}")", escape(cls)),
                           escape(cells[i].text));
      }
      out += "</tr>";
    }
    return out + "</tbody></table></div>\n";
  }
};

std::vector<std::pair<double, double>> buckets_of(const json& report, const char* layer) {
  std::vector<std::pair<double, double>> out;
  const json* h = find(report, std::string("histograms.") + layer);
  if (!h || h->is_null()) return out;
  if (!h->is_array()) throw ReportError(fmt::format("report: histograms.{} is not an array of [upper_ns, count]", layer));
  for (const json& b : *h) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number())
      throw ReportError(fmt::format("report: histograms.{} has an entry that is not [upper_ns, count]: {}", layer, b.dump()));
    out.emplace_back(b[0].get<double>(), b[1].get<double>());
  }
  return out;
}

double ratio(double n, double d) { return d > 0 ? n / d : 0; }

// ----------------------------------------------------------------------------------------------
// The run page.

std::string run_summary(const json& r) {
  const double lost = number_or(r, "events.lost"), dup = number_or(r, "events.duplicated");
  const double processed = number_or(r, "events.processed");
  const double per_isr = number(r, "rates.events_per_isr").value_or(ratio(processed, number_or(r, "isr.claimed")));
  const double per_dpc = number(r, "rates.events_per_dpc").value_or(ratio(processed, number_or(r, "dpc.runs")));
  std::string out = R"(<section id="summary"><h2>Summary</h2><div class="cards">)";
  out += card("events generated", count_text(number(r, "device.events")));
  out += card("events processed", count_text(number(r, "events.processed")));
  out += card("lost", count_text(number(r, "events.lost")), lost > 0);
  out += card("duplicated", count_text(number(r, "events.duplicated")), dup > 0);
  out += card("MSIs sent", count_text(number(r, "device.msi_sent")));
  out += card("ISR calls", count_text(number(r, "isr.calls")));
  out += card("DPC runs", count_text(number(r, "dpc.runs")));
  out += card("events per ISR", format_number(std::round(per_isr * 100) / 100));
  out += card("events per DPC run", format_number(std::round(per_dpc * 100) / 100));
  out += card("p99 event → processed", ns_text(number(r, "latency_ns.event_to_processed.p99")));
  out += "</div>";
  std::size_t failed = 0, checks = 0;
  if (const json* c = find(r, "checks"); c && c->is_array())
    for (const json& ch : *c) {
      ++checks;
      if (ch.is_object() && ch.contains("ok") && ch["ok"].is_boolean() && !ch["ok"].get<bool>()) ++failed;
    }
  out += fmt::format(
      R"(<p class="lead">Scenario <b>{}</b> with seed {} on target {} generated {} events in {} of simulated time ({:.2f} s wall). )"
      R"({} were processed, {} lost and {} duplicated; {} of {} checks failed.</p>)",
      escape(string_field(r, "scenario", "report", "?")), escape(text_of(r, "seed", "?")), escape(string_field(r, "target", "report", "?")),
      count_text(number(r, "device.events")), ns_text(number(r, "sim_time_ns")), number_or(r, "wall_s"),
      count_text(number(r, "events.processed")), count_text(number(r, "events.lost")),
      count_text(number(r, "events.duplicated")), failed, checks);
  return out + "</section>\n";
}

std::string run_checks(const json& r) {
  const json* c = find(r, "checks");
  std::string out = R"(<section id="checks"><h2>Checks</h2>)";
  if (!c || !c->is_array() || c->empty()) return out + R"(<p class="note">This report has no checks.</p></section>)";
  Table t{{"Check", "Result", "Detail"}, {false, false, false}, {}, "checks-table"};
  for (const json& ch : *c) {
    if (!ch.is_object()) throw ReportError(fmt::format("report: a check is not an object: {}", ch.dump()));
    const std::size_t at = t.rows.size();
    const std::string what = fmt::format("report: checks[{}]", at);
    if (!ch.contains("name")) throw ReportError(fmt::format("{}: name is missing", what));
    const std::string name = string_field(ch, "name", what);
    if (!ch.contains("ok")) throw ReportError(fmt::format("{}: ok is missing", what));
    const bool ok = bool_field(ch, "ok", what);
    std::string detail = string_field(ch, "detail", what);
    if (const json* first = find(ch, "first"); first && first->is_object()) {
      // The contract's order (when, where, what), then anything else.
      std::vector<std::string> keys{"time_ns", "cpu", "routine", "seq"};
      for (auto it = first->begin(); it != first->end(); ++it)
        if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
      std::vector<std::string> parts;
      for (const std::string& k : keys)
        if (first->contains(k)) parts.push_back(fmt::format("{} {}", k, text_of(*first, k)));
      detail += fmt::format(" [first: {}]", fmt::join(parts, ", "));
    }
    t.rows.push_back({!ok, {Cell(name), Cell(ok ? "passed" : "FAILED", ok ? "result ok" : "result fail"),
                            Cell(detail, "detail")}});
  }
  const std::string html = t.html();
  return out + html + "</section>\n";
}

std::string run_latency(const json& r) {
  std::string out = R"(<section id="latency"><h2>Latency per layer</h2>)"
                    R"(<p class="note">How long each layer held an interrupt. Bars count samples on a log time )"
                    R"(axis; the dashed lines mark p50 and p99. A second hump or a long right tail is where to look.</p><div class="grid">)";
  Table t{{"Layer", "samples", "p50", "p99", "max"}, {false, true, true, true, true}, {}, "latency-table"};
  for (const Layer& l : kLayers) {
    HistogramChart h;
    h.frame = {fmt::format("hist-{}", l.key), fmt::format("{} latency", l.name),
               fmt::format("Histogram of {} latency: {}", l.name, l.meaning), 640, 300};
    h.buckets = buckets_of(r, l.key);
    h.color = std::string(l.color);
    const std::string base = std::string("latency_ns.") + l.key;
    const auto p50 = number(r, base + ".p50"), p99 = number(r, base + ".p99"), max = number(r, base + ".max");
    double samples = 0;
    for (const auto& b : h.buckets) samples += b.second;
    if (samples > 0) {
      if (p50) h.markers.push_back({"p50", *p50});
      if (p99) h.markers.push_back({"p99", *p99});
    }
    std::string caption = fmt::format("{}: {}.", l.name, l.meaning);
    if (!find(r, "histograms")) caption += " This report carries no histograms (written by an older irqrig).";
    out += figure(render(h), caption);
    t.rows.push_back({false, {l.name, samples > 0 ? format_count(static_cast<std::uint64_t>(samples)) : "—",
                              ns_text(p50), ns_text(p99), ns_text(max)}});
  }
  out += R"(<div class="panel"><h3>Percentiles</h3>)" + t.html() +
         R"(<p class="note">From the same fixed-size histograms: values are bucket tops (under 1.6 % high), )"
         R"(max is exact.</p></div>)";
  return out + "</div></section>\n";
}

std::string run_coalescing(const json& r) {
  std::string out = R"(<section id="coalescing"><h2>Coalescing at each layer</h2>)"
                    R"(<p class="note">Each layer may fold several arrivals into one: the device's moderation into one )"
                    R"(message, the local APIC a message into one already pending in its IRR, the DPC queue an insert )"
                    R"(into a DPC already queued. Nothing is lost by coalescing as long as the driver drains the ring.</p><div class="grid">)";
  auto bar = [&](const char* label, const char* path, std::string_view color, const char* note = "") {
    return BarChart::Bar{label, number_or(r, path), std::string(color), note};
  };
  BarChart device;
  device.frame = {"coalescing-device", "Device: moderation", "Events generated against messages sent by the device", 640, 0};
  device.bars = {bar("events generated", "device.events", colors::kBlue),
                 bar("MSIs sent", "device.msi_sent", colors::kSky),
                 bar("coalesced by moderation", "device.moderation_coalesced", colors::kOrange, "no message of their own"),
                 bar("pended while masked", "device.msi_pending_on_mask", colors::kPurple)};
  if (find(r, "device.ack_suppressed"))
    device.bars.push_back(bar("suppressed until acknowledged", "device.ack_suppressed", colors::kVermillion));
  out += figure(render(device), "Events the endpoint produced and the MSI/MSI-X messages it sent for them: the gap is moderation "
                                "(frames / usecs / ITR) and masking.");
  const double accepted = number_or(r, "lapic.accepted"), merged = number_or(r, "lapic.merged");
  BarChart apic;
  apic.frame = {"coalescing-lapic", "Local APIC: merge", "Messages arriving at the local APICs, taken or merged", 640, 0};
  apic.bars = {{"messages arriving", accepted + merged, std::string(colors::kSky), ""},
               bar("accepted into IRR", "lapic.accepted", colors::kBlue),
               bar("merged (vector pending)", "lapic.merged", colors::kOrange, "already set in the IRR")};
  out += figure(render(apic), "A message whose vector is already pending in the IRR merges with it: one ISR call serves both.");
  BarChart isr;
  isr.frame = {"coalescing-isr", "ISRs", "ISR calls, claimed and declined", 640, 0};
  isr.bars = {bar("ISR calls", "isr.calls", colors::kBlue), bar("claimed (TRUE)", "isr.claimed", colors::kGreen),
              bar("declined (FALSE)", "isr.declined", colors::kPurple)};
  out += figure(render(isr), "Each ISR call returns TRUE (the interrupt was its device's) or FALSE.");
  BarChart dpc;
  dpc.frame = {"coalescing-dpc", "DPC queue: insert", "DPC inserts queued and rejected, and DPC runs", 640, 0};
  // The report's dpc.inserts counts the inserts that queued (TRUE); the calls are both kinds.
  dpc.bars = {{"KeInsertQueueDpc calls", number_or(r, "dpc.inserts") + number_or(r, "dpc.inserts_rejected"),
               std::string(colors::kSky), ""},
              bar("queued (TRUE)", "dpc.inserts", colors::kBlue),
              bar("rejected (already queued)", "dpc.inserts_rejected", colors::kOrange, "returned FALSE"),
              bar("DPC runs", "dpc.runs", colors::kGreen)};
  out += figure(render(dpc), "An insert of a DPC that is already queued returns FALSE and coalesces into the pending run.");
  const double processed = number_or(r, "events.processed");
  BarChart rates;
  rates.frame = {"rates", "Events per interrupt and per DPC", "Average events handled per message, per ISR and per DPC run", 640, 0};
  rates.value_format = [](double v) { return format_number(std::round(v * 100) / 100); };
  rates.bars = {{"events per MSI sent", ratio(number_or(r, "device.events"), number_or(r, "device.msi_sent")), std::string(colors::kSky), ""},
                {"events per ISR (claimed)", number(r, "rates.events_per_isr").value_or(ratio(processed, number_or(r, "isr.claimed"))),
                 std::string(colors::kBlue), ""},
                {"events per DPC run", number(r, "rates.events_per_dpc").value_or(ratio(processed, number_or(r, "dpc.runs"))),
                 std::string(colors::kGreen), ""}};
  out += figure(render(rates), "The coalescing factor of each stage: 1 means one event per message / ISR / DPC run; "
                               "higher means each interrupt carried more events.");
  // The same counts as a chain: what each layer received, what it passed on, and the factor.
  const double msgs = number_or(r, "device.msi_sent"), inserts = number_or(r, "dpc.inserts"),
               rejected = number_or(r, "dpc.inserts_rejected"), runs = number_or(r, "dpc.runs");
  Table chain{{"Layer", "in", "out", "coalesced", "in per out"}, {false, true, true, true, true}, {}, "coalescing-table"};
  auto row = [&](const char* layer, double in, double out_count) {
    chain.rows.push_back({false, {Cell(layer), count_text(in), count_text(out_count),
                                  count_text(std::max(in - out_count, 0.0)), format_number(std::round(ratio(in, out_count) * 100) / 100)}});
  };
  row("device: events → MSIs", number_or(r, "device.events"), msgs);
  row("APIC: MSIs → taken", accepted + merged, accepted);
  row("DPC queue: inserts → queued", inserts + rejected, inserts);
  row("DPC: events → runs", processed, runs);
  out += R"(<div class="panel"><h3>At a glance</h3>)" + chain.html() +
         R"(<p class="note">DPC runs include timer DPCs; ISR calls that declined do not carry events.</p></div>)";
  return out + "</div></section>\n";
}

std::string run_cpus(const json& r) {
  std::string out = R"(<section id="cpus"><h2>Per-CPU time</h2>)";
  const json* cpus = find(r, "per_cpu");
  StackedBarChart s;
  s.frame = {"per-cpu-time", "Where each CPU spent the run", "Share of simulated time in ISRs, DPCs, IPI workers and idle, per CPU", 960, 0};
  s.value_format = format_ns;
  s.segments = {{"ISR", std::string(colors::kVermillion), {}},
                {"DPC", std::string(colors::kBlue), {}},
                {"IPI", std::string(colors::kPurple), {}},
                {"idle / other", std::string(colors::kGrey), {}}};
  if (cpus && !cpus->is_array()) throw ReportError("report: per_cpu is not an array");
  if (cpus)
    for (const json& c : *cpus) {
      s.rows.push_back(fmt::format("CPU {}", text_of(c, "cpu", "?")));
      s.segments[0].values.push_back(number_or(c, "isr_ns"));
      s.segments[1].values.push_back(number_or(c, "dpc_ns"));
      s.segments[2].values.push_back(number_or(c, "ipi_ns"));
      s.segments[3].values.push_back(number_or(c, "idle_ns"));
    }
  out += R"(<div class="grid">)";
  out += figure(render(s), "Each row is one CPU's simulated time as 100 %: a CPU whose bar is mostly ISR and DPC is where the "
                           "interrupt load landed; one full of DPC time is where the DPC watchdog will look first.");
  return out + "</div></section>\n";
}

std::string all_figures(const json& r) {
  std::vector<std::pair<std::string, std::string>> flat;
  json rest = r;
  for (const char* k : {"histograms", "checks"}) rest.erase(k);
  flatten(rest, "", flat);
  Table t{{"Figure", "Value"}, {false, true}, {}, "all-figures"};
  for (auto& [k, v] : flat) t.rows.push_back({false, {k, v}});
  return R"(<section id="figures"><details><summary>All figures of the report</summary>)" + t.html() + "</details></section>\n";
}

// ----------------------------------------------------------------------------------------------
// The sweep page.

struct Point {
  std::string id;
  json values;
  bool ok = false;
  std::optional<double> exit;
  json figures;
};

std::vector<Point> points_of(const json& results) {
  const json* pts = find(results, "points");
  if (!pts || !pts->is_array()) throw ReportError("sweep results: \"points\" is missing or not an array");
  std::vector<Point> out;
  for (std::size_t i = 0; i < pts->size(); ++i) {
    const json& p = (*pts)[i];
    if (!p.is_object()) throw ReportError(fmt::format("sweep results: points[{}] is not an object", i));
    Point q;
    q.id = string_field(p, "id", fmt::format("sweep results: points[{}]", i), std::to_string(i));
    q.values = p.value("values", json::object());
    if (!q.values.is_object()) throw ReportError(fmt::format("sweep results: points[{}].values is not an object", i));
    if (p.contains("ok") && !p["ok"].is_boolean()) throw ReportError(fmt::format("sweep results: points[{}].ok is not true/false", i));
    q.ok = p.value("ok", false);
    q.exit = number(p, "exit", "sweep results");
    q.figures = p.value("figures", json::object());
    if (q.figures.is_null()) q.figures = json::object();
    if (!q.figures.is_object()) throw ReportError(fmt::format("sweep results: points[{}].figures is not an object", i));
    out.push_back(std::move(q));
  }
  return out;
}

/// A figure of a sweep point: flattened ("a.b.c" as one key) as the contract says, or nested.
std::optional<double> figure_of(const Point& p, const std::string& key) {
  const auto it = p.figures.find(key);
  if (it != p.figures.end()) {
    if (it->is_number()) return it->get<double>();
    return std::nullopt;
  }
  const json* v = find(p.figures, key);
  return v && v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

std::optional<double> rate_of(const Point& p, const char* which) {
  if (auto v = figure_of(p, std::string("rates.") + which)) return v;
  const auto processed = figure_of(p, "events.processed");
  const auto per = figure_of(p, std::string_view(which) == "events_per_isr" ? "isr.claimed" : "dpc.runs");
  if (processed && per && *per > 0) return *processed / *per;
  return std::nullopt;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string point_result(const Point& p) {
  if (p.ok) return "passed";
  return p.exit ? fmt::format("FAILED (exit {})", format_number(*p.exit)) : "FAILED";
}

/// One axis's distinct values: numbers sorted, anything else in order of first appearance.
struct AxisValues {
  std::vector<json> values;
  bool numeric = true;
};

AxisValues axis_values(const std::vector<Point>& points, const std::string& axis) {
  AxisValues a;
  for (const Point& p : points) {
    const auto it = p.values.find(axis);
    if (it == p.values.end()) continue;
    if (std::find(a.values.begin(), a.values.end(), *it) == a.values.end()) a.values.push_back(*it);
    a.numeric = a.numeric && it->is_number();
  }
  if (a.numeric)
    std::sort(a.values.begin(), a.values.end(), [](const json& x, const json& y) { return x.get<double>() < y.get<double>(); });
  return a;
}

std::string sweep_axis_section(const std::vector<Point>& points, const std::vector<std::string>& axes, std::size_t index) {
  const std::string& axis = axes[index];
  const AxisValues av = axis_values(points, axis);
  std::set<std::string> others;
  for (const Point& p : points) {
    json rest = p.values;
    rest.erase(axis);
    others.insert(rest.dump());
  }
  const bool aggregated = others.size() > 1;
  std::string out = fmt::format(R"(<h3 id="axis-{}">{}</h3>)", make_id(axis), escape(axis));
  if (av.values.empty()) return out + R"(<p class="note">No point sets this axis.</p>)";
  const std::string how = aggregated
                              ? fmt::format(" Each value combines {} settings of the other axes: latency shows the worst "
                                            "(highest) p99, rates the mean.",
                                            others.size())
                              : "";
  LineChart lat, rates;
  lat.frame = {fmt::format("sweep-p99-{}-{}", index, axis), fmt::format("p99 latency against {}", axis),
               fmt::format("p99 latency per layer against the sweep axis {}", axis), 640, 320};
  rates.frame = {fmt::format("sweep-rates-{}-{}", index, axis), fmt::format("Events per ISR and per DPC against {}", axis),
                 fmt::format("Average events per claimed ISR and per DPC run against the sweep axis {}", axis), 640, 320};
  lat.x_label = rates.x_label = axis;
  lat.y_label = "p99 latency";
  rates.y_label = "events";
  lat.y_format = format_ns;
  rates.y_format = [](double v) { return format_number(std::round(v * 100) / 100); };
  if (av.numeric) {
    double lo = av.values.front().get<double>(), hi = av.values.back().get<double>();
    const ScaleKind k = lo > 0 && hi / lo >= 20 ? ScaleKind::kLog : ScaleKind::kLinear;
    lat.x_scale = rates.x_scale = k;
  } else {
    for (const json& v : av.values) lat.categories.push_back(value_text(v));
    rates.categories = lat.categories;
  }
  for (const Layer& l : kLayers) lat.series.push_back({l.name, std::string(l.color), {}});
  rates.series = {{"events per ISR", std::string(colors::kBlue), {}}, {"events per DPC run", std::string(colors::kGreen), {}}};
  for (std::size_t i = 0; i < av.values.size(); ++i) {
    const json& v = av.values[i];
    const double x = av.numeric ? v.get<double>() : static_cast<double>(i);
    bool failed = false;
    std::vector<std::optional<double>> worst(std::size(kLayers));
    double rate_sum[2] = {0, 0};
    int rate_n[2] = {0, 0};
    for (const Point& p : points) {
      const auto it = p.values.find(axis);
      if (it == p.values.end() || *it != v) continue;
      failed = failed || !p.ok;
      for (std::size_t l = 0; l < std::size(kLayers); ++l)
        if (auto y = figure_of(p, fmt::format("latency_ns.{}.p99", kLayers[l].key)))
          worst[l] = worst[l] ? std::max(*worst[l], *y) : *y;
      for (int k = 0; k < 2; ++k)
        if (auto y = rate_of(p, k == 0 ? "events_per_isr" : "events_per_dpc")) {
          rate_sum[k] += *y;
          ++rate_n[k];
        }
    }
    for (std::size_t l = 0; l < std::size(kLayers); ++l)
      if (worst[l]) lat.series[l].points.push_back({x, *worst[l], failed});
    for (int k = 0; k < 2; ++k)
      if (rate_n[k]) rates.series[static_cast<std::size_t>(k)].points.push_back({x, rate_sum[k] / rate_n[k], failed});
  }
  // Layers whose p99s differ by more than 20x share the chart on a log axis, so none is flattened.
  double y_lo = 0, y_hi = 0;
  for (const auto& series : lat.series)
    for (const auto& p : series.points) {
      y_lo = y_lo == 0 ? p.y : std::min(y_lo, p.y);
      y_hi = std::max(y_hi, p.y);
    }
  if (y_lo > 0 && y_hi / y_lo >= 20) lat.y_scale = ScaleKind::kLog;
  out += R"(<div class="grid">)";
  out += figure(render(lat), fmt::format("p99 of each layer's latency at each value of {}; a red ring marks a value where a point "
                                         "failed.{}",
                                         axis, how));
  out += figure(render(rates), fmt::format("How many events one claimed ISR and one DPC run handled on average at each value "
                                           "of {}: the coalescing the interrupt path achieved.{}",
                                           axis, how));
  return out + "</div>\n";
}

}  // namespace

// ----------------------------------------------------------------------------------------------

std::string run_html(const json& report) {
  if (!report.is_object()) throw ReportError("not a run report: the JSON is not an object");
  check_version(report, "irqrig_report", "a run report");
  const bool ok = bool_field(report, "ok", "report");
  const std::string name = string_field(report, "scenario", "report", "run");
  std::string body = fmt::format(
      R"(<header><div class="kicker">irqrig run report</div><h1>{}</h1><span class="badge {}">{}</span>)"
      R"(<p class="meta">seed {} · target {} · {} simulated · {:.2f} s wall</p></header>)",
      escape(name), ok ? "ok" : "fail", ok ? "PASSED" : "FAILED", escape(text_of(report, "seed", "?")),
      escape(string_field(report, "target", "report", "?")), ns_text(number(report, "sim_time_ns")), number_or(report, "wall_s"));
  body += run_summary(report);
  body += run_checks(report);
  body += run_latency(report);
  body += run_coalescing(report);
  body += run_cpus(report);
  body += all_figures(report);
  return page(fmt::format("irqrig run: {}", name), body);
}

std::string sweep_html(const json& results) {
  if (!results.is_object()) throw ReportError("not a sweep's results: the JSON is not an object");
  check_version(results, "irqrig_sweep", "a sweep's results");
  const std::vector<Point> points = points_of(results);
  std::vector<std::string> axes;
  if (const json* a = find(results, "axes")) {
    if (!a->is_array()) throw ReportError("sweep results: \"axes\" is not an array of names");
    for (const json& n : *a) {
      if (!n.is_string()) throw ReportError(fmt::format("sweep results: axis name {} is not a string", n.dump()));
      axes.push_back(n.get<std::string>());
    }
  } else {
    std::set<std::string> seen;
    for (const Point& p : points)
      for (auto it = p.values.begin(); it != p.values.end(); ++it)
        if (seen.insert(it.key()).second) axes.push_back(it.key());
  }
  const std::string name = string_field(results, "sweep", "sweep results", "sweep");
  std::size_t failed = 0;
  std::vector<std::string> failed_ids;
  for (const Point& p : points)
    if (!p.ok) {
      ++failed;
      if (failed_ids.size() < 12) failed_ids.push_back(p.id);
    }
  const bool ok = failed == 0 && !points.empty();
  std::string body = fmt::format(
      R"(<header><div class="kicker">irqrig sweep report</div><h1>{}</h1><span class="badge {}">{}</span>)"
      R"(<p class="meta">{} points · {} axes</p></header>)",
      escape(name), ok ? "ok" : "fail", points.empty() ? "NO POINTS" : ok ? "ALL PASSED" : fmt::format("{} FAILED", failed),
      points.size(), axes.size());

  // Summary: what was swept, what passed, the extremes of the whole path's p99.
  body += R"(<section id="summary"><h2>Summary</h2><div class="cards">)";
  body += card("points", format_count(points.size()));
  body += card("passed", format_count(points.size() - failed));
  body += card("failed", format_count(failed), failed > 0);
  const Point* best = nullptr;
  const Point* worst = nullptr;
  for (const Point& p : points)
    if (auto v = figure_of(p, "latency_ns.event_to_processed.p99")) {
      if (!best || *v < *figure_of(*best, "latency_ns.event_to_processed.p99")) best = &p;
      if (!worst || *v > *figure_of(*worst, "latency_ns.event_to_processed.p99")) worst = &p;
    }
  if (best) {
    body += card("lowest p99 event → processed", format_ns(*figure_of(*best, "latency_ns.event_to_processed.p99")));
    body += card("highest p99 event → processed", format_ns(*figure_of(*worst, "latency_ns.event_to_processed.p99")));
  }
  body += "</div>";
  std::vector<std::string> axis_desc;
  for (const std::string& a : axes) {
    const AxisValues av = axis_values(points, a);
    std::vector<std::string> vs;
    for (const json& v : av.values) vs.push_back(value_text(v));
    axis_desc.push_back(fmt::format("<b>{}</b> ({})", escape(a), escape(fmt::format("{}", fmt::join(vs, ", ")))));
  }
  body += fmt::format(R"(<p class="lead">Sweep <b>{}</b> ran {} points over {}. {} passed{}.)", escape(name), points.size(),
                      axis_desc.empty() ? std::string("no axes") : fmt::format("{}", fmt::join(axis_desc, " × ")),
                      points.size() - failed,
                      failed ? fmt::format(", {} failed (ids {}{})", failed, escape(fmt::format("{}", fmt::join(failed_ids, ", "))),
                                           failed > failed_ids.size() ? ", …" : "")
                             : std::string());
  auto where = [](const Point& p) {
    std::vector<std::string> kv;
    for (auto it = p.values.begin(); it != p.values.end(); ++it) kv.push_back(fmt::format("{} = {}", it.key(), value_text(it.value())));
    return fmt::format("point {} ({})", p.id, fmt::join(kv, ", "));
  };
  if (best && best != worst)
    body += fmt::format(" The whole path's p99 ranges from {} at {} to {} at {}.",
                        format_ns(*figure_of(*best, "latency_ns.event_to_processed.p99")), escape(where(*best)),
                        format_ns(*figure_of(*worst, "latency_ns.event_to_processed.p99")), escape(where(*worst)));
  body += "</p></section>\n";

  body += R"(<section id="axes"><h2>Against each axis</h2>)";
  if (axes.empty()) body += R"(<p class="note">The sweep has no axes.</p>)";
  for (std::size_t i = 0; i < axes.size(); ++i) body += sweep_axis_section(points, axes, i);
  body += "</section>\n";

  Table t;
  t.id = "points-table";
  t.header = {"id"};
  t.numeric = {false};
  for (const std::string& a : axes) {
    t.header.push_back(a);
    t.numeric.push_back(false);
  }
  for (const char* h : {"result", "events", "lost", "dup.", "p99 MSI→ISR", "p99 ISR→DPC", "p99 event→proc.", "ev/ISR", "ev/DPC"}) {
    t.header.push_back(h);
    t.numeric.push_back(std::string_view(h) != "result");
  }
  for (const Point& p : points) {
    std::vector<Cell> cells{Cell(p.id)};
    for (const std::string& a : axes) cells.push_back(p.values.contains(a) ? value_text(p.values[a]) : "—");
    cells.push_back(Cell(point_result(p), p.ok ? "result ok" : "result fail"));
    for (const char* k : {"device.events", "events.lost", "events.duplicated"}) cells.push_back(count_text(figure_of(p, k)));
    for (const Layer& l : kLayers) cells.push_back(ns_text(figure_of(p, fmt::format("latency_ns.{}.p99", l.key))));
    for (const char* k : {"events_per_isr", "events_per_dpc"}) {
      const auto v = rate_of(p, k);
      cells.push_back(v ? format_number(std::round(*v * 100) / 100) : "—");
    }
    t.rows.push_back({!p.ok, std::move(cells)});
  }
  body += R"(<section id="points"><h2>All points</h2><p class="note">Failed points are shaded red; the result names )"
          R"(the point's exit code (1: a check failed, 2: bad input, 3: the target failed).</p>)" +
          t.html() + "</section>\n";
  return page(fmt::format("irqrig sweep: {}", name), body);
}

namespace {

void write_file(const std::string& html, const std::filesystem::path& out) {
  const std::filesystem::path target = std::filesystem::is_directory(out) ? out / "report.html" : out;
  std::ofstream f(target, std::ios::trunc | std::ios::binary);
  if (!f) throw ReportError(fmt::format("--html {}: cannot open for writing", target.string()));
  f << html;
  f.close();
  if (!f) throw ReportError(fmt::format("--html {}: write failed", target.string()));
}

}  // namespace

void write_run_html(const json& report, const std::filesystem::path& out) { write_file(run_html(report), out); }
void write_sweep_html(const json& results, const std::filesystem::path& out) { write_file(sweep_html(results), out); }

json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ReportError(fmt::format("{}: cannot open for reading", path.string()));
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw ReportError(fmt::format("{}: not valid JSON (at byte {}): {}", path.string(), e.byte, e.what()));
  }
}

InputKind render_file(const std::filesystem::path& input, const std::filesystem::path& out) {
  const json j = read_json_file(input);
  const bool run = j.is_object() && j.contains("irqrig_report");
  if (!run && !(j.is_object() && j.contains("points")))
    throw ReportError(fmt::format("{}: neither a run report (no \"irqrig_report\" key) nor a sweep's results (no \"points\" key)",
                                  input.string()));
  std::string html;
  try {
    html = run ? run_html(j) : sweep_html(j);
  } catch (const ReportError& e) {
    throw ReportError(fmt::format("{}: {}", input.string(), e.what()));
  }
  write_file(html, out);
  return run ? InputKind::kRun : InputKind::kSweep;
}

}  // namespace irqrig::report
