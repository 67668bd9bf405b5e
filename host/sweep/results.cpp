#include "host/sweep/results.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace irqrig::host::sweep {
namespace {

using nlohmann::ordered_json;

constexpr int kRecordVersion = 1;

void flatten(const ordered_json& node, const std::string& prefix, ordered_json& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      flatten(*it, key, out);
    } else if (it->is_number()) {
      out[key] = *it;
    }
  }
}

// A JSON value as a CSV cell: strings bare, everything else as its JSON text.
std::string cell(const ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return csv_field(v.get<std::string>());
  return csv_field(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

ordered_json to_json(const PointRecord& r) {
  ordered_json j;
  j["irqrig_sweep_point"] = kRecordVersion;
  j["id"] = r.id;
  j["index"] = r.index;
  j["values"] = r.values;
  j["set"] = r.overrides;
  j["exit"] = r.exit;
  j["ok"] = r.ok();
  j["error"] = r.error;
  j["report"] = r.report;
  return j;
}

std::optional<PointRecord> record_from_json(const ordered_json& j) {
  if (!j.is_object() || j.value("irqrig_sweep_point", 0) != kRecordVersion) return std::nullopt;
  try {
    PointRecord r;
    r.id = j.at("id").get<std::string>();
    r.index = j.at("index").get<std::size_t>();
    r.values = j.at("values");
    r.overrides = j.at("set").get<std::vector<std::string>>();
    r.exit = j.at("exit").get<int>();
    r.error = j.at("error").get<std::string>();
    r.report = j.at("report");
    if (!r.values.is_object() || !(r.report.is_null() || r.report.is_object())) return std::nullopt;
    return r;
  } catch (const ordered_json::exception&) {
    return std::nullopt;
  }
}

std::optional<PointRecord> read_record(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const ordered_json j = ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return record_from_json(j);
}

void write_atomically(const std::filesystem::path& path, std::string_view content) {
  // The pid keeps two sweeps sharing a directory (shards on one node) off each other's temporary files.
  const std::filesystem::path tmp =
      path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), static_cast<long>(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error(fmt::format("{}: cannot write", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", path.string(), ec.message()));
  }
}

ordered_json flatten_figures(const ordered_json& report) {
  ordered_json out = ordered_json::object();
  if (!report.is_object()) return out;
  ordered_json kept = ordered_json::object();
  for (auto it = report.begin(); it != report.end(); ++it)
    if (it.key() != "wall_s" && it.key() != "irqrig_report" && it.key() != "seed") kept[it.key()] = *it;
  flatten(kept, "", out);
  return out;
}

std::vector<std::string> failed_checks(const ordered_json& report) {
  std::vector<std::string> names;
  if (!report.is_object() || !report.contains("checks") || !report["checks"].is_array()) return names;
  for (const auto& c : report["checks"])
    if (c.is_object() && c.value("ok", true) == false && c.contains("name") && c["name"].is_string())
      names.push_back(c["name"].get<std::string>());
  return names;
}

ordered_json merge(const SweepSpec& spec, const std::vector<PointRecord>& records) {
  ordered_json axes = ordered_json::array();
  for (const Axis& a : spec.axes) axes.push_back(a.key);
  ordered_json points = ordered_json::array();
  for (const PointRecord& r : records) {
    ordered_json p;
    p["id"] = r.id;
    p["values"] = r.values;
    p["ok"] = r.ok();
    p["exit"] = r.exit;
    p["failed_checks"] = failed_checks(r.report);
    p["error"] = r.error;
    p["figures"] = flatten_figures(r.report);
    points.push_back(std::move(p));
  }
  ordered_json j;
  j["irqrig_sweep"] = 1;
  j["sweep"] = spec.name;
  j["scenario"] = spec.scenario;
  j["axes"] = std::move(axes);
  j["points"] = std::move(points);
  return j;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string to_csv(const ordered_json& merged) {
  std::vector<std::string> axes = merged.at("axes").get<std::vector<std::string>>();
  std::vector<std::string> figures;
  ordered_json seen = ordered_json::object();
  for (const auto& p : merged.at("points"))
    for (auto it = p.at("figures").begin(); it != p.at("figures").end(); ++it)
      if (!seen.contains(it.key())) {
        seen[it.key()] = true;
        figures.push_back(it.key());
      }

  std::string out;
  std::vector<std::string> row{"id"};
  for (const auto& a : axes) row.push_back(csv_field(a));
  for (const char* c : {"ok", "exit", "failed_checks"}) row.emplace_back(c);
  for (const auto& f : figures) row.push_back(csv_field(f));
  out += fmt::format("{}\n", fmt::join(row, ","));
  for (const auto& p : merged.at("points")) {
    row.clear();
    row.push_back(csv_field(p.at("id").get<std::string>()));
    for (const auto& a : axes) row.push_back(cell(p.at("values").contains(a) ? p.at("values").at(a) : ordered_json()));
    row.push_back(p.at("ok").get<bool>() ? "true" : "false");
    row.push_back(std::to_string(p.at("exit").get<int>()));
    row.push_back(csv_field(fmt::format("{}", fmt::join(p.at("failed_checks").get<std::vector<std::string>>(), ";"))));
    const auto& f = p.at("figures");
    for (const auto& name : figures) row.push_back(f.contains(name) ? cell(f.at(name)) : "");
    out += fmt::format("{}\n", fmt::join(row, ","));
  }
  return out;
}

}  // namespace irqrig::host::sweep
