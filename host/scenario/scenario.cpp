#include "host/scenario/scenario.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "host/scenario/overrides.h"
#include "host/scenario/schema.h"
#include "host/scenario/yaml_view.h"

namespace irqrig::host {
namespace {

using scenario_internal::closest;
using scenario_internal::describe;
using scenario_internal::is_null;
using scenario_internal::join_path;
using scenario_internal::list_items;
using scenario_internal::MapView;
using scenario_internal::Origin;
using scenario_internal::read_bool;
using scenario_internal::read_choice;
using scenario_internal::read_number;
using scenario_internal::read_string;
using scenario_internal::read_uint;

constexpr std::array kModes = std::to_array<std::string_view>({"msix", "msi"});
constexpr std::array kPatterns = std::to_array<std::string_view>({"round_robin", "random", "fixed"});
constexpr std::array kUntils = std::to_array<std::string_view>({"drained", "time"});
constexpr std::array kAffinityForms = std::to_array<std::string_view>({"spread", "cpu0"});
constexpr std::array kRingFull = std::to_array<std::string_view>({"stall", "drop"});
constexpr std::array kImportances = std::to_array<std::string_view>({"low", "medium", "medium_high", "high"});
constexpr std::array kBoundKeys = std::to_array<std::string_view>({"min", "max"});

constexpr unsigned kMaxMsixVectors = 2048;  // MSI-X Table Size is 11 bits (SEMANTICS A5)
constexpr unsigned kMaxMsiVectors = 32;     // Multiple Message Enable encodes 1..32, powers of two
constexpr unsigned kMaxCpus = 64;
constexpr std::uint64_t kMaxQuantumCycles = 1'000'000;

std::string format_message(const std::string& file, int line, int column, const std::string& key,
                           const std::string& problem) {
  std::string where = file;
  if (line > 0) {
    where += fmt::format(":{}", line);
    if (column > 0) where += fmt::format(":{}", column);
  }
  if (key.empty()) return fmt::format("{}: {}", where, problem);
  return fmt::format("{}: {}: {}", where, key, problem);
}

// A use of a feature that may not be runnable yet; whether it is rejected is decided in one place,
// scenario_internal::not_supported_yet(), so landing a feature only removes an entry there.
struct FeatureUse {
  std::string key;
  YAML::Node node;
  std::string problem;
};

struct Recorded {
  Bound bound;
  bool from_override = false;
  int line = 0;
};

class ScenarioReader {
 public:
  explicit ScenarioReader(Origin& origin) : origin_(origin) {}

  Scenario read(const YAML::Node& root) {
    scenario_.file = origin_.file();
    MapView top(origin_, root, "");
    if (auto name = top.get("name")) {
      scenario_.name = read_string(origin_, *name, "name");
      if (scenario_.name.empty()) origin_.fail(*name, "name", "must not be empty");
    } else {
      scenario_.name = std::filesystem::path(origin_.file()).stem().string();
      if (scenario_.name.empty()) scenario_.name = "scenario";
    }
    if (auto seed = top.get("seed")) scenario_.seed = read_uint(origin_, *seed, "seed");

    std::optional<YAML::Node> device = top.get("device");
    if (!device) origin_.fail(root, "device", "required key is missing (a scenario needs at least device.bursts)");
    read_device(MapView(origin_, *device, "device"));
    if (auto host = top.get("host"); host && !is_null(*host)) read_host(MapView(origin_, *host, "host"));
    if (scenario_.affinity.empty()) resolve_affinity("spread");
    if (auto run = top.get("run"); run && !is_null(*run)) read_run(MapView(origin_, *run, "run"));
    if (auto faults = top.get("faults"); faults && !is_null(*faults)) read_faults(MapView(origin_, *faults, "faults"));
    if (auto checks = top.get("checks"); checks && !is_null(*checks)) read_checks(MapView(origin_, *checks, "checks"));
    if (auto expect = top.get("expect"); expect && !is_null(*expect)) read_expect(*expect, "expect", "");
    for (const auto& [path, recorded] : expect_) scenario_.expect[path] = recorded.bound;
    // Lost and duplicated events always fail a run unless the scenario says otherwise (decision 6).
    scenario_.expect.try_emplace("events.lost", Bound{std::nullopt, 0.0});
    scenario_.expect.try_emplace("events.duplicated", Bound{std::nullopt, 0.0});

    for (const FeatureUse& use : uses_) {
      if (scenario_internal::not_supported_yet(use.key)) origin_.fail_at_key(use.node, use.key, use.problem);
    }
    return std::move(scenario_);
  }

 private:
  void read_device(const MapView& device) {
    if (auto interrupts = device.get("interrupts"); interrupts && !is_null(*interrupts)) {
      MapView view(origin_, *interrupts, device.child("interrupts"));
      if (auto mode = view.get("mode")) {
        scenario_.mode =
            read_choice(origin_, *mode, view.child("mode"), kModes) == 0 ? InterruptMode::kMsix : InterruptMode::kMsi;
      }
      if (auto vectors = view.get("vectors")) {
        std::string path = view.child("vectors");
        if (scenario_.mode == InterruptMode::kMsix) {
          scenario_.vectors = static_cast<unsigned>(read_uint(origin_, *vectors, path, 1, kMaxMsixVectors));
        } else {
          scenario_.vectors = static_cast<unsigned>(read_uint(origin_, *vectors, path, 1, kMaxMsiVectors));
          if (!std::has_single_bit(scenario_.vectors)) {
            origin_.fail(
                *vectors, path,
                fmt::format("msi grants a power of two of vectors (1, 2, 4, 8, 16, 32), got {}", scenario_.vectors));
          }
        }
      }
    }

    if (auto moderation = device.get("moderation"); moderation && !is_null(*moderation)) {
      read_moderation(MapView(origin_, *moderation, device.child("moderation")));
    }

    if (auto ring = device.get("ring"); ring && !is_null(*ring)) {
      MapView view(origin_, *ring, device.child("ring"));
      if (auto entries = view.get("entries")) {
        std::string path = view.child("entries");
        std::uint64_t value = read_uint(origin_, *entries, path, 2, 65536);
        if (!std::has_single_bit(value)) {
          origin_.fail(*entries, path, fmt::format("must be a power of two (2..65536), got {}", value));
        }
        scenario_.ring_entries = static_cast<unsigned>(value);
      }
      if (auto on_full = view.get("on_full")) {
        std::string path = view.child("on_full");
        scenario_.ring_on_full = read_choice(origin_, *on_full, path, kRingFull) == 0 ? RingFull::kStall : RingFull::kDrop;
      }
    }

    YAML::Node bursts = device.require("bursts");
    std::vector<YAML::Node> items = list_items(origin_, bursts, device.child("bursts"));
    if (items.empty()) origin_.fail(bursts, device.child("bursts"), "needs at least one burst");
    for (std::size_t i = 0; i < items.size(); ++i) {
      scenario_.bursts.push_back(
          read_burst(MapView(origin_, items[i], join_path(device.child("bursts"), std::to_string(i)))));
    }

    if (auto masks = device.get("masks"); masks && !is_null(*masks)) {
      std::vector<YAML::Node> entries = list_items(origin_, *masks, device.child("masks"));
      for (std::size_t i = 0; i < entries.size(); ++i) {
        scenario_.masks.push_back(
            read_mask(MapView(origin_, entries[i], join_path(device.child("masks"), std::to_string(i)))));
      }
    }
  }

  void read_moderation(const MapView& view) {
    std::optional<YAML::Node> frames = view.get("frames");
    std::optional<YAML::Node> usecs = view.get("usecs");
    std::optional<YAML::Node> itr = view.get("itr_ns");
    Moderation& moderation = scenario_.moderation;
    if (itr) {
      if (frames || usecs) {
        origin_.fail(view.node(), view.path(), "give either itr_ns or frames/usecs, not both");
      }
      // The device counts the interval in 16 bits of 256 ns units (Intel's ITR granularity).
      moderation.itr_ns = read_uint(origin_, *itr, view.child("itr_ns"), 1, 0xFFFFull * 256);
    } else {
      // An absent trigger is disabled (0), as in SEMANTICS H1.
      std::uint64_t frame_count = frames ? read_uint(origin_, *frames, view.child("frames"), 0, 0xFFFF) : 0;
      std::uint64_t usec_count = usecs ? read_uint(origin_, *usecs, view.child("usecs"), 0, 0xFFFF) : 0;
      if (frame_count == 0 && usec_count == 0) {
        origin_.fail(view.node(), view.path(),
                     "frames and usecs are both 0, which would never signal; {frames: 1, usecs: 0} is off");
      }
      moderation.frames = frame_count;
      moderation.usecs = usec_count;
    }
  }

  unsigned read_vector(const YAML::Node& node, const std::string& path) {
    std::uint64_t vector = read_uint(origin_, node, path);
    if (vector >= scenario_.vectors) {
      origin_.fail(node, path,
                   fmt::format("vector {} is out of range: device.interrupts.vectors is {}, so 0..{}", vector,
                               scenario_.vectors, scenario_.vectors - 1));
    }
    return static_cast<unsigned>(vector);
  }

  BurstSpec read_burst(const MapView& view) {
    BurstSpec burst;
    YAML::Node vectors = view.require("vectors");
    std::vector<YAML::Node> items = list_items(origin_, vectors, view.child("vectors"));
    if (items.empty()) origin_.fail(vectors, view.child("vectors"), "needs at least one vector");
    for (std::size_t i = 0; i < items.size(); ++i) {
      burst.vectors.push_back(read_vector(items[i], join_path(view.child("vectors"), std::to_string(i))));
    }
    burst.events = read_uint(origin_, view.require("events"), view.child("events"), 1);
    if (auto gap = view.get("gap_ns")) burst.gap_ns = read_uint(origin_, *gap, view.child("gap_ns"));
    if (auto pattern = view.get("pattern")) {
      burst.pattern = static_cast<Pattern>(read_choice(origin_, *pattern, view.child("pattern"), kPatterns));
    }
    if (auto repeat = view.get("repeat")) burst.repeat = read_uint(origin_, *repeat, view.child("repeat"), 1, 1'000'000);
    return burst;
  }

  MaskWindow read_mask(const MapView& view) {
    MaskWindow mask;
    mask.vector = read_vector(view.require("vector"), view.child("vector"));
    mask.from_us = read_uint(origin_, view.require("from_us"), view.child("from_us"));
    if (auto to = view.get("to_us")) {
      std::uint64_t until = read_uint(origin_, *to, view.child("to_us"));
      if (until <= mask.from_us) {
        origin_.fail(*to, view.child("to_us"), fmt::format("must be after from_us ({}), got {}", mask.from_us, until));
      }
      mask.to_us = until;
    }
    return mask;
  }

  void read_host(const MapView& host) {
    if (auto cpus = host.get("cpus")) {
      scenario_.cpus = static_cast<unsigned>(read_uint(origin_, *cpus, host.child("cpus"), 1, kMaxCpus));
    }
    if (auto affinity = host.get("affinity")) read_affinity(*affinity, host.child("affinity"));
    if (auto driver = host.get("driver")) read_driver(*driver, host.child("driver"));
    if (auto costs = host.get("costs"); costs && !is_null(*costs)) {
      MapView view(origin_, *costs, host.child("costs"));
      auto cost = [&](std::string_view key, std::uint64_t& out) {
        if (auto value = view.get(key)) out = read_uint(origin_, *value, view.child(key));
      };
      cost("isr_ns", scenario_.costs.isr_ns);
      cost("dpc_ns", scenario_.costs.dpc_ns);
      cost("dpc_per_event_ns", scenario_.costs.dpc_per_event_ns);
      cost("mmio_read_ns", scenario_.costs.mmio_read_ns);
      cost("mmio_write_ns", scenario_.costs.mmio_write_ns);
    }
    if (auto dpc = host.get("dpc"); dpc && !is_null(*dpc)) read_dpc(MapView(origin_, *dpc, host.child("dpc")));
    if (auto kernel = host.get("kernel"); kernel && !is_null(*kernel)) {
      read_kernel(MapView(origin_, *kernel, host.child("kernel")));
    }
    if (auto ipi = host.get("ipi"); ipi && !is_null(*ipi)) {
      MapView view(origin_, *ipi, host.child("ipi"));
      IpiSettings settings;
      settings.period_us = read_uint(origin_, view.require("period_us"), view.child("period_us"), 1);
      if (auto worker = view.get("worker_ns")) settings.worker_ns = read_uint(origin_, *worker, view.child("worker_ns"));
      if (settings.worker_ns >= settings.period_us * 1000) {
        origin_.fail(view.node(), view.path(),
                     fmt::format("worker_ns ({}) must be shorter than period_us ({} us), or broadcasts never end",
                                 settings.worker_ns, settings.period_us));
      }
      scenario_.ipi = settings;
    }
  }

  void read_kernel(const MapView& view) {
    KernelSettings& k = scenario_.kernel;
    if (auto tick = view.get("tick_us")) k.tick_us = read_uint(origin_, *tick, view.child("tick_us"), 1, 1'000'000);
    if (auto depth = view.get("maximum_dpc_queue_depth")) {
      k.maximum_dpc_queue_depth =
          static_cast<unsigned>(read_uint(origin_, *depth, view.child("maximum_dpc_queue_depth"), 1, 1024));
    }
    if (auto rate = view.get("minimum_dpc_rate")) {
      k.minimum_dpc_rate = static_cast<unsigned>(read_uint(origin_, *rate, view.child("minimum_dpc_rate"), 0, 1024));
    }
    if (auto adaptive = view.get("adaptive_dpc_depth")) {
      k.adaptive_dpc_depth = read_bool(origin_, *adaptive, view.child("adaptive_dpc_depth"));
    }
    if (auto threaded = view.get("threaded_dpcs")) k.threaded_dpcs = read_bool(origin_, *threaded, view.child("threaded_dpcs"));
  }

  void resolve_affinity(std::string_view form) {
    scenario_.affinity_text = std::string(form);
    scenario_.affinity.assign(scenario_.vectors, 0);
    if (form == "spread") {
      for (unsigned v = 0; v < scenario_.vectors; ++v) scenario_.affinity[v] = v % scenario_.cpus;
    }
  }

  void read_affinity(const YAML::Node& node, const std::string& path) {
    if (node.IsSequence()) {
      std::vector<YAML::Node> items = list_items(origin_, node, path);
      if (items.size() != scenario_.vectors) {
        origin_.fail(node, path,
                     fmt::format("lists {} CPU(s) but device.interrupts.vectors is {}; give one CPU per vector",
                                 items.size(), scenario_.vectors));
      }
      scenario_.affinity_text = "list";
      scenario_.affinity.clear();
      for (std::size_t i = 0; i < items.size(); ++i) {
        std::string item_path = join_path(path, std::to_string(i));
        std::uint64_t cpu = read_uint(origin_, items[i], item_path);
        if (cpu >= scenario_.cpus) {
          origin_.fail(
              items[i], item_path,
              fmt::format("CPU {} does not exist: host.cpus is {}, so 0..{}", cpu, scenario_.cpus, scenario_.cpus - 1));
        }
        scenario_.affinity.push_back(static_cast<unsigned>(cpu));
      }
      return;
    }
    if (!node.IsScalar()) {
      origin_.fail(node, path, fmt::format("expected spread, cpu0 or a list of CPUs, got {}", describe(node)));
    }
    resolve_affinity(kAffinityForms[read_choice(origin_, node, path, kAffinityForms)]);
  }

  void read_driver(const YAML::Node& node, const std::string& path) {
    std::string driver = read_string(origin_, node, path);
    constexpr std::string_view kMutant = "mutant:";
    bool shape_ok = driver == "reference" || (driver.starts_with(kMutant) && driver.size() > kMutant.size()) ||
                    (driver.ends_with(".so") && driver.size() > 3);
    if (!shape_ok) {
      std::string problem = fmt::format("expected reference, mutant:NAME or a path to a .so, got '{}'", driver);
      constexpr std::array kForms = std::to_array<std::string_view>({"reference"});
      if (auto near = closest(driver, kForms)) problem += fmt::format("; did you mean '{}'?", *near);
      origin_.fail(node, path, problem);
    }
    // A mutant's name is checked where the mutants are, when the driver is loaded.
    if (!driver.starts_with(kMutant) && driver != "reference" && !std::filesystem::path(driver).is_absolute()) {
      // A plug-in named in a scenario sits beside the scenario, wherever irqrig runs from.
      driver = (std::filesystem::path(origin_.file()).parent_path() / driver).lexically_normal().string();
    }
    scenario_.driver = driver;
  }

  void read_dpc(const MapView& view) {
    DpcSettings& dpc = scenario_.dpc;
    if (auto importance = view.get("importance")) {
      dpc.importance = static_cast<Importance>(read_choice(origin_, *importance, view.child("importance"), kImportances));
    }
    if (auto target = view.get("target")) {
      std::string path = view.child("target");
      bool current = target->IsScalar() && target->Scalar() == "current";
      if (!current) {
        const std::string text = target->IsScalar() ? target->Scalar() : std::string();
        bool numeric =
            !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '+');
        if (!numeric) {
          std::string problem = fmt::format("expected current or a CPU number, got {}", describe(*target));
          if (!text.empty() && closest(text, std::to_array<std::string_view>({"current"}))) {
            problem += "; did you mean 'current'?";
          }
          origin_.fail(*target, path, problem);
        }
        std::uint64_t cpu = read_uint(origin_, *target, path);
        if (cpu >= scenario_.cpus) {
          origin_.fail(
              *target, path,
              fmt::format("CPU {} does not exist: host.cpus is {}, so 0..{}", cpu, scenario_.cpus, scenario_.cpus - 1));
        }
        dpc.target = static_cast<unsigned>(cpu);
      }
    }
    if (auto threaded = view.get("threaded")) dpc.threaded = read_bool(origin_, *threaded, view.child("threaded"));
  }

  void read_run(const MapView& run) {
    if (auto until = run.get("until")) {
      scenario_.until = read_choice(origin_, *until, run.child("until"), kUntils) == 0 ? Until::kDrained : Until::kTime;
    }
    if (auto time = run.get("time_us")) scenario_.time_us = read_uint(origin_, *time, run.child("time_us"), 1);
    if (auto quantum = run.get("quantum_cycles")) {
      scenario_.quantum_cycles = read_uint(origin_, *quantum, run.child("quantum_cycles"), 1, kMaxQuantumCycles);
    }
  }

  // `checks:` bounds in microseconds, 0 turning a check off; an hour is far past any run the rig makes.
  void read_checks(const MapView& view) {
    constexpr std::uint64_t kMaxUs = 3'600'000'000;
    CheckBounds& c = scenario_.checks;
    if (auto watchdog = view.get("dpc_watchdog"); watchdog && !is_null(*watchdog)) {
      MapView dog(origin_, *watchdog, view.child("dpc_watchdog"));
      std::optional<YAML::Node> single = dog.get("single_us"), cumulative = dog.get("cumulative_us");
      if (single) c.dpc_single_us = read_uint(origin_, *single, dog.child("single_us"), 0, kMaxUs);
      if (cumulative) c.dpc_cumulative_us = read_uint(origin_, *cumulative, dog.child("cumulative_us"), 0, kMaxUs);
      // A DPC runs at DISPATCH_LEVEL: a single bound above the cumulative one could never trip.
      if (c.dpc_single_us && c.dpc_cumulative_us && c.dpc_single_us > c.dpc_cumulative_us) {
        const YAML::Node& at = single ? *single : *cumulative;
        origin_.fail(at, single ? dog.child("single_us") : dog.child("cumulative_us"),
                     fmt::format("single_us ({}) is above cumulative_us ({}); one DPC's run is part of its CPU's "
                                 "time at DISPATCH_LEVEL, so it could never trip",
                                 c.dpc_single_us, c.dpc_cumulative_us));
      }
    }
    if (auto late = view.get("late_us")) c.late_us = read_uint(origin_, *late, view.child("late_us"), 0, kMaxUs);
  }

  // `expect:` keys are report paths, written whole (`isr.calls: 5`), nested (`isr: {calls: 5}`, which
  // is what `--set expect.isr.calls=5` builds), or as an alias (`lost`).
  void read_expect(const YAML::Node& node, const std::string& key_path, const std::string& report_prefix) {
    for (const auto& [key, value] : scenario_internal::map_entries(origin_, node, key_path)) {
      const std::string& name = key.Scalar();
      std::string entry_path = join_path(key_path, name);
      std::string report = join_path(report_prefix, name);
      if (std::string_view alias = scenario_internal::expect_alias(name); report_prefix.empty() && !alias.empty()) {
        report = std::string(alias);
      }
      auto paths = scenario_internal::report_paths();
      if (std::find(paths.begin(), paths.end(), report) != paths.end()) {
        record_bound(report, read_bound(value, entry_path), key, entry_path);
        continue;
      }
      bool is_group = std::any_of(paths.begin(), paths.end(), [&](std::string_view p) {
        return p.size() > report.size() && p.starts_with(report) && p[report.size()] == '.';
      });
      if (is_group) {
        if (!value.IsMap()) {
          std::vector<std::string_view> members;
          for (std::string_view p : paths) {
            if (p.size() > report.size() && p.starts_with(report) && p[report.size()] == '.') members.push_back(p);
          }
          origin_.fail(value, entry_path,
                       fmt::format("{} is a group of figures ({}); bound one of them, e.g. {}: N", report,
                                   fmt::join(members, ", "), members.front()));
        }
        read_expect(value, entry_path, report);
        continue;
      }
      std::vector<std::string_view> candidates(paths.begin(), paths.end());
      if (report_prefix.empty()) {
        auto aliases = scenario_internal::expect_aliases();
        candidates.insert(candidates.end(), aliases.begin(), aliases.end());
      }
      std::string problem = fmt::format("unknown report figure '{}'", report);
      if (auto near = closest(report, candidates)) {
        problem += fmt::format("; did you mean '{}'?", *near);
      } else {
        problem += " (bounds name report figures such as events.lost, isr.calls, latency_ns.msi_to_isr.p99)";
      }
      origin_.fail(key, entry_path, problem);
    }
  }

  Bound read_bound(const YAML::Node& node, const std::string& path) {
    auto non_negative = [&](const YAML::Node& at, const std::string& at_path) {
      double value = read_number(origin_, at, at_path);
      if (value < 0) origin_.fail(at, at_path, fmt::format("must not be negative, got {}", at.Scalar()));
      return value;
    };
    if (!is_null(node) && node.IsScalar()) return Bound{std::nullopt, non_negative(node, path)};
    if (is_null(node) || !node.IsMap()) {
      origin_.fail(node, path,
                   fmt::format("expected a number (at most N) or {{min: A, max: B}}, got {}", describe(node)));
    }
    Bound bound;
    for (const auto& [key, value] : scenario_internal::map_entries(origin_, node, path)) {
      const std::string& name = key.Scalar();
      std::string side_path = join_path(path, name);
      if (name == "min") {
        bound.min = non_negative(value, side_path);
      } else if (name == "max") {
        bound.max = non_negative(value, side_path);
      } else {
        std::string problem = "unknown key (a bound has min and/or max)";
        if (auto near = closest(name, kBoundKeys)) problem = fmt::format("unknown key; did you mean '{}'?", *near);
        origin_.fail(key, side_path, problem);
      }
    }
    if (!bound.min && !bound.max) origin_.fail(node, path, "a bound needs min, max or both");
    if (bound.min && bound.max && *bound.min > *bound.max) {
      origin_.fail(node, path, fmt::format("min ({}) is greater than max ({})", *bound.min, *bound.max));
    }
    return bound;
  }

  void record_bound(const std::string& report, const Bound& bound, const YAML::Node& key, const std::string& path) {
    bool from_override = origin_.override_for(path) != nullptr;
    int line = key.Mark().is_null() ? 0 : key.Mark().line + 1;
    auto [it, inserted] = expect_.try_emplace(report, Recorded{bound, from_override, line});
    if (inserted) return;
    // The same figure bounded twice in the file is a mistake; an override simply wins.
    if (!from_override && !it->second.from_override) {
      origin_.fail(key, path, fmt::format("bounds {} again (already bounded at line {})", report, it->second.line));
    }
    if (from_override) it->second = Recorded{bound, true, line};
  }

  // ---- `faults:` (docs/faults.md); read after host and device, whose CPUs and vectors it names ----
  unsigned read_fault_cpu(const YAML::Node& node, const std::string& path) {
    std::uint64_t cpu = read_uint(origin_, node, path);
    if (cpu >= scenario_.cpus) {
      origin_.fail(node, path,
                   fmt::format("CPU {} does not exist: host.cpus is {}, so 0..{}", cpu, scenario_.cpus, scenario_.cpus - 1));
    }
    return static_cast<unsigned>(cpu);
  }

  // Re-writing an entry needs MSI-X: an MSI capability has one address for all its messages.
  void require_msix(const YAML::Node& node, const std::string& path) {
    if (scenario_.mode == InterruptMode::kMsi) {
      origin_.fail_at_key(node, path,
                          "needs device.interrupts.mode msix: under MSI every message shares the capability's one "
                          "Message Address, so one message cannot be re-targeted or re-written alone");
    }
  }

  void read_faults(const MapView& view) {
    Faults& f = scenario_.faults;
    if (auto jitter = view.get("msi_jitter_ns")) {
      f.msi_jitter_ns = read_uint(origin_, *jitter, view.child("msi_jitter_ns"), 0, 10'000'000);
    }
    if (auto drop = view.get("drop_msi"); drop && !is_null(*drop)) {
      MapView d(origin_, *drop, view.child("drop_msi"));
      if (auto p = d.get("probability")) {
        f.drop_msi.probability = read_number(origin_, *p, d.child("probability"));
        if (!(f.drop_msi.probability >= 0 && f.drop_msi.probability <= 1)) {
          origin_.fail(*p, d.child("probability"), fmt::format("must be in [0, 1], got {}", p->Scalar()));
        }
      }
      if (auto nth = d.get("nth")) {
        std::vector<YAML::Node> items = list_items(origin_, *nth, d.child("nth"));
        for (std::size_t i = 0; i < items.size(); ++i) {
          std::string path = join_path(d.child("nth"), std::to_string(i));
          std::uint64_t n = read_uint(origin_, items[i], path);
          if (n == 0) origin_.fail(items[i], path, "MSI numbers count from 1 (the first MSI the device sends)");
          if (!f.drop_msi.nth.empty() && n <= f.drop_msi.nth.back()) {
            origin_.fail(items[i], path, fmt::format("must be greater than the entry before it ({})", f.drop_msi.nth.back()));
          }
          f.drop_msi.nth.push_back(n);
        }
      }
      if (!d.get("probability") && !d.get("nth")) {
        origin_.fail(*drop, d.path(), "give probability: P (0..1), nth: [N, ...] (1-based MSI numbers) or both");
      }
    }
    if (auto holds = view.get("hold_cpus"); holds && !is_null(*holds)) {
      std::vector<YAML::Node> items = list_items(origin_, *holds, view.child("hold_cpus"));
      for (std::size_t i = 0; i < items.size(); ++i) {
        MapView h(origin_, items[i], join_path(view.child("hold_cpus"), std::to_string(i)));
        CpuHold hold;
        hold.cpu = read_fault_cpu(h.require("cpu"), h.child("cpu"));
        if (auto irql = h.get("irql")) {
          hold.irql = static_cast<unsigned>(read_uint(origin_, *irql, h.child("irql"), 3, 15));
        }
        hold.from_us = read_uint(origin_, h.require("from_us"), h.child("from_us"));
        hold.for_us = read_uint(origin_, h.require("for_us"), h.child("for_us"), 1);
        for (const CpuHold& other : f.hold_cpus) {
          if (other.cpu == hold.cpu && hold.from_us < other.from_us + other.for_us &&
              other.from_us < hold.from_us + hold.for_us) {
            origin_.fail(items[i], h.path(),
                         fmt::format("overlaps the hold of CPU {} from {} us for {} us; one hold per CPU at a time",
                                     other.cpu, other.from_us, other.for_us));
          }
        }
        f.hold_cpus.push_back(hold);
      }
    }
    if (auto storm = view.get("ipi_storm"); storm && !is_null(*storm)) {
      MapView st(origin_, *storm, view.child("ipi_storm"));
      IpiStorm s;
      if (auto from = st.get("from_us")) s.from_us = read_uint(origin_, *from, st.child("from_us"));
      s.for_us = read_uint(origin_, st.require("for_us"), st.child("for_us"), 1);
      s.period_ns = read_uint(origin_, st.require("period_ns"), st.child("period_ns"), 1);
      if (auto worker = st.get("worker_ns")) s.worker_ns = read_uint(origin_, *worker, st.child("worker_ns"));
      if (auto cpu = st.get("cpu")) s.cpu = read_fault_cpu(*cpu, st.child("cpu"));
      if (s.worker_ns >= s.period_ns) {
        origin_.fail(*storm, st.path(),
                     fmt::format("worker_ns ({}) must be shorter than period_ns ({}), or the broadcasts pile up",
                                 s.worker_ns, s.period_ns));
      }
      f.ipi_storm = s;
    }
    if (auto changes = view.get("affinity_changes"); changes && !is_null(*changes)) {
      require_msix(*changes, view.child("affinity_changes"));
      std::vector<YAML::Node> items = list_items(origin_, *changes, view.child("affinity_changes"));
      for (std::size_t i = 0; i < items.size(); ++i) {
        MapView c(origin_, items[i], join_path(view.child("affinity_changes"), std::to_string(i)));
        AffinityChange change;
        change.at_us = read_uint(origin_, c.require("at_us"), c.child("at_us"));
        change.vector = read_vector(c.require("vector"), c.child("vector"));
        change.cpu = read_fault_cpu(c.require("cpu"), c.child("cpu"));
        f.affinity_changes.push_back(change);
      }
    }
    if (auto rewrites = view.get("table_rewrites"); rewrites && !is_null(*rewrites)) {
      require_msix(*rewrites, view.child("table_rewrites"));
      std::vector<YAML::Node> items = list_items(origin_, *rewrites, view.child("table_rewrites"));
      for (std::size_t i = 0; i < items.size(); ++i) {
        MapView r(origin_, items[i], join_path(view.child("table_rewrites"), std::to_string(i)));
        TableRewrite rewrite;
        rewrite.at_us = read_uint(origin_, r.require("at_us"), r.child("at_us"));
        rewrite.vector = read_vector(r.require("vector"), r.child("vector"));
        f.table_rewrites.push_back(rewrite);
      }
    }
  }

  Origin& origin_;
  Scenario scenario_;
  std::vector<FeatureUse> uses_;
  std::map<std::string, Recorded> expect_;
};

// Where each document of a YAML stream starts and whether it has content, from the parser's events.
class DocumentScan : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;
    bool content = false;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, false}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { seen(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override { seen(mark); }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    seen(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    seen(mark);
  }
  void OnMapEnd() override {}

 private:
  void seen(const YAML::Mark& mark) {
    if (!documents.empty() && !documents.back().content) {
      documents.back().content = true;
      documents.back().start = mark;
    }
  }
};

YAML::Node load_document(const std::string& text, const std::string& file) {
  // Not YAML::LoadAll: yaml-cpp 0.7 loops forever, allocating, on some malformed streams (the
  // two bytes "!," are one; jbeder/yaml-cpp#1319, found by tests/fuzz/scenario_fuzz). Documents
  // are counted at the event level with a bound — every real document takes at least one byte —
  // and the first is loaded alone.
  DocumentScan scan;
  YAML::Node first;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(scan)) {
      if (scan.documents.size() > text.size() + 1) {
        const YAML::Mark at = scan.documents.back().start;
        throw ScenarioError(file, at.line + 1, "", "YAML syntax error: the parser makes no progress here", at.column + 1);
      }
    }
    first = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(file, e.mark.line + 1, "", fmt::format("YAML syntax error: {}", e.msg), e.mark.column + 1);
  }
  // A trailing `---` opens an empty document; only a second document with content is a mistake.
  std::size_t count = scan.documents.size();
  while (count > 1 && !scan.documents[count - 1].content) --count;
  if (count > 1) {
    const YAML::Mark mark = scan.documents[1].start;
    throw ScenarioError(file, mark.line + 1, "", "a scenario is one YAML document; a second one starts here");
  }
  if (count == 0 || is_null(first)) {
    throw ScenarioError(file, 0, "", "the file is empty; a scenario is a map with at least device.bursts");
  }
  const YAML::Node& root = first;
  if (!root.IsMap()) {
    YAML::Mark mark = root.Mark();
    throw ScenarioError(file, mark.is_null() ? 0 : mark.line + 1, "",
                        fmt::format("expected the scenario to be a map (key: value lines), got {}", describe(root)),
                        mark.is_null() ? 0 : mark.column + 1);
  }
  return root;
}

}  // namespace

ScenarioError::ScenarioError(std::string file, int line, std::string key, std::string problem, int column)
    : std::runtime_error(format_message(file, line, column, key, problem)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)),
      problem_(std::move(problem)) {}

Scenario parse_scenario(const std::string& text, const std::string& file, const std::vector<std::string>& overrides) {
  Origin origin(file);
  try {
    YAML::Node root = load_document(text, file);
    for (const std::string& text_override : overrides) {
      scenario_internal::apply_override(root, text_override, origin);
    }
    return ScenarioReader(origin).read(root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports a few shapes (e.g. anchors it cannot resolve) only while the tree is read.
    throw ScenarioError(file, e.mark.is_null() ? 0 : e.mark.line + 1, "", e.msg,
                        e.mark.is_null() ? 0 : e.mark.column + 1);
  }
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ScenarioError(path, 0, "", "cannot read: it is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno;
    throw ScenarioError(path, 0, "",
                        fmt::format("cannot open: {}", error != 0 ? std::strerror(error) : "unknown error"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path, 0, "", "cannot read the file");
  return parse_scenario(text.str(), path, overrides);
}

const std::vector<std::string>& expect_report_paths() {
  static const std::vector<std::string> paths(scenario_internal::report_paths().begin(),
                                              scenario_internal::report_paths().end());
  return paths;
}

}  // namespace irqrig::host
