// Scenario: the validated, typed form of a scenario YAML file (DESIGN.md "Scenario") that the runner,
// `irqrig check` and sweeps consume; every bad input becomes a ScenarioError naming file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace irqrig::host {

enum class InterruptMode { kMsix, kMsi };
enum class Pattern { kRoundRobin, kRandom, kFixed };
enum class Until { kDrained, kTime };
enum class RingFull { kStall, kDrop };
enum class Importance { kLow, kMedium, kMediumHigh, kHigh };  // KDPC_IMPORTANCE, in host.dpc.importance

/// A bound on one report figure (an `expect:` entry); an absent side is unbounded.
struct Bound {
  std::optional<double> min, max;
  friend bool operator==(const Bound&, const Bound&) = default;
};

/// One `device.bursts` entry: `events` event records spread over `vectors`, `gap_ns` apart.
struct BurstSpec {
  std::vector<unsigned> vectors;
  std::uint64_t events = 0;
  std::uint64_t gap_ns = 0;
  Pattern pattern = Pattern::kRoundRobin;
  std::uint64_t repeat = 1;  // the burst runs this many times back to back
  friend bool operator==(const BurstSpec&, const BurstSpec&) = default;
};

/// `device.moderation`, applied to every vector (SEMANTICS H1-H3). frames 1 + usecs 0 is off.
struct Moderation {
  std::uint64_t frames = 1, usecs = 0;  // ethtool rx-frames / rx-usecs
  std::uint64_t itr_ns = 0;             // non-zero: ITR minimum-interval mode instead
  bool off() const { return itr_ns == 0 && frames == 1 && usecs == 0; }
  friend bool operator==(const Moderation&, const Moderation&) = default;
};

/// One `device.masks` entry: the testbench masks `vector` at from_us and unmasks it at to_us
/// (never, when absent).
struct MaskWindow {
  unsigned vector = 0;
  std::uint64_t from_us = 0;
  std::optional<std::uint64_t> to_us;
  friend bool operator==(const MaskWindow&, const MaskWindow&) = default;
};

/// `host.dpc`: how the driver initialises its DPC (what it would read from its registry key).
struct DpcSettings {
  Importance importance = Importance::kMedium;
  std::optional<unsigned> target;  // absent: the inserting processor
  bool threaded = false;
  friend bool operator==(const DpcSettings&, const DpcSettings&) = default;
};

/// `host.ipi`: a KeIpiGenericCall broadcast every period_us whose worker runs for worker_ns.
struct IpiSettings {
  std::uint64_t period_us = 100, worker_ns = 2000;
  friend bool operator==(const IpiSettings&, const IpiSettings&) = default;
};

/// `host.kernel`: the kernel's own tunables, each a [choice] of SEMANTICS made a setting.
struct KernelSettings {
  std::uint64_t tick_us = 15625;         // E8: the clock tick that drains deferred DPCs (15.625 ms)
  unsigned maximum_dpc_queue_depth = 4;  // E7
  unsigned minimum_dpc_rate = 3;         // E7
  bool adaptive_dpc_depth = false;       // E9
  bool threaded_dpcs = true;             // E12: off, a threaded DPC runs as an ordinary one
  friend bool operator==(const KernelSettings&, const KernelSettings&) = default;
};
/// Simulated time charged per driver routine and per MMIO access (DESIGN.md decision 5).
struct Costs {
  std::uint64_t isr_ns = 500, dpc_ns = 800, dpc_per_event_ns = 50, mmio_read_ns = 800, mmio_write_ns = 100;
  friend bool operator==(const Costs&, const Costs&) = default;
};

// ---- `faults:` (docs/faults.md): fault injection, seeded from the scenario's seed. Times count
// from the first burst's start, as `device.masks` do. ----
/// `faults.drop_msi`: the root complex drops MSI writes, each with `probability`, and the 1-based
/// MSI numbers listed in `nth`.
struct DropMsi {
  double probability = 0;
  std::vector<std::uint64_t> nth;
  friend bool operator==(const DropMsi&, const DropMsi&) = default;
};
/// One `faults.hold_cpus` entry: `cpu` held busy at `irql` (3..15) from from_us for for_us.
struct CpuHold {
  unsigned cpu = 0, irql = 15;
  std::uint64_t from_us = 0, for_us = 0;
  friend bool operator==(const CpuHold&, const CpuHold&) = default;
};
/// `faults.ipi_storm`: a KeIpiGenericCall broadcast every period_ns from from_us for for_us, from a
/// PASSIVE_LEVEL thread on CPU `cpu`.
struct IpiStorm {
  std::uint64_t from_us = 0, for_us = 0, period_ns = 0, worker_ns = 0;
  unsigned cpu = 0;
  friend bool operator==(const IpiStorm&, const IpiStorm&) = default;
};
/// One `faults.affinity_changes` entry: message `vector` re-targeted to `cpu` at at_us.
struct AffinityChange {
  std::uint64_t at_us = 0;
  unsigned vector = 0, cpu = 0;
  friend bool operator==(const AffinityChange&, const AffinityChange&) = default;
};
/// One `faults.table_rewrites` entry: message `vector`'s MSI-X entry rewritten unchanged at at_us.
struct TableRewrite {
  std::uint64_t at_us = 0;
  unsigned vector = 0;
  friend bool operator==(const TableRewrite&, const TableRewrite&) = default;
};
struct Faults {
  std::uint64_t msi_jitter_ns = 0;
  DropMsi drop_msi;
  std::vector<CpuHold> hold_cpus;
  std::optional<IpiStorm> ipi_storm;
  std::vector<AffinityChange> affinity_changes;
  std::vector<TableRewrite> table_rewrites;
  friend bool operator==(const Faults&, const Faults&) = default;
};

struct Scenario {
  std::string name;  // defaults to the file's stem
  std::string file;  // path as given
  std::uint64_t seed = 1;
  InterruptMode mode = InterruptMode::kMsix;
  unsigned vectors = 4;            // messages the host grants the device (msix 1..2048; msi 1..32 power of two)
  unsigned ring_entries = 1024;    // power of two, 2..65536
  RingFull ring_on_full = RingFull::kStall;
  Moderation moderation;
  std::vector<MaskWindow> masks;
  std::vector<BurstSpec> bursts;   // at least one
  unsigned cpus = 4;               // 1..64
  std::vector<unsigned> affinity;  // resolved CPU of each vector (size == vectors)
  std::string affinity_text;       // "spread", "cpu0" or "list"
  std::string driver = "reference";
  Costs costs;
  DpcSettings dpc;
  std::optional<IpiSettings> ipi;
  KernelSettings kernel;
  Until until = Until::kDrained;
  std::uint64_t time_us = 5000;
  std::uint64_t quantum_cycles = 64;    // device cycles per co-simulation quantum, 1..1'000'000 (1 = lockstep)
  Faults faults;                        // `faults:`, empty when absent
  std::map<std::string, Bound> expect;  // report path ("events.lost", "latency_ns.msi_to_isr.p99") -> bound
};

/// Thrown for every bad scenario input. what() is one line, "FILE:LINE:COL: KEY: problem"; the column
/// is left out when unknown (0), the line too when there is none (0: a missing file, a `--set`), and
/// the key when the problem is the whole document.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, int line, std::string key, std::string problem, int column = 0);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_;
  std::string problem_;
};

/// Reads the file at `path`, applies `overrides` ("a.b.c=VALUE", VALUE parsed as YAML, as given to
/// `--set`) in order, and validates. Throws ScenarioError.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

/// Same from text already in memory; `file` is the name used in messages and for the default name.
Scenario parse_scenario(const std::string& text, const std::string& file,
                        const std::vector<std::string>& overrides = {});

/// The report paths an `expect:` key may name, after aliases (`lost`, `duplicated`, `processed`).
const std::vector<std::string>& expect_report_paths();

}  // namespace irqrig::host
