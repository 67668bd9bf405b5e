// Self-contained HTML reports (docs/reports.md): one file per run or per sweep, plots as inline SVG,
// no scripts, fonts or links to fetch, so it opens anywhere and can be attached to a ticket.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace irqrig::report {

/// Input that cannot be rendered (not JSON, neither a run report nor a sweep's results, a field of
/// the wrong type) or an output that cannot be written; what() names the file and the field.
/// An invalid_argument, so the CLI answers it with exit code 2 like any bad input.
class ReportError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The page for one run's report (DESIGN.md "Report", plus `histograms` and `rates` when present).
std::string run_html(const nlohmann::json& report);
/// The page for a sweep's results: `{ "sweep", "axes": [...], "points": [ { "id", "values",
/// "ok", "exit", "figures": { dotted key: value } } ] }`.
std::string sweep_html(const nlohmann::json& results);

/// Write the page to `out`; a directory gets `report.html` inside it. Throw ReportError when the
/// file cannot be written.
void write_run_html(const nlohmann::json& report, const std::filesystem::path& out);
void write_sweep_html(const nlohmann::json& results, const std::filesystem::path& out);

/// Reads a JSON file; throws ReportError naming the file (and the byte where parsing stopped).
nlohmann::json read_json_file(const std::filesystem::path& path);

enum class InputKind { kRun, kSweep };
/// Renders `input`, a run's --report file or a sweep's results.json (told apart by their keys),
/// into `out`; returns which it was.
InputKind render_file(const std::filesystem::path& input, const std::filesystem::path& out);

}  // namespace irqrig::report
