// A sweep's records: one JSON file per finished point (written atomically, so a resumed sweep can
// trust any that parses) and the merged results.json / results.csv that hold nothing host-dependent.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/sweep/spec.h"

namespace irqrig::host::sweep {

/// What one point's `irqrig run` left: its exit code, the report when it wrote one, and the tail of
/// its stderr when it could not run.
struct PointRecord {
  std::string id;
  std::size_t index = 0;
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  std::vector<std::string> overrides;
  int exit = 0;                   // the run's exit code; 128 + N when signal N ended it
  std::string error;              // stderr tail when the point could not run (exit 2, 3, signal)
  nlohmann::ordered_json report;  // null when there is none

  /// Ran to the end: a report and exit 0 (passed) or 1 (a check failed). Anything else could not
  /// run, and a later sweep over the same directory tries it again.
  bool ran() const { return (exit == 0 || exit == 1) && report.is_object(); }
  bool ok() const { return exit == 0 && ran(); }
};

nlohmann::ordered_json to_json(const PointRecord& r);

/// The record in `j`, or nullopt when it is not one (a resumed sweep runs such a point again).
std::optional<PointRecord> record_from_json(const nlohmann::ordered_json& j);

/// Reads DIR/points/<id>.json; nullopt when absent, unreadable or not a record.
std::optional<PointRecord> read_record(const std::filesystem::path& path);

/// Writes `content` to a temporary file beside `path` and renames it over `path`, so a reader (or a
/// sweep interrupted mid-write) sees the old file or the whole new one. Throws std::runtime_error.
void write_atomically(const std::filesystem::path& path, std::string_view content);

/// The report's numeric figures as "section.key" -> number, in report order: every number in its
/// objects, none in its lists (per_cpu, checks, histograms), without wall_s, the report version and
/// the seed (an axis when it varies), which would make equal sweeps differ.
nlohmann::ordered_json flatten_figures(const nlohmann::ordered_json& report);

/// Names of the report's failed checks, in report order.
std::vector<std::string> failed_checks(const nlohmann::ordered_json& report);

/// results.json (docs/sweeps.md): one entry per record, in the order given (point order).
nlohmann::ordered_json merge(const SweepSpec& spec, const std::vector<PointRecord>& records);

/// results.csv from merge()'s JSON: id, the axes, ok, exit, failed_checks, then every figure any
/// point has (in order of first appearance); a figure a point lacks is an empty cell.
std::string to_csv(const nlohmann::ordered_json& merged);

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled.
std::string csv_field(std::string_view text);

}  // namespace irqrig::host::sweep
