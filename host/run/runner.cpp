#include "host/run/runner.h"
#include "host/run/targets.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "host/drivers/loader.h"
#include "host/platform/fault_injection.h"
#include "host/platform/platform.h"
#include "host/replay/recording_device.h"
#include "host/replay/scenario_replay.h"
#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "sim/remote/remote_device.h"
#include "sim/verilated/verilated_device.h"

namespace irqrig::host {
namespace {

using nlohmann::ordered_json;
using sc_core::sc_time;
using sc_core::SC_MS;
using sc_core::SC_PS;
using sc_core::SC_US;

constexpr std::uint64_t kPollPs = 1'000'000;  // the testbench looks at the device every microsecond

struct Figures {
  ordered_json report;
  std::uint64_t unknown = 0, rewritten = 0, in_flight = 0;
  std::vector<std::uint32_t> outstanding_sample;
};

ordered_json latency(const Histogram& h);
Figures take_figures(Platform& platform, const Scenario& s, const std::string& target, std::uint64_t sim_ps);

/// The testbench: starts the driver on CPU 0, programs each burst over BAR0, and stops the run
/// when everything the device produced has been handled.
class Testbench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Testbench);
  Testbench(const sc_core::sc_module_name& name, const Scenario& s, Platform& p, std::string target, Driver& driver)
      : sc_module(name), scenario_(s), platform_(p), target_(std::move(target)), driver_(driver) {
    SC_THREAD(run);
    SC_THREAD(play_masks);
  }

  bool drained() const { return drained_; }
  /// Fires when the first burst starts: where `device.masks` and `faults:` times count from.
  const sc_core::sc_event& bursts_started() const { return bursts_started_; }
  /// When the run ended (drained or at its time limit) and each CPU's figures at that moment,
  /// before the driver's stop-device work.
  std::uint64_t end_ps() const { return end_ps_; }
  const std::optional<Figures>& figures() const { return figures_; }

 private:
  void run() {
    platform_.guard([this] { play(); });
  }

  void play() {
    sim::Device& dev = platform_.device();
    platform_.cpu(0).queue_passive([this] {
      IRQRIG_RESOURCES res{};
      res.PhysicalDeviceObject = nullptr;
      res.Bar0.QuadPart = static_cast<LONGLONG>(platform_.bar0_physical());
      res.Bar0Length = 1u << regs::kBar0SizeLog2;
      res.MessageCount = scenario_.vectors;
      res.CommonBuffer = platform_.common_buffer();
      res.CommonBufferLogical.QuadPart = static_cast<LONGLONG>(platform_.config().dma_base);
      res.CommonBufferLength = static_cast<ULONG>(platform_.common_buffer_size());
      res.RingEntries = scenario_.ring_entries;
      static constexpr KDPC_IMPORTANCE kImportance[] = {LowImportance, MediumImportance, MediumHighImportance,
                                                        HighImportance};
      res.Parameters.DpcImportance = kImportance[static_cast<int>(scenario_.dpc.importance)];
      res.Parameters.DpcTargetProcessor = scenario_.dpc.target ? static_cast<LONG>(*scenario_.dpc.target) : -1;
      res.Parameters.ThreadedDpc = scenario_.dpc.threaded ? TRUE : FALSE;
      start_status_ = driver_.start(res);
      started_ = NT_SUCCESS(start_status_);
      started_event_.notify(sc_core::SC_ZERO_TIME);
    });
    wait(started_event_);
    if (!started_) {
      const std::string why = driver_.failure();
      platform_.fault("start_device", fmt::format("StartDevice of {} returned {:#010x}{}{}", driver_.name(),
                                                  static_cast<ULONG>(start_status_), why.empty() ? "" : ": ", why));
      end_ps_ = platform_.now_ps();
      sc_core::sc_stop();
      return;
    }
    const std::uint64_t cycle_ps = dev.cycle_ps();
    sim::Endpoint endpoint(dev);
    // The device's own settings, which a driver would make at start: moderation on every granted
    // vector, and what the event writer does when the ring is full.
    if (!scenario_.moderation.off()) {
      const Moderation& m = scenario_.moderation;
      const sim::Moderation setting{static_cast<std::uint32_t>(m.frames), static_cast<std::uint32_t>(m.usecs),
                                    static_cast<std::uint32_t>(m.itr_ns)};
      for (unsigned v = 0; v < scenario_.vectors; ++v) endpoint.set_moderation(v, setting);
    }
    endpoint.set_ring_on_full(scenario_.ring_on_full == RingFull::kDrop ? sim::RingFull::kDrop : sim::RingFull::kStall);
    bursts_start_ps_ = platform_.now_ps();
    bursts_started_.notify(sc_core::SC_ZERO_TIME);
    // What the thread keeps across waits lives in members: a run stopped by a fault never resumes
    // this thread, and its stack is not unwound.
    for (std::size_t b = 0; b < scenario_.bursts.size(); ++b) {
      const BurstSpec& burst = scenario_.bursts[b];
      sim::BurstProgram& program = program_;
      program.events = static_cast<std::uint32_t>(burst.events);
      program.gap_cycles = static_cast<std::uint32_t>((burst.gap_ns * 1000 + cycle_ps / 2) / cycle_ps);
      program.pattern = static_cast<std::uint32_t>(burst.pattern);
      program.seed = static_cast<std::uint32_t>(scenario_.seed * 0x9E3779B97F4A7C15ull >> 32) ^
                     static_cast<std::uint32_t>(b);
      program.vectors.assign(burst.vectors.begin(), burst.vectors.end());
      program.repeat = static_cast<std::uint32_t>(burst.repeat);
      endpoint.start_burst(program);
      do {
        if (!poll()) return;
      } while (endpoint.busy());
    }
    if (scenario_.until == Until::kTime) {
      while (poll()) {
      }
      return;
    }
    // Events the device dropped (a full ring in drop mode, ABORT) never get a record.
    const sim::EndpointCounters device = endpoint.counters();
    const std::uint64_t records = device.events - device.ring_overflows - device.aborted;
    for (;;) {
      Accounting& a = platform_.accounting();
      // Moderation may still hold events the driver has already handled (another vector's DPC
      // drained them): the run ends after their message, so the device's figures are whole.
      // Events whose every later message was dropped (faults.drop_msi) wait for nothing more.
      if (a.written() >= records && platform_.all_idle() && !endpoint.status().moderation_held &&
          (a.outstanding() == 0 || a.outstanding() == platform_.lost_to_dropped_msi())) {
        drained_ = true;
        finish();
        return;
      }
      if (!poll()) return;
    }
  }

  /// `device.masks`: the testbench masks and unmasks vectors at their times, counted from the
  /// start of the first burst, as a driver or the OS would through the vector's mask bit.
  void play_masks() {
    if (scenario_.masks.empty()) return;
    std::vector<MaskChange>& changes = mask_changes_;
    for (const MaskWindow& m : scenario_.masks) {
      changes.push_back({m.from_us * 1'000'000, m.vector, true});
      if (m.to_us) changes.push_back({*m.to_us * 1'000'000, m.vector, false});
    }
    std::stable_sort(changes.begin(), changes.end(), [](const MaskChange& a, const MaskChange& b) { return a.at_ps < b.at_ps; });
    wait(bursts_started_);
    platform_.guard([&] {
      sim::Endpoint endpoint(platform_.device());
      for (const MaskChange& c : changes) {
        const std::uint64_t at = bursts_start_ps_ + c.at_ps;
        if (at > platform_.now_ps()) wait(sc_time(static_cast<double>(at - platform_.now_ps()), SC_PS));
        if (scenario_.mode == InterruptMode::kMsi) {
          endpoint.set_msi_mask(c.vector, c.masked);
        } else {
          endpoint.set_message_mask(c.vector, c.masked);
        }
      }
    });
  }

  /// Waits one poll interval; at the time limit ends the run instead and returns false.
  bool poll() {
    const std::uint64_t limit_ps = scenario_.time_us * 1'000'000;
    const std::uint64_t now = platform_.now_ps();
    if (now >= limit_ps) {
      finish();
      return false;
    }
    wait(sc_time(static_cast<double>(std::min(kPollPs, limit_ps - now)), SC_PS));
    platform_.check_late();
    return true;
  }

  /// Ends the run: takes the figures, lets the driver stop its device at PASSIVE on CPU 0 (so it
  /// disconnects and frees what it allocated), then stops the simulation.
  void finish() {
    // The last look at `late`: a run cut at its time limit (or ended as drained) judges the
    // records still unprocessed then, whatever the last poll saw.
    platform_.check_late();
    end_ps_ = platform_.now_ps();
    figures_ = take_figures(platform_, scenario_, target_, end_ps_);
    platform_.cpu(0).queue_passive([this] {
      driver_.stop();
      stopped_event_.notify(sc_core::SC_ZERO_TIME);
    });
    // A CPU stuck at raised IRQL never gets to it; the run still ends.
    wait(sc_time(1, SC_MS), stopped_event_);
    sc_core::sc_stop();
  }

  const Scenario& scenario_;
  Platform& platform_;
  sc_core::sc_event started_event_;
  sc_core::sc_event stopped_event_;
  sc_core::sc_event bursts_started_;
  sim::BurstProgram program_;
  struct MaskChange {
    std::uint64_t at_ps;
    unsigned vector;
    bool masked;
  };
  std::vector<MaskChange> mask_changes_;
  std::uint64_t bursts_start_ps_ = 0;
  std::uint64_t end_ps_ = 0;
  std::string target_;
  std::optional<Figures> figures_;
  bool started_ = false;
  bool drained_ = false;
  NTSTATUS start_status_ = STATUS_UNSUCCESSFUL;
  Driver& driver_;
};

/// The report's figures at one moment: taken when the run ends, before the driver stops.
Figures take_figures(Platform& platform, const Scenario& s, const std::string& target, std::uint64_t sim_ps) {
  // The device's own counters are the device's figures.
  const sim::EndpointCounters device = sim::Endpoint(platform.device()).counters();
  const std::uint64_t dev_events = device.events;
  // What the device dropped, counted by the device, is not the driver's loss.
  const std::uint64_t dropped = device.ring_overflows + device.aborted;

  Accounting& acc = platform.accounting();
  const PlatformCounters& c = platform.counters();
  std::uint64_t accepted = 0, merged = 0;
  ordered_json per_cpu = ordered_json::array();
  for (unsigned i = 0; i < platform.cpu_count(); ++i) {
    const Cpu& cpu = platform.cpu(i);
    accepted += cpu.msi_accepted();
    merged += cpu.msi_merged();
    const CpuStats st = cpu.stats();
    const std::uint64_t busy = st.isr_ps + st.dpc_ps + st.ipi_ps + st.other_ps;
    per_cpu.push_back(ordered_json{{"cpu", i},
                                   {"isr_ns", st.isr_ps / 1000},
                                   {"dpc_ns", st.dpc_ps / 1000},
                                   {"ipi_ns", st.ipi_ps / 1000},
                                   {"idle_ns", (sim_ps > busy + st.held_ps ? sim_ps - busy - st.held_ps : 0) / 1000},
                                   {"held_ns", st.held_ps / 1000}});
  }
  const std::uint64_t processed = acc.processed();
  const std::uint64_t unprocessed = dev_events > processed + dropped ? dev_events - processed - dropped : 0;
  // Events whose messages after their record were all dropped (faults.drop_msi): the hardware's loss.
  const std::uint64_t hardware_lost = std::min(unprocessed, platform.lost_to_dropped_msi());
  // A run cut at a fixed time, or at the first failed check, leaves events in flight: they are
  // not lost, only not done yet.
  const bool cut = s.until == Until::kTime || platform.stopped_at_failure();
  const std::uint64_t lost = cut ? 0 : unprocessed - hardware_lost;
  std::uint64_t max_at_dispatch_ps = 0;
  for (unsigned i = 0; i < platform.cpu_count(); ++i)
    max_at_dispatch_ps = std::max(max_at_dispatch_ps, platform.cpu(i).max_dispatch_run_ps());

  ordered_json r;
  r["irqrig_report"] = 1;
  r["scenario"] = s.name;
  r["seed"] = s.seed;
  r["target"] = target;
  r["sim_time_ns"] = sim_ps / 1000;
  r["wall_s"] = 0.0;
  r["device"] = {{"events", dev_events},
                 {"msi_sent", device.msi_sent},
                 {"msi_pending_on_mask", device.msi_pending_on_mask},
                 {"moderation_coalesced", device.moderation_coalesced},
                 {"ring_overflows", device.ring_overflows},
                 {"moderation_fired", device.moderation_fired},
                 {"ring_full_stalls", device.ring_full_stalls},
                 {"aborted", device.aborted},
                 {"ack_suppressed", device.ack_suppressed}};
  r["lapic"] = {{"accepted", accepted}, {"merged", merged}};
  r["isr"] = {{"calls", c.isr_calls},
              {"claimed", c.isr_claimed},
              {"declined", c.isr_declined},
              {"unclaimed", c.isr_unclaimed}};
  r["dpc"] = {{"inserts", c.dpc_inserts},
              {"inserts_rejected", c.dpc_inserts_rejected},
              {"runs", c.dpc_runs},
              {"max_runtime_ns", c.dpc_max_runtime_ps / 1000},
              {"max_at_dispatch_ns", max_at_dispatch_ps / 1000}};
  r["ipi"] = {{"broadcasts", c.ipi_broadcasts}, {"worker_calls", c.ipi_worker_calls}};
  r["events"] = {{"processed", processed},
                 {"lost", lost},
                 {"duplicated", acc.duplicated()},
                 {"lost_to_dropped_msi", hardware_lost}};
  r["latency_ns"] = {{"msi_to_isr", latency(platform.msi_to_isr())},
                     {"isr_to_dpc", latency(platform.isr_to_dpc())},
                     {"event_to_processed", latency(acc.event_to_processed())}};
  r["per_cpu"] = per_cpu;
  const FaultCounters& fc = platform.fault_counters();
  r["faults"] = {{"msi_jittered", fc.msi_jittered},
                 {"msi_dropped", fc.msi_dropped},
                 {"cpu_holds", fc.cpu_holds},
                 {"ipi_storm_broadcasts", fc.ipi_storm_broadcasts},
                 {"affinity_changes", fc.affinity_changes},
                 {"table_rewrites", fc.table_rewrites}};
  {
    // For the HTML report (docs/reports.md): the distributions behind the latency figures, as
    // [upper_ns, count] pairs of the non-empty buckets merged into at most 64 log-spaced bins, and
    // how many events each ISR and each DPC run handled on average (0 when there were none).
    auto buckets = [](const Histogram& h) {
      ordered_json pairs = ordered_json::array();
      for (const Histogram::Bucket& b : h.buckets(64)) pairs.push_back(ordered_json::array({b.upper, b.count}));
      return pairs;
    };
    r["histograms"] = {{"msi_to_isr", buckets(platform.msi_to_isr())},
                       {"isr_to_dpc", buckets(platform.isr_to_dpc())},
                       {"event_to_processed", buckets(acc.event_to_processed())}};
    auto per = [](std::uint64_t n, std::uint64_t d) { return d ? static_cast<double>(n) / static_cast<double>(d) : 0.0; };
    r["rates"] = {{"events_per_isr", per(processed, c.isr_claimed)}, {"events_per_dpc", per(processed, c.dpc_runs)}};
  }

  Figures f;
  f.in_flight = cut ? unprocessed - hardware_lost : 0;
  f.unknown = acc.unknown();
  f.rewritten = acc.rewritten();
  f.outstanding_sample = acc.outstanding_sample(8);
  f.report = std::move(r);
  return f;
}

ordered_json latency(const Histogram& h) {
  return ordered_json{{"p50", h.quantile(0.50)}, {"p99", h.quantile(0.99)}, {"max", h.max()}};
}

/// Where and when a failure happened, as far as known: "seed S, T ns, CPU c, DPC Name, seq N: ".
std::string failure_line(std::uint64_t seed, const Fault& x) {
  std::string line = fmt::format("seed {}, {} ns", seed, x.time_ps / 1000);
  if (x.cpu >= 0) line += fmt::format(", CPU {}", x.cpu);
  if (x.routine != RoutineKind::kNone) {
    line += fmt::format(", {}", routine_kind_name(x.routine));
    if (!x.routine_name.empty()) line += " " + x.routine_name;
  }
  if (x.seq) line += fmt::format(", seq {}", *x.seq);
  line += ": ";
  if (!x.rule.empty()) line += x.rule + ": ";
  return line + x.detail;
}

std::string failure_detail(std::uint64_t seed, const std::vector<const Fault*>& kept, std::uint64_t count) {
  std::string detail = failure_line(seed, *kept.front());
  for (std::size_t i = 1; i < kept.size(); ++i) detail += "; then " + failure_line(seed, *kept[i]);
  if (count > kept.size()) detail += fmt::format("; {} failures in all", count);
  return detail;
}

/// The report's `first` object: the fields of the first failure that are known.
ordered_json first_of(const Fault& x) {
  ordered_json first{{"time_ns", x.time_ps / 1000}};
  if (x.cpu >= 0) first["cpu"] = x.cpu;
  if (x.routine != RoutineKind::kNone) {
    std::string routine = routine_kind_name(x.routine);
    if (!x.routine_name.empty()) routine += " " + x.routine_name;
    first["routine"] = routine;
  }
  if (x.seq) first["seq"] = *x.seq;
  return first;
}

const ordered_json* find_path(const ordered_json& j, const std::string& path) {
  const ordered_json* cur = &j;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

/// Whether the opened target runs the Verilated endpoint: in this process, or behind a server that
/// said so in its HelloAck (a server may serve a card: backend vfio).
bool rtl_target(const TargetSpec& t, const sim::Device& device) {
  if (t.kind == TargetSpec::Kind::kSim) return true;
  if (t.kind != TargetSpec::Kind::kRemoteUnix && t.kind != TargetSpec::Kind::kRemoteTcp) return false;
  const auto* remote = dynamic_cast<const sim::remote::RemoteDevice*>(&device);
  return remote && remote->backend() == sim::proto::Backend::kSim;
}

}  // namespace

std::optional<std::string> check_bound(const ordered_json& report, const std::string& path, const Bound& bound) {
  const ordered_json* v = find_path(report, path);
  if (!v || !v->is_number()) return fmt::format("{} is not a figure of the report", path);
  const double x = v->get<double>();
  if (bound.min && x < *bound.min) return fmt::format("{} = {} is below the minimum {}", path, x, *bound.min);
  if (bound.max && x > *bound.max) return fmt::format("{} = {} is above the maximum {}", path, x, *bound.max);
  return std::nullopt;
}

RunOutcome run_scenario(const Scenario& scenario, const RunOptions& options) {
  const replay::Recording* recording = options.recording.get();
  const bool replaying = recording != nullptr;
  // A replay ends at the recording's end at the latest: what the device never sent is not
  // waited for (docs/replay.md). The end rounds up to a microsecond without overflowing.
  Scenario replayed;
  if (replaying) {
    replayed = scenario;
    const std::uint64_t end_us = recording->end_ps / 1'000'000 + (recording->end_ps % 1'000'000 != 0 ? 1 : 0);
    replayed.time_us = std::min(scenario.time_us, end_us);
  }
  const Scenario& s = replaying ? replayed : scenario;
  const std::string target_text = replaying ? "replay:" + options.replay_path : options.target;
  const TargetSpec target = parse_target(replaying ? std::string("sim") : options.target);
  const auto wall_start = std::chrono::steady_clock::now();
  // Loaded before anything is built, so a bad plug-in costs nothing; it outlives the platform.
  const std::unique_ptr<Driver> driver = load_driver(options.driver.empty() ? s.driver : options.driver);

  std::unique_ptr<sim::Device> device_owner =
      replaying ? replay::open_replay(options.replay_path, *recording, s) : open_target(target, TargetOptions{options.waves_path});
  replay::RecordingDevice* recorder = nullptr;
  if (!options.record_path.empty()) {
    replay::RecordingHeader header = replay::recording_header(
        s, options.target, options.overrides, options.driver.empty() ? s.driver : options.driver,
        rtl_target(target, *device_owner), device_owner->cycle_ps());
    auto wrapped = std::make_unique<replay::RecordingDevice>(std::move(device_owner), options.record_path,
                                                             std::move(header));
    recorder = wrapped.get();
    device_owner = std::move(wrapped);
  }
  sim::Device& device = *device_owner;

  PlatformConfig cfg;
  cfg.cpus = s.cpus;
  cfg.costs = RoutineCosts{s.costs.isr_ns, s.costs.dpc_ns, s.costs.dpc_per_event_ns, s.costs.mmio_read_ns,
                           s.costs.mmio_write_ns};
  cfg.affinity = s.affinity;
  cfg.quantum_cycles = s.quantum_cycles;
  cfg.ring_entries = s.ring_entries;
  cfg.message_mode = s.mode == InterruptMode::kMsi ? MessageMode::kMsi : MessageMode::kMsix;
  cfg.clock_tick_ps = s.kernel.tick_us * 1'000'000;
  cfg.dpc.maximum_queue_depth = s.kernel.maximum_dpc_queue_depth;
  cfg.dpc.minimum_rate = s.kernel.minimum_dpc_rate;
  cfg.dpc.adaptive_depth = s.kernel.adaptive_dpc_depth;
  cfg.threaded_dpcs = s.kernel.threaded_dpcs;
  if (s.ipi) {
    cfg.ipi_period_ps = s.ipi->period_us * 1'000'000;
    cfg.ipi_worker_ps = s.ipi->worker_ns * 1000;
  }
  cfg.trace_path = options.trace_path;
  cfg.msi_faults.seed = s.seed;
  cfg.msi_faults.jitter_ps = s.faults.msi_jitter_ns * 1000;
  cfg.msi_faults.drop_probability = s.faults.drop_msi.probability;
  cfg.msi_faults.drop_nth = s.faults.drop_msi.nth;
  FaultPlan plan;
  for (const CpuHold& h : s.faults.hold_cpus)
    plan.holds.push_back({h.cpu, static_cast<Irql>(h.irql), h.from_us * 1'000'000, h.for_us * 1'000'000});
  if (const auto& st = s.faults.ipi_storm)
    plan.storm = FaultPlan::Storm{st->from_us * 1'000'000, st->for_us * 1'000'000, st->period_ns * 1000, st->worker_ns * 1000, st->cpu};
  for (const AffinityChange& c : s.faults.affinity_changes) plan.rewrites.push_back({c.at_us * 1'000'000, c.vector, c.cpu});
  for (const TableRewrite& t : s.faults.table_rewrites) plan.rewrites.push_back({t.at_us * 1'000'000, t.vector, std::nullopt});
  cfg.checks.dpc_single_ps = s.checks.dpc_single_us * 1'000'000;
  cfg.checks.dpc_cumulative_ps = s.checks.dpc_cumulative_us * 1'000'000;
  cfg.checks.late_ps = s.checks.late_us * 1'000'000;
  cfg.checks.isr_balance = true;
  cfg.checks.stop_at_first_failure = options.stop_at_first_failure;

  // sc_stop() is how a drained run ends, not news.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  Platform platform("host", cfg, device);
  Testbench bench("testbench", s, platform, target_text, *driver);
  std::unique_ptr<FaultInjector> injector;
  if (!plan.empty()) injector = std::make_unique<FaultInjector>("faults", platform, std::move(plan), bench.bursts_started());
  // The testbench ends the run at the limit; the extra millisecond only bounds a run whose
  // testbench itself was stopped by a fault.
  sc_core::sc_start(sc_time(static_cast<double>(s.time_us), SC_US) + sc_time(2, SC_MS));
  // A run that failed on its target is not a recording of the device: its recording is closed as
  // aborted (refused by a replay), never as complete.
  if (const auto& error = platform.target_error()) {
    if (recorder) recorder->abort("target failed: " + *error);
    throw sim::DeviceError(*error);
  }
  if (recorder) recorder->finish();
  const std::uint64_t sim_ps = bench.end_ps() ? bench.end_ps() : platform.now_ps();
  const bool time_limit_hit = s.until == Until::kDrained && !bench.drained();

  const Figures f = bench.figures() ? *bench.figures() : take_figures(platform, s, target_text, sim_ps);
  ordered_json r = f.report;
  const std::uint64_t dev_events = r["device"]["events"].get<std::uint64_t>();
  const std::uint64_t processed = r["events"]["processed"].get<std::uint64_t>();
  const std::uint64_t lost = r["events"]["lost"].get<std::uint64_t>();
  const std::uint64_t duplicated = r["events"]["duplicated"].get<std::uint64_t>();

  const bool stopped = platform.stopped_at_failure();
  ordered_json checks = ordered_json::array();
  auto add_check = [&checks](const std::string& name, bool ok, const std::string& detail,
                             ordered_json first = nullptr) {
    ordered_json entry{{"name", name}, {"ok", ok}, {"detail", detail}};
    if (!ok && first.is_object()) entry["first"] = std::move(first);
    checks.push_back(std::move(entry));
  };
  // A check's failures: the first in full (where and when), the rest kept after it, and the count.
  auto failures_of = [&](const std::string& name) {
    std::vector<const Fault*> kept;
    for (const Fault& x : platform.faults())
      if (x.check == name) kept.push_back(&x);
    return kept;
  };
  auto judge = [&](const std::string& name, const std::string& ok_detail) {
    const std::vector<const Fault*> kept = failures_of(name);
    if (kept.empty()) {
      add_check(name, true, ok_detail);
      return;
    }
    add_check(name, false, failure_detail(s.seed, kept, platform.failure_count(name)), first_of(*kept.front()));
  };
  {
    std::string detail = fmt::format("{} events, {} processed once, {} lost, {} duplicated, {} unknown, {} rewritten",
                                     dev_events, processed, lost, duplicated, f.unknown, f.rewritten);
    if (const auto hw = r["events"]["lost_to_dropped_msi"].get<std::uint64_t>())
      detail += fmt::format("; {} more lost to dropped MSIs (faults.drop_msi: the hardware's loss, not the driver's)", hw);
    if (f.in_flight)
      detail += fmt::format("; {} still in flight when {} ended the run", f.in_flight,
                            stopped ? "the first failed check" : "run.time_us");
    if (!f.outstanding_sample.empty())
      detail += fmt::format("; first unprocessed sequence numbers: {}", fmt::join(f.outstanding_sample, ", "));
    const std::vector<const Fault*> kept = failures_of("exactly_once");
    const bool ok = lost == 0 && duplicated == 0 && f.unknown == 0 && f.rewritten == 0 && kept.empty();
    if (!kept.empty()) {
      add_check("exactly_once", false,
                failure_detail(s.seed, kept, platform.failure_count("exactly_once")) + "; " + detail,
                first_of(*kept.front()));
    } else if (!ok && lost && !f.outstanding_sample.empty()) {
      // A lost event has no moment: it is named by the first number never processed.
      add_check("exactly_once", false,
                fmt::format("seed {}, {} ns, seq {}: lost; {}", s.seed, sim_ps / 1000, f.outstanding_sample.front(),
                            detail),
                ordered_json{{"time_ns", sim_ps / 1000}, {"seq", f.outstanding_sample.front()}});
    } else {
      add_check("exactly_once", ok, ok ? detail : fmt::format("seed {}, {} ns: {}", s.seed, sim_ps / 1000, detail),
                ordered_json{{"time_ns", sim_ps / 1000}});
    }
  }
  if (s.until == Until::kDrained) {
    if (stopped) {
      add_check("drained", true, fmt::format("not judged: --stop-at-first-failure ended the run at {} ns",
                                             sim_ps / 1000));
    } else {
      add_check("drained", !time_limit_hit,
                time_limit_hit ? fmt::format("seed {}, {} ns: {} {} reached before every event was "
                                             "processed",
                                             s.seed, sim_ps / 1000,
                                             s.time_us < scenario.time_us ? "the recording's end (us)" : "run.time_us",
                                             s.time_us)
                               : fmt::format("drained at {} ns", sim_ps / 1000),
                ordered_json{{"time_ns", sim_ps / 1000}});
    }
  }
  judge("record_integrity",
        fmt::format("{} records read, none torn, stale or read after the consumer index released its slot",
                    platform.ring_watch().reads()));
  judge("isr_balance",
        fmt::format("{} interrupts claimed, each against a record of its own message; {} declined by every ISR "
                    "with no record left unanswered",
                    r["isr"]["claimed"].get<std::uint64_t>(), r["isr"]["unclaimed"].get<std::uint64_t>()));
  judge("dpc_watchdog",
        fmt::format("longest DPC {} ns (single_us {}), longest time at DISPATCH_LEVEL or above {} ns "
                    "(cumulative_us {}); 0 is off",
                    r["dpc"]["max_runtime_ns"].get<std::uint64_t>(), s.checks.dpc_single_us,
                    r["dpc"]["max_at_dispatch_ns"].get<std::uint64_t>(), s.checks.dpc_cumulative_us));
  judge("late", s.checks.late_us ? fmt::format("no record waited over {} us in memory", s.checks.late_us)
                                  : std::string("off (checks.late_us 0)"));
  std::vector<std::string> fault_checks{"start_device", "dma_window", "msi_format", "spurious", "connect", "driver_rules"};
  constexpr std::array kJudgedAbove = {"exactly_once", "record_integrity", "isr_balance", "dpc_watchdog", "late"};
  for (const Fault& x : platform.faults()) {
    if (std::find(kJudgedAbove.begin(), kJudgedAbove.end(), x.check) != kJudgedAbove.end()) continue;
    if (std::find(fault_checks.begin(), fault_checks.end(), x.check) == fault_checks.end()) fault_checks.push_back(x.check);
  }
  for (const std::string& name : fault_checks) judge(name, "none");
  for (const auto& [path, bound] : s.expect) {
    // A run cut short by the first failed check has figures of a run that never finished: a
    // {min} bound on them would fail for the cut, not for the driver.
    if (stopped) {
      add_check("expect:" + path, true, "not judged: the run stopped at the first failed check");
      continue;
    }
    const auto why = check_bound(r, path, bound);
    add_check("expect:" + path, !why, why ? *why : std::string("holds"));
  }
  r["checks"] = checks;
  bool ok = true;
  for (const auto& ch : checks) ok = ok && ch["ok"].get<bool>();
  r["ok"] = ok;
  r["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return RunOutcome{std::move(r), ok};
}

}  // namespace irqrig::host
