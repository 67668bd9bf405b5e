// `irqrig sweep`: validate every point, run the missing ones as `irqrig run` children N at a time
// (this shard's only, with --shard), keep one record per point, and merge them into results.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace irqrig::host::sweep {

struct SweepOptions {
  std::string file;                                    // the sweep YAML
  unsigned jobs = 0;                                   // parallel points; 0 = the CPUs this process may use
  std::optional<std::pair<unsigned, unsigned>> shard;  // (I, N), 1-based
  std::string out;                                     // empty: beside the sweep file, named after it
  bool merge_only = false;                             // run nothing: merge the records there are
  bool quiet = false;
  std::string irqrig;  // the binary that runs a point (this one)
};

/// Exit codes (docs/sweeps.md): 0 every point ran and passed; 1 some point's checks failed; 2 bad
/// sweep input (before anything runs); 3 some point could not run or has no record; 130 interrupted.
/// Throws ScenarioError / std::invalid_argument for bad input; the caller prints them and returns 2.
int run_sweep(const SweepOptions& options);

/// The CPUs this process may run on (sched_getaffinity), at least 1.
unsigned available_cpus();

}  // namespace irqrig::host::sweep
