#include "host/sweep/spec.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "host/scenario/scenario.h"
#include "host/scenario/yaml_view.h"

namespace irqrig::host::sweep {
namespace {

using scenario_internal::describe;
using scenario_internal::Origin;

constexpr std::array<std::string_view, 5> kTopKeys = {"name", "scenario", "set", "axes", "seeds"};
constexpr std::array<std::string_view, 4> kRangeKeys = {"from", "to", "step", "mul"};
// A bound that keeps a typo (`to: 1e9`) from expanding into a sweep nobody meant to run.
constexpr std::size_t kMaxPoints = 1'000'000;

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }
int column_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().column + 1; }

// Non-specific tag "!" marks a quoted scalar: a string even when it reads like a number.
bool is_quoted(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str"; }

std::string flow_text(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

// The results carry numbers as numbers; what is not one stays the text the user wrote.
nlohmann::ordered_json scalar_json(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::int64_t i = 0;
  auto [iend, iec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (iec == std::errc() && iend == s.data() + s.size()) return i;
  std::uint64_t u = 0;
  auto [uend, uec] = std::from_chars(s.data(), s.data() + s.size(), u);
  if (uec == std::errc() && uend == s.data() + s.size()) return u;
  double d = 0;
  auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (dec == std::errc() && dend == s.data() + s.size() && std::isfinite(d)) return d;
  return s;
}

AxisValue make_value(const Origin& origin, const YAML::Node& node, std::string_view path) {
  if (scenario_internal::is_null(node)) origin.fail(node, path, "has no value");
  AxisValue v;
  v.line = line_of(node);
  v.column = column_of(node);
  if (node.IsScalar()) {
    if (is_quoted(node)) {
      YAML::Emitter out;
      out << YAML::DoubleQuoted << node.Scalar();
      v.text = out.c_str();
      v.json = node.Scalar();
    } else {
      v.text = node.Scalar();
      v.json = scalar_json(v.text);
    }
  } else {
    v.text = flow_text(node);
    v.json = v.text;
  }
  return v;
}

std::string unknown_key(std::string_view name, std::span<const std::string_view> known) {
  if (auto near = scenario_internal::closest(name, known)) return fmt::format("unknown key; did you mean '{}'?", *near);
  return fmt::format("unknown key (allowed here: {})", fmt::join(known, ", "));
}

// `{ from: A, to: B, step: S }` (A, A+S, ... <= B) or `{ from: A, to: B, mul: M }` (A, A*M, ... <= B).
std::vector<AxisValue> expand_range(const Origin& origin, const YAML::Node& node, const std::string& path) {
  std::optional<YAML::Node> from, to, step, mul;
  for (const auto& entry : node) {
    YAML::Node key = entry.first;
    YAML::Node value = entry.second;
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    std::optional<YAML::Node>* slot = name == "from"   ? &from
                                      : name == "to"   ? &to
                                      : name == "step" ? &step
                                      : name == "mul"  ? &mul
                                                       : nullptr;
    if (!slot) origin.fail(key, scenario_internal::join_path(path, name), unknown_key(name, kRangeKeys));
    if (*slot) origin.fail(key, scenario_internal::join_path(path, name), "repeated key");
    *slot = value;
  }
  if (!from || !to) origin.fail(node, path, "a range needs `from:` and `to:` (and `step:` or `mul:`)");
  if (step.has_value() == mul.has_value()) origin.fail(node, path, "a range needs exactly one of `step:` and `mul:`");
  const std::uint64_t lo = scenario_internal::read_uint(origin, *from, path + ".from");
  const std::uint64_t hi = scenario_internal::read_uint(origin, *to, path + ".to", lo);
  std::vector<AxisValue> out;
  auto add = [&](std::uint64_t x) {
    if (out.size() >= kMaxPoints) origin.fail(node, path, fmt::format("the range has more than {} values", kMaxPoints));
    AxisValue v;
    v.text = std::to_string(x);
    v.json = x;
    v.line = line_of(node);
    v.column = column_of(node);
    out.push_back(std::move(v));
  };
  if (step) {
    const std::uint64_t s = scenario_internal::read_uint(origin, *step, path + ".step", 1);
    for (std::uint64_t x = lo;; x += s) {
      add(x);
      if (hi - x < s) break;
    }
  } else {
    const std::uint64_t m = scenario_internal::read_uint(origin, *mul, path + ".mul", 2);
    if (lo == 0) origin.fail(*from, path + ".from", "a `mul:` range starts at 1 or more");
    for (std::uint64_t x = lo;; x *= m) {
      add(x);
      if (x > hi / m) break;
    }
  }
  return out;
}

// The `--set` text that a scenario error came from, when it came from one.
const std::string* override_in(const ScenarioError& e, const std::vector<std::string>& overrides) {
  if (e.file() != "--set") return nullptr;
  for (const std::string& o : overrides)
    if (e.problem().ends_with(fmt::format("(from --set {})", o))) return &o;
  return nullptr;
}

std::string strip_from(const std::string& problem) {
  const std::size_t at = problem.rfind(" (from --set ");
  return at == std::string::npos ? problem : problem.substr(0, at);
}

std::string values_text(const SweepSpec& spec, const Point& p) {
  std::vector<std::string> parts;
  for (std::size_t a = 0; a < spec.axes.size(); ++a)
    parts.push_back(fmt::format("{}={}", spec.axes[a].key, spec.axes[a].values[p.choice[a]].text));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string read_file(const std::string& path, const std::string& sweep_file, int line, int column) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ScenarioError(sweep_file, line, "scenario", fmt::format("{} is a directory", path), column);
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ScenarioError(sweep_file, line, "scenario",
                        fmt::format("cannot open {}: {}", path, error ? std::strerror(error) : "unknown error"),
                        column);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& file) {
  SweepSpec spec;
  spec.file = file;
  Origin origin(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(file, e.mark.line + 1, "", fmt::format("YAML syntax error: {}", e.msg), e.mark.column + 1);
  }
  if (scenario_internal::is_null(root))
    throw ScenarioError(file, 0, "", "the file is empty; a sweep needs `scenario:` and `axes:`");
  if (!root.IsMap())
    throw ScenarioError(file, line_of(root), "",
                        fmt::format("expected a sweep (a map with scenario: and axes:), got {}", describe(root)));

  std::optional<YAML::Node> name, scenario, set, axes, seeds;
  YAML::Node scenario_key, axes_key;
  for (const auto& entry : root) {
    YAML::Node key = entry.first;
    YAML::Node value = entry.second;
    if (!key.IsScalar()) origin.fail(key, "", fmt::format("keys must be names, got {}", describe(key)));
    const std::string& k = key.Scalar();
    std::optional<YAML::Node>* slot = k == "name"       ? &name
                                      : k == "scenario" ? &scenario
                                      : k == "set"      ? &set
                                      : k == "axes"     ? &axes
                                      : k == "seeds"    ? &seeds
                                                        : nullptr;
    if (!slot) origin.fail(key, k, unknown_key(k, kTopKeys));
    if (*slot) origin.fail(key, k, "repeated key");
    *slot = value;
    origin.note_key(value, key.Mark());
    if (k == "scenario") scenario_key = key;
    if (k == "axes") axes_key = key;
  }

  if (!scenario) throw ScenarioError(file, 0, "scenario", "missing: the base scenario file, relative to this sweep");
  spec.scenario = scenario_internal::read_string(origin, *scenario, "scenario");
  const std::filesystem::path written(spec.scenario);
  spec.scenario_path = (written.is_absolute() ? written : std::filesystem::path(file).parent_path() / written)
                           .lexically_normal()
                           .string();
  spec.scenario_text = read_file(spec.scenario_path, file, line_of(*scenario), column_of(*scenario));
  spec.name =
      name ? scenario_internal::read_string(origin, *name, "name") : std::filesystem::path(file).stem().string();

  if (set && !scenario_internal::is_null(*set)) {
    if (!set->IsMap()) origin.fail(*set, "set", fmt::format("expected a map of KEY: VALUE, got {}", describe(*set)));
    for (const auto& entry : *set) {
      YAML::Node key = entry.first;
      YAML::Node value = entry.second;
      if (!key.IsScalar() || key.Scalar().empty()) origin.fail(key, "set", "keys must be scenario keys like host.cpus");
      const std::string path = "set." + key.Scalar();
      for (const FixedSet& f : spec.fixed)
        if (f.key == key.Scalar()) origin.fail(key, path, "repeated key");
      AxisValue v = make_value(origin, value, path);
      spec.fixed.push_back({key.Scalar(), key.Scalar() + "=" + v.text, v.line, v.column});
    }
  }

  if (axes && !scenario_internal::is_null(*axes)) {
    spec.axes_line = line_of(axes_key);
    if (!axes->IsMap())
      origin.fail(*axes, "axes", fmt::format("expected a map of KEY: [values], got {}", describe(*axes)));
    for (const auto& entry : *axes) {
      YAML::Node key = entry.first;
      YAML::Node value = entry.second;
      if (!key.IsScalar() || key.Scalar().empty())
        origin.fail(key, "axes", "keys must be scenario keys like host.cpus");
      const std::string& k = key.Scalar();
      const std::string path = "axes." + k;
      origin.note_key(value, key.Mark());
      for (const Axis& a : spec.axes)
        if (a.key == k) origin.fail(key, path, "repeated axis");
      for (const FixedSet& f : spec.fixed)
        if (f.key == k)
          origin.fail(key, path, fmt::format("also under set: (line {}); a key is fixed or an axis", f.line));
      Axis axis;
      axis.key = k;
      axis.line = line_of(key);
      if (value.IsMap()) {
        axis.values = expand_range(origin, value, path);
      } else if (value.IsSequence()) {
        for (std::size_t i = 0; i < value.size(); ++i) axis.values.push_back(make_value(origin, value[i], path));
      } else {
        origin.fail_at_key(
            value, path,
            fmt::format("expected a list of values or a range {{ from, to, step | mul }}, got {}", describe(value)));
      }
      if (axis.values.empty()) origin.fail_at_key(value, path, "an axis needs at least one value");
      std::unordered_set<std::string_view> seen;
      for (const AxisValue& v : axis.values)
        if (!seen.insert(v.text).second)
          throw ScenarioError(file, v.line, path, fmt::format("value {} appears twice; a point runs once", v.text),
                              v.column);
      spec.axes.push_back(std::move(axis));
    }
  }

  // The base scenario with the fixed overrides must stand on its own; its seed anchors `seeds:`.
  std::vector<std::string> fixed_texts;
  for (const FixedSet& f : spec.fixed) fixed_texts.push_back(f.text);
  Scenario base;
  try {
    base = parse_scenario(spec.scenario_text, spec.scenario_path, fixed_texts);
  } catch (const ScenarioError& e) {
    if (const std::string* o = override_in(e, fixed_texts)) {
      const FixedSet& f = spec.fixed[static_cast<std::size_t>(o - fixed_texts.data())];
      throw ScenarioError(file, f.line, "set." + e.key(), strip_from(e.problem()), f.column);
    }
    throw ScenarioError(file, line_of(scenario_key), "scenario",
                        fmt::format("the base scenario is refused: {}", e.what()));
  }

  if (seeds && !scenario_internal::is_null(*seeds)) {
    const std::uint64_t n = scenario_internal::read_uint(origin, *seeds, "seeds", 1, 100'000);
    for (const Axis& a : spec.axes)
      if (a.key == "seed")
        origin.fail_at_key(*seeds, "seeds", fmt::format("an axis `seed` is already given (line {})", a.line));
    Axis axis;
    axis.key = "seed";
    for (std::uint64_t i = 0; i < n; ++i) {
      AxisValue v;
      v.text = std::to_string(base.seed + i);
      v.json = base.seed + i;
      v.line = line_of(*seeds);
      v.column = column_of(*seeds);
      axis.values.push_back(std::move(v));
    }
    spec.axes.push_back(std::move(axis));
  }
  if (spec.axes.empty())
    throw ScenarioError(file, spec.axes_line, "axes", "no axes: give at least one `axes:` entry or `seeds: N`");
  point_count(spec);
  return spec;
}

SweepSpec load_sweep(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ScenarioError(path, 0, "", "cannot read: it is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ScenarioError(path, 0, "", fmt::format("cannot open: {}", error ? std::strerror(error) : "unknown error"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sweep(text.str(), path);
}

std::size_t point_count(const SweepSpec& spec) {
  std::size_t n = 1;
  for (const Axis& a : spec.axes) {
    if (a.values.size() > kMaxPoints / n)
      throw ScenarioError(spec.file, spec.axes_line, "axes",
                          fmt::format("the axes make more than {} points; split the sweep", kMaxPoints));
    n *= a.values.size();
  }
  return n;
}

Point make_point(const SweepSpec& spec, std::size_t index) {
  Point p;
  p.index = index;
  p.choice.resize(spec.axes.size());
  std::size_t rest = index;
  for (std::size_t a = spec.axes.size(); a-- > 0;) {
    p.choice[a] = rest % spec.axes[a].values.size();
    rest /= spec.axes[a].values.size();
  }
  for (const FixedSet& f : spec.fixed) p.overrides.push_back(f.text);
  for (std::size_t a = 0; a < spec.axes.size(); ++a)
    p.overrides.push_back(spec.axes[a].key + "=" + spec.axes[a].values[p.choice[a]].text);
  p.id = point_id(spec.scenario_text, p.overrides);
  return p;
}

std::vector<Point> expand(const SweepSpec& spec) {
  const std::size_t n = point_count(spec);
  std::vector<Point> points;
  points.reserve(n);
  for (std::size_t i = 0; i < n; ++i) points.push_back(make_point(spec, i));
  return points;
}

std::string point_id(const std::string& scenario_text, const std::vector<std::string>& overrides) {
  // FNV-1a: fixed by its definition, so every machine of a job array names a point alike
  // (std::hash promises no such thing). A NUL separates the parts so no two lists collide by concatenation.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto byte = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  auto mix = [&byte](std::string_view s) {
    for (unsigned char c : s) byte(c);
    byte(0);
  };
  mix(scenario_text);
  for (const std::string& o : overrides) mix(o);
  // FNV-1a barely stirs the last bytes, so neighbouring points would get look-alike ids; the
  // murmur3 finalizer spreads every bit over the whole id.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return fmt::format("{:016x}", h);
}

bool in_shard(std::size_t index, unsigned shard, unsigned shards) { return index % shards == shard - 1; }

std::pair<unsigned, unsigned> parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  unsigned i = 0, n = 0;
  bool ok = slash != std::string::npos;
  if (ok) {
    auto [e1, c1] = std::from_chars(text.data(), text.data() + slash, i);
    auto [e2, c2] = std::from_chars(text.data() + slash + 1, text.data() + text.size(), n);
    ok = c1 == std::errc() && e1 == text.data() + slash && c2 == std::errc() && e2 == text.data() + text.size() &&
         n >= 1 && i >= 1 && i <= n;
  }
  if (!ok) throw std::invalid_argument(fmt::format("--shard {}: expected I/N with 1 <= I <= N, e.g. 1/4", text));
  return {i, n};
}

nlohmann::ordered_json point_values(const SweepSpec& spec, const Point& point) {
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (std::size_t a = 0; a < spec.axes.size(); ++a) v[spec.axes[a].key] = spec.axes[a].values[point.choice[a]].json;
  return v;
}

void validate(const SweepSpec& spec, const std::vector<Point>& points) {
  for (const Point& p : points) {
    try {
      parse_scenario(spec.scenario_text, spec.scenario_path, p.overrides);
    } catch (const ScenarioError& e) {
      if (const std::string* o = override_in(e, p.overrides)) {
        const std::size_t k = static_cast<std::size_t>(o - p.overrides.data());
        if (k < spec.fixed.size()) {
          const FixedSet& f = spec.fixed[k];
          throw ScenarioError(spec.file, f.line, "set." + e.key(), strip_from(e.problem()), f.column);
        }
        const std::size_t a = k - spec.fixed.size();
        const AxisValue& v = spec.axes[a].values[p.choice[a]];
        const std::string where = spec.axes.size() == 1
                                      ? fmt::format("value {}", v.text)
                                      : fmt::format("value {} in point {} ({})", v.text, p.index, values_text(spec, p));
        throw ScenarioError(spec.file, v.line, "axes." + e.key(),
                            fmt::format("{} ({})", strip_from(e.problem()), where), v.column);
      }
      throw ScenarioError(
          spec.file, spec.axes_line, "axes",
          fmt::format("point {} ({}): the scenario is refused: {}", p.index, values_text(spec, p), e.what()));
    }
  }
}

}  // namespace irqrig::host::sweep
