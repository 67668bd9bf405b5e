// A sweep file (docs/sweeps.md): a base scenario, fixed overrides and axes of scenario keys, expanded
// into the Cartesian product of points with stable ids, each checked by the scenario parser up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace irqrig::host::sweep {

/// One value of an axis: the YAML text handed to `--set KEY=TEXT`, the same value as JSON for the
/// results, and where it was written (for errors that are about this value).
struct AxisValue {
  std::string text;
  nlohmann::ordered_json json;
  int line = 0, column = 0;
};

/// One axis: a scenario key in the `--set` path syntax and the values it takes, in file order.
struct Axis {
  std::string key;
  std::vector<AxisValue> values;
  int line = 0;  // of the key; 0 for the axis `seeds:` adds
};

/// A `set:` entry: applied to every point before the axes.
struct FixedSet {
  std::string key, text;
  int line = 0, column = 0;
};

struct SweepSpec {
  std::string file;           // the sweep file as given
  std::string name;           // `name:`, else the file's stem
  std::string scenario;       // `scenario:` as written
  std::string scenario_path;  // resolved against the sweep file's directory
  std::string scenario_text;  // its contents: part of every point's id
  std::vector<FixedSet> fixed;
  std::vector<Axis> axes;  // the first varies slowest
  int axes_line = 0;
};

/// One point of the product.
struct Point {
  std::size_t index = 0;               // position in the product, 0-based
  std::string id;                      // 16 hex digits, see point_id()
  std::vector<std::size_t> choice;     // value index per axis
  std::vector<std::string> overrides;  // `--set` texts: the fixed ones, then one per axis
};

/// Reads and checks the sweep file at `path` (and its base scenario with the fixed overrides).
/// Throws ScenarioError naming file:line and key.
SweepSpec load_sweep(const std::string& path);

/// Same from text in memory; `file` names it in messages and anchors the scenario path.
SweepSpec parse_sweep(const std::string& text, const std::string& file);

/// Number of points in the product (checked against overflow: the product must fit in memory).
std::size_t point_count(const SweepSpec& spec);

/// The point at `index` of the product (row-major: the last axis varies fastest).
Point make_point(const SweepSpec& spec, std::size_t index);

/// All points in index order.
std::vector<Point> expand(const SweepSpec& spec);

/// A point's id: FNV-1a 64 of the base scenario's text and the point's overrides, finished with
/// murmur3's mixer, in hex. It changes whenever what the point would run changes, and not when
/// other points are added or removed, so a resumed or extended sweep reuses exactly the reports
/// that still apply.
std::string point_id(const std::string& scenario_text, const std::vector<std::string>& overrides);

/// Shard `shard` (1-based) of `shards`: the points with index % shards == shard - 1.
bool in_shard(std::size_t index, unsigned shard, unsigned shards);

/// Parses "I/N" (1 <= I <= N); throws std::invalid_argument naming `--shard`.
std::pair<unsigned, unsigned> parse_shard(const std::string& text);

/// The axis values of a point as a JSON object in axis order.
nlohmann::ordered_json point_values(const SweepSpec& spec, const Point& point);

/// Runs the scenario parser on every point (in-process, nothing is launched). Throws ScenarioError
/// at the sweep file's line of the value (or fixed override) that the parser refused, else at
/// `axes:` naming the point's values.
void validate(const SweepSpec& spec, const std::vector<Point>& points);

}  // namespace irqrig::host::sweep
