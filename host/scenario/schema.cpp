#include "host/scenario/schema.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace irqrig::host::scenario_internal {
namespace {

// One table for the whole key space, so unknown-key errors can suggest a key from another section
// (`device.cpus` -> `host.cpus`) and a key added here is known everywhere at once.
constexpr std::array kKnownKeys = std::to_array<std::string_view>({
    "name",
    "seed",
    "device",
    "device.interrupts",
    "device.interrupts.mode",
    "device.interrupts.vectors",
    "device.moderation",
    "device.moderation.frames",
    "device.moderation.usecs",
    "device.moderation.itr_ns",
    "device.ring",
    "device.ring.entries",
    "device.ring.on_full",
    "device.bursts",
    "device.bursts.*",
    "device.bursts.*.vectors",
    "device.bursts.*.events",
    "device.bursts.*.gap_ns",
    "device.bursts.*.pattern",
    "device.bursts.*.repeat",
    "device.masks",
    "device.masks.*",
    "device.masks.*.vector",
    "device.masks.*.from_us",
    "device.masks.*.to_us",
    "host",
    "host.cpus",
    "host.affinity",
    "host.driver",
    "host.costs",
    "host.costs.isr_ns",
    "host.costs.dpc_ns",
    "host.costs.dpc_per_event_ns",
    "host.costs.mmio_read_ns",
    "host.costs.mmio_write_ns",
    "host.dpc",
    "host.dpc.importance",
    "host.dpc.target",
    "host.dpc.threaded",
    "host.ipi",
    "host.ipi.period_us",
    "host.ipi.worker_ns",
    // Not in DESIGN.md's example: the kernel's tunables, the [choice]s of SEMANTICS E7-E9, E12.
    "host.kernel",
    "host.kernel.tick_us",
    "host.kernel.maximum_dpc_queue_depth",
    "host.kernel.minimum_dpc_rate",
    "host.kernel.adaptive_dpc_depth",
    "host.kernel.threaded_dpcs",
    "run",
    "run.until",
    "run.time_us",
    // Not in DESIGN.md's example: device cycles per co-simulation quantum (decision 1).
    "run.quantum_cycles",
    // The bounds of the checks judged during a run (docs/checks.md).
    "checks",
    "checks.dpc_watchdog",
    "checks.dpc_watchdog.single_us",
    "checks.dpc_watchdog.cumulative_us",
    "checks.late_us",
    "expect",
    // Fault injection (docs/faults.md).
    "faults",
    "faults.msi_jitter_ns",
    "faults.drop_msi",
    "faults.drop_msi.probability",
    "faults.drop_msi.nth",
    "faults.hold_cpus",
    "faults.hold_cpus.*",
    "faults.hold_cpus.*.cpu",
    "faults.hold_cpus.*.irql",
    "faults.hold_cpus.*.from_us",
    "faults.hold_cpus.*.for_us",
    "faults.ipi_storm",
    "faults.ipi_storm.from_us",
    "faults.ipi_storm.for_us",
    "faults.ipi_storm.period_ns",
    "faults.ipi_storm.worker_ns",
    "faults.ipi_storm.cpu",
    "faults.affinity_changes",
    "faults.affinity_changes.*",
    "faults.affinity_changes.*.at_us",
    "faults.affinity_changes.*.vector",
    "faults.affinity_changes.*.cpu",
    "faults.table_rewrites",
    "faults.table_rewrites.*",
    "faults.table_rewrites.*.at_us",
    "faults.table_rewrites.*.vector",
});

constexpr std::array kReportPaths = std::to_array<std::string_view>({
    "sim_time_ns",
    "device.events",
    "device.msi_sent",
    "device.msi_pending_on_mask",
    "device.moderation_coalesced",
    "device.ring_overflows",
    "device.moderation_fired",
    "device.ring_full_stalls",
    "device.aborted",
    "lapic.accepted",
    "lapic.merged",
    "isr.calls",
    "isr.claimed",
    "isr.declined",
    "isr.unclaimed",
    "dpc.inserts",
    "dpc.inserts_rejected",
    "dpc.runs",
    "dpc.max_runtime_ns",
    "dpc.max_at_dispatch_ns",
    "ipi.broadcasts",
    "ipi.worker_calls",
    "events.processed",
    "events.lost",
    "events.duplicated",
    "latency_ns.msi_to_isr.p50",
    "latency_ns.msi_to_isr.p99",
    "latency_ns.msi_to_isr.max",
    "latency_ns.isr_to_dpc.p50",
    "latency_ns.isr_to_dpc.p99",
    "latency_ns.isr_to_dpc.max",
    "latency_ns.event_to_processed.p50",
    "latency_ns.event_to_processed.p99",
    "latency_ns.event_to_processed.max",
    // Fault injection (docs/faults.md).
    "events.lost_to_dropped_msi",
    "faults.msi_jittered",
    "faults.msi_dropped",
    "faults.cpu_holds",
    "faults.ipi_storm_broadcasts",
    "faults.affinity_changes",
    "faults.table_rewrites",
});

constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kExpectAliases = {{
    {"lost", "events.lost"},
    {"duplicated", "events.duplicated"},
    {"processed", "events.processed"},
}};
constexpr std::array kExpectAliasNames = std::to_array<std::string_view>({"lost", "duplicated", "processed"});

// Keys the parser accepts and validates but this slice of the rig cannot run: a non-default value
// of any of them is rejected as "not supported yet". Remove an entry when its feature lands.
constexpr std::array<std::string_view, 0> kNotSupportedYet{};

}  // namespace

std::span<const std::string_view> known_keys() { return kKnownKeys; }

std::vector<std::string_view> child_keys(std::string_view pattern) {
  std::vector<std::string_view> children;
  for (std::string_view key : kKnownKeys) {
    if (pattern.empty()) {
      if (key.find('.') == std::string_view::npos) children.push_back(key);
      continue;
    }
    if (key.size() <= pattern.size() + 1 || !key.starts_with(pattern) || key[pattern.size()] != '.') continue;
    std::string_view rest = key.substr(pattern.size() + 1);
    if (rest.find('.') == std::string_view::npos) children.push_back(rest);
  }
  return children;
}

std::string key_pattern(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('.', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!out.empty() || start > 0) out += '.';
    bool index =
        !part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
    out += index ? std::string_view("*") : part;
    start = end + 1;
  }
  return out;
}

std::span<const std::string_view> report_paths() { return kReportPaths; }

std::string_view expect_alias(std::string_view key) {
  for (const auto& [alias, path] : kExpectAliases) {
    if (alias == key) return path;
  }
  return {};
}

std::span<const std::string_view> expect_aliases() { return kExpectAliasNames; }

bool not_supported_yet(std::string_view key) {
  return std::find(kNotSupportedYet.begin(), kNotSupportedYet.end(), key) != kNotSupportedYet.end();
}

}  // namespace irqrig::host::scenario_internal
