// The irqrig command line: run and check scenarios (DESIGN.md "CLI" contract and its exit codes).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "host/drivers/mutants/registry.h"
#include "host/replay/recording.h"
#include "host/report/html_report.h"
#include "host/run/runner.h"
#include "host/run/targets.h"
#include "host/scenario/scenario.h"
#include "host/sweep/spec.h"
#include "host/sweep/sweep.h"
#include "sim/device/device.h"
#include "sim/remote/server.h"
#include "sim/verilated/verilated_device.h"

namespace {

// serve's last words: stderr may be closed (`2>&-`); stdio's calls report that by return value,
// which is ignored, where fmt::print would throw out of a catch block.
void say_error(const char* what, const char* why) noexcept {
  std::fputs(what, stderr);
  std::fputs(why, stderr);
  std::fputc('\n', stderr);
}

enum Exit : int { kOk = 0, kCheckFailed = 1, kBadInput = 2, kTargetFailed = 3 };

/// Refuses an output path that cannot be written before the run, so a bad path costs nothing;
/// opens it for appending (creating it only for the check), so a file already there keeps its
/// content until the run writes it: bad usage or a failed target never empties a previous output.
void check_writable(const std::string& path, const char* option) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  {
    std::ofstream out(path, std::ios::app);
    if (!out) throw std::invalid_argument(fmt::format("{} {}: cannot open for writing", option, path));
  }
  if (!existed) std::filesystem::remove(path, ec);
}

/// Opens an output file the run is done with: truncates it, as writing a new one.
std::ofstream open_output(const std::string& path, const char* option) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::invalid_argument(fmt::format("{} {}: cannot open for writing", option, path));
  return out;
}

void print_summary(const nlohmann::ordered_json& r) {
  const auto& d = r["device"];
  const auto& e = r["events"];
  fmt::print("irqrig: {} (seed {}, target {}): {} events generated, {} MSIs sent, {} ISR calls, {} DPC runs, "
             "{} events processed, {} lost, {} duplicated\n",
             r["scenario"].get<std::string>(), r["seed"].get<std::uint64_t>(), r["target"].get<std::string>(),
             d["events"].get<std::uint64_t>(), d["msi_sent"].get<std::uint64_t>(),
             r["isr"]["calls"].get<std::uint64_t>(), r["dpc"]["runs"].get<std::uint64_t>(),
             e["processed"].get<std::uint64_t>(), e["lost"].get<std::uint64_t>(),
             e["duplicated"].get<std::uint64_t>());
  const auto& lat = r["latency_ns"];
  fmt::print("irqrig: latency p50/p99 ns: msi->isr {}/{}, isr->dpc {}/{}, event->processed {}/{}; "
             "{} APIC merges, {} DPC inserts rejected\n",
             lat["msi_to_isr"]["p50"].get<std::uint64_t>(), lat["msi_to_isr"]["p99"].get<std::uint64_t>(),
             lat["isr_to_dpc"]["p50"].get<std::uint64_t>(), lat["isr_to_dpc"]["p99"].get<std::uint64_t>(),
             lat["event_to_processed"]["p50"].get<std::uint64_t>(),
             lat["event_to_processed"]["p99"].get<std::uint64_t>(), r["lapic"]["merged"].get<std::uint64_t>(),
             r["dpc"]["inserts_rejected"].get<std::uint64_t>());
  for (const auto& c : r["checks"])
    if (!c["ok"].get<bool>())
      fmt::print("irqrig: check {} FAILED: {}\n", c["name"].get<std::string>(), c["detail"].get<std::string>());
  fmt::print("irqrig: {} in {:.3f} ms simulated, {:.2f} s wall\n", r["ok"].get<bool>() ? "ok" : "FAILED",
             static_cast<double>(r["sim_time_ns"].get<std::uint64_t>()) / 1e6, r["wall_s"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  // SystemC prints a banner on first use unless told not to; the rig's output is its own.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);

  CLI::App app{"irqrig: hardware-in-the-loop test rig for PCIe interrupt paths"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "irqrig 0.1.0");

  std::string scenario_path, report_path, waves_path, trace_path, target = "sim", driver;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  bool stop_at_first_failure = false;

  std::string record_path, replay_path;
  CLI::App* run = app.add_subcommand("run", "Run a scenario and report");
  run->add_option("scenario", scenario_path, "Scenario YAML file (with --replay: the recording's own when left out)");
  CLI::Option* target_option =
      run->add_option("--target", target, "sim | remote:unix:PATH | remote:tcp:HOST:PORT | vfio:BDF | vfio:loopback (docs/remote.md, docs/vfio.md)");
  run->add_option("--record", record_path, "Record what the device sent (records, interrupts) here (docs/replay.md)");
  run->add_option("--replay", replay_path,
                  "Replay this recording into the host model instead of a target (docs/replay.md)");
  run->add_option("--driver", driver,
                  "reference, mutant:NAME (irqrig list mutants), or the path of a plug-in driver (.so; see docs/drivers.md)");
  run->add_option("--seed", seed, "Override the scenario's seed");
  run->add_option("--set", sets, "Override a scenario key: KEY=VALUE, e.g. host.cpus=2")->take_all();
  run->add_option("--report", report_path, "Write the JSON report here");
  run->add_option("--trace", trace_path, "Chrome trace-event JSON of the run (Perfetto, chrome://tracing)");
  run->add_option("--waves", waves_path, "Trace the RTL into this FST file");
  std::string html_path, report_input;
  run->add_option("--html", html_path, "Write a self-contained HTML report with plots here (docs/reports.md)");
  run->add_flag("--quiet", quiet, "Print nothing; the exit code says it all");
  run->add_flag("--stop-at-first-failure", stop_at_first_failure,
                "End the run at the first failed check (report and trace written, exit 1)");

  CLI::App* check = app.add_subcommand("check", "Validate a scenario without running it");
  check->add_option("scenario", scenario_path, "Scenario YAML file")->required();
  check->add_option("--set", sets, "Override a scenario key: KEY=VALUE")->take_all();

  // `irqrig sweep` (docs/sweeps.md): validates every point, then one `irqrig run` child per point.
  irqrig::host::sweep::SweepOptions sweep_options;
  std::string sweep_shard;
  CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario over a product of settings, one process per point");
  sweep->add_option("sweep", sweep_options.file, "Sweep YAML file (docs/sweeps.md)")->required();
  sweep->add_option("-j,--jobs", sweep_options.jobs, "Points run at once (default: the CPUs available)")
      ->check(CLI::Range(1u, 4096u));
  CLI::Option* shard_option =
      sweep->add_option("--shard", sweep_shard, "Run only shard I of N (1-based, points with index % N == I-1)");
  sweep->add_option("--out", sweep_options.out, "Output directory (default: beside the sweep file, named after it)");
  sweep->add_flag("--merge", sweep_options.merge_only, "Run nothing: merge the points' records into results")
      ->excludes(shard_option);
  sweep->add_flag("--quiet", sweep_options.quiet, "Print nothing; the exit code says it all");

  CLI::App* list = app.add_subcommand("list", "List stock scenarios or the built-in mutant drivers");
  std::string what;
  list->add_option("what", what, "scenarios | mutants")->required()->check(CLI::IsMember({"scenarios", "mutants"}));

  CLI::App* report_cmd = app.add_subcommand("report", "Render a run's report or a sweep's results.json as HTML");
  report_cmd->add_option("input", report_input, "A run's --report JSON or a sweep's results.json")->required();
  report_cmd->add_option("--html", html_path, "The HTML file to write")->required();

  // `irqrig serve` (docs/remote.md): one client at a time drives a fresh device over the wire protocol.
  std::string serve_listen = "unix:irqrig.sock", serve_target = "sim", serve_token_file;
  bool serve_once = false;
  CLI::App* serve = app.add_subcommand("serve", "Serve the endpoint (or a card) to remote clients, one after another");
  serve->add_option("--listen", serve_listen,
                    "unix:PATH (made mode 0600) or tcp:HOST:PORT (port 0: any free one); an address beyond loopback "
                    "needs a token. Default unix:irqrig.sock");
  serve->add_option("--target", serve_target, "sim | vfio:BDF: the device each client gets afresh");
  // No --token: a secret on the command line is visible to every user in `ps`.
  serve->add_option("--token-file", serve_token_file,
                    "Clients must send the token on this file's first line (IRQRIG_TOKEN on their side); "
                    "without it, the server's IRQRIG_TOKEN if set");
  serve->add_flag("--once", serve_once, "Serve one client, then exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kBadInput;
  }

  if (sweep->parsed()) {
    try {
      if (!sweep_shard.empty()) sweep_options.shard = irqrig::host::sweep::parse_shard(sweep_shard);
      // Each point runs in a child of this very binary (SystemC elaborates once per process).
      sweep_options.irqrig = std::filesystem::read_symlink("/proc/self/exe").string();
      return irqrig::host::sweep::run_sweep(sweep_options);
    } catch (const irqrig::host::ScenarioError& e) {
      fmt::print(stderr, "irqrig: error: {}\n", e.what());
      return kBadInput;
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "irqrig: error: {}\n", e.what());
      return kBadInput;
    } catch (const std::exception& e) {
      fmt::print(stderr, "irqrig: sweep failed: {}\n", e.what());
      return kTargetFailed;
    }
  }

  if (serve->parsed()) {
    namespace remote = irqrig::sim::remote;
    try {
      remote::ServerOptions options;
      options.listen = remote::parse_socket_address(serve_listen, "--listen", /*allow_port_0=*/true);
      if (!serve_token_file.empty())
        options.token = remote::read_token_file(serve_token_file);
      else if (const char* token = std::getenv("IRQRIG_TOKEN"))
        options.token = token;
      options.once = serve_once;
      options.handle_signals = true;
      const irqrig::host::TargetSpec spec = irqrig::host::parse_target(serve_target);
      if (spec.kind != irqrig::host::TargetSpec::Kind::kSim && spec.kind != irqrig::host::TargetSpec::Kind::kVfio)
        throw std::invalid_argument(fmt::format("--target {}: serve offers sim or vfio:BDF", serve_target));
      const bool vfio = spec.kind == irqrig::host::TargetSpec::Kind::kVfio;
      options.backend = vfio ? irqrig::sim::proto::Backend::kVfio : irqrig::sim::proto::Backend::kSim;
      options.num_vectors = vfio ? 0 : irqrig::sim::VerilatedDeviceOptions{}.num_vectors;
      const remote::DeviceFactory factory = [spec] { return irqrig::host::open_target(spec, irqrig::host::TargetOptions{}); };
      remote::Server server(options, factory);  // the listening policy first: bad input is exit 2
      factory();  // a target that cannot be opened fails now (exit 3), not at the first client
      // The one line on stdout: where clients connect (a script or test reads the port from it).
      fmt::print("listening on {}\n", server.address());
      std::fflush(stdout);
      server.run();
      return kOk;
    } catch (const std::invalid_argument& e) {
      say_error("irqrig: error: ", e.what());
      return kBadInput;
    } catch (const remote::ServeError& e) {
      say_error("irqrig: error: ", e.what());
      return kBadInput;
    } catch (const irqrig::sim::DeviceError& e) {
      say_error("irqrig: target failed: ", e.what());
      return kTargetFailed;
    } catch (const std::exception& e) {
      say_error("irqrig: internal error: ", e.what());
      return kTargetFailed;
    }
  }

  try {
    if (list->parsed() && what == "mutants") {
      for (const irqrig::host::Mutant& m : irqrig::host::mutants())
        fmt::print("{}  {}  (caught by {}: {})\n", m.name, m.description, m.scenario, m.check);
      return kOk;
    }
    if (list->parsed()) {
      // The stock scenarios live in the repository; elsewhere there is nothing to list.
      if (!std::filesystem::is_directory("scenarios")) {
        fmt::print(stderr, "irqrig: no scenarios/ folder here; run from the repository root\n");
        return kBadInput;
      }
      std::vector<std::string> names;
      for (const auto& f : std::filesystem::directory_iterator("scenarios"))
          if (f.path().extension() == ".yaml") names.push_back(f.path().string());
      std::sort(names.begin(), names.end());
      for (const auto& n : names) fmt::print("{}\n", n);
      return kOk;
    }
    if (report_cmd->parsed()) {
      const auto kind = irqrig::report::render_file(report_input, html_path);
      if (!quiet) fmt::print("irqrig: {} report written to {}\n", kind == irqrig::report::InputKind::kRun ? "run" : "sweep", html_path);
      return kOk;
    }
    // Every check of the options' combination comes before anything is read or written.
    const bool replaying = run->parsed() && !replay_path.empty();
    if (replaying) {
      // The device is the recording: there is no target to pick, nothing new to record, no RTL.
      if (target_option->count())
        throw std::invalid_argument("--replay and --target: a replay's device is the recording, not a target");
      if (!record_path.empty()) throw std::invalid_argument("--record with --replay: a replay is already recorded");
      if (!waves_path.empty()) throw std::invalid_argument("--waves: a replay has no RTL to trace");
    }
    if (run->parsed()) {
      const irqrig::host::TargetSpec spec = irqrig::host::parse_target(target);
      if (spec.kind != irqrig::host::TargetSpec::Kind::kSim && !waves_path.empty())
        throw std::invalid_argument(fmt::format("--waves: only the in-process target (sim) has waves to write; "
                                                "the target is {}", spec.text));
    }
    if (run->parsed() && scenario_path.empty() && !replaying)
      throw std::invalid_argument("run: a scenario file is required (or --replay FILE, whose recording names one)");
    // Read once, here: the runner replays this very recording.
    std::shared_ptr<const irqrig::host::replay::Recording> recording;
    if (replaying) recording = std::make_shared<irqrig::host::replay::Recording>(irqrig::host::replay::read_recording(replay_path));
    irqrig::host::Scenario scenario;
    std::vector<std::string> overrides = sets;
    if (!scenario_path.empty()) {
      scenario = irqrig::host::load_scenario(scenario_path, sets);
    } else {
      const irqrig::host::replay::RecordingHeader& h = recording->header;
      if (h.scenario_text.empty())
        throw std::invalid_argument(fmt::format("--replay {}: the recording holds no scenario; name one", replay_path));
      // The recorded run's scenario, overrides and seed; this command's --set goes on top.
      overrides = h.overrides;
      overrides.insert(overrides.end(), sets.begin(), sets.end());
      scenario = irqrig::host::parse_scenario(h.scenario_text, h.scenario_file, overrides);
      scenario.seed = h.seed;
      if (driver.empty()) driver = h.driver;
    }
    if (seed) scenario.seed = *seed;
    if (check->parsed()) {
      if (!quiet) fmt::print("{}: ok ({} bursts, {} CPUs)\n", scenario_path, scenario.bursts.size(), scenario.cpus);
      return kOk;
    }
    // Outputs are checked, not truncated: each is written when the run has produced it.
    if (!report_path.empty()) check_writable(report_path, "--report");
    if (!waves_path.empty()) check_writable(waves_path, "--waves");
    if (!trace_path.empty()) check_writable(trace_path, "--trace");
    if (!html_path.empty()) check_writable(html_path, "--html");
    if (!record_path.empty()) check_writable(record_path, "--record");

    irqrig::host::RunOptions options;
    options.target = target;
    options.waves_path = waves_path;
    options.trace_path = trace_path;
    options.driver = driver;
    options.stop_at_first_failure = stop_at_first_failure;
    options.record_path = record_path;
    options.overrides = overrides;
    options.replay_path = replay_path;
    options.recording = recording;
    const auto outcome = irqrig::host::run_scenario(scenario, options);
    // Second line of defence after the parser's UTF-8 check: a stray byte becomes U+FFFD, not an abort.
    if (!report_path.empty()) {
      std::ofstream report_out = open_output(report_path, "--report");
      report_out << outcome.report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      if (!report_out.flush()) throw std::runtime_error(fmt::format("--report {}: write failed", report_path));
    }
    if (!html_path.empty()) irqrig::report::write_run_html(outcome.report, html_path);
    if (!quiet) print_summary(outcome.report);
    return outcome.ok ? kOk : kCheckFailed;
  } catch (const irqrig::host::ScenarioError& e) {
    fmt::print(stderr, "irqrig: error: {}\n", e.what());
    return kBadInput;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "irqrig: error: {}\n", e.what());
    return kBadInput;
  } catch (const irqrig::sim::DeviceError& e) {
    fmt::print(stderr, "irqrig: target failed: {}\n", e.what());
    return kTargetFailed;
  } catch (const std::exception& e) {
    // Anything else is a bug of irqrig's own: say so instead of aborting on an uncaught exception.
    fmt::print(stderr, "irqrig: internal error: {}\n", e.what());
    return kTargetFailed;
  }
}
