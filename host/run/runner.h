// Runs one scenario: builds the device backend and the host platform, starts the driver, plays the
// bursts, and returns the contract's report (DESIGN.md "Report").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/replay/recording.h"
#include "host/scenario/scenario.h"

namespace irqrig::host {

struct RunOptions {
  std::string target = "sim";
  std::string waves_path;
  std::string trace_path;  ///< Chrome trace-event JSON of the run; empty: none
  std::string driver;  ///< `reference` or a plug-in path (host/drivers/loader.h); empty: the scenario's host.driver
  /// End the run at the first failed check's moment (--stop-at-first-failure).
  bool stop_at_first_failure = false;
  /// --record: write what the device sent to this recording (docs/replay.md); empty: none.
  std::string record_path;
  /// The --set overrides the scenario was loaded with, kept in a recording's header.
  std::vector<std::string> overrides;
  /// --replay: the device is `recording` (read by the caller, once) instead of `target`; `replay_path`
  /// names it, the report's target being replay:FILE. The caller refuses --record, --waves and
  /// --target with it.
  std::shared_ptr<const replay::Recording> recording;
  std::string replay_path;
};

struct RunOutcome {
  nlohmann::ordered_json report;
  bool ok = false;
};

/// One co-simulation. SystemC allows one elaboration per process: call this once per process.
/// Throws sim::DeviceError when the target fails, DriverLoadError when the driver cannot be loaded.
RunOutcome run_scenario(const Scenario& scenario, const RunOptions& options);

/// The bound check of one `expect:` entry against a report: empty when it holds, else the reason.
std::optional<std::string> check_bound(const nlohmann::ordered_json& report, const std::string& path,
                                       const Bound& bound);

}  // namespace irqrig::host
