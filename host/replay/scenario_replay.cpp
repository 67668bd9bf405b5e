#include "host/replay/scenario_replay.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "host/replay/replay_device.h"
#include "sim/tlp/tlp.h"
#include "sim/verilated/verilated_device.h"

namespace irqrig::host::replay {

RecordingHeader recording_header(const host::Scenario& s, const std::string& target,
                                 const std::vector<std::string>& overrides, const std::string& driver, bool rtl,
                                 std::uint64_t cycle_ps) {
  RecordingHeader h;
  h.target = target;
  h.scenario_name = s.name;
  h.scenario_file = s.file;
  if (!s.file.empty()) {
    std::ifstream in(s.file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    h.scenario_text = text.str();
  }
  h.overrides = overrides;
  h.seed = s.seed;
  h.driver = driver;
  h.mode = s.mode == host::InterruptMode::kMsi ? "msi" : "msix";
  h.vectors = s.vectors;
  h.ring_entries = s.ring_entries;
  if (rtl) {
    // The Verilated endpoint takes in one DW a cycle: a mask write acts once its MemWr's beats are
    // in, and a message decided before then still leaves, its own MemWr's beats later. The replay
    // lets a write act that long after it was posted.
    const sim::VerilatedDeviceOptions device;
    const std::size_t beats = sim::encode(sim::make_mem_write(device.bar0_address, {0}, 0)).size();
    h.posted_write_ps = 2 * beats * cycle_ps;
  }
  return h;
}

std::unique_ptr<sim::Device> open_replay(const std::string& path, const Recording& recording, const host::Scenario& s) {
  const std::string mode = s.mode == host::InterruptMode::kMsi ? "msi" : "msix";
  if (recording.header.mode != mode)
    throw std::invalid_argument(fmt::format("--replay {}: recorded in {} mode, the scenario runs {}", path,
                                            recording.header.mode, mode));
  if (const auto high = recording.highest_message(); high && *high >= s.vectors)
    throw std::invalid_argument(fmt::format("--replay {}: the recording sends message {}, the scenario grants {} "
                                            "vectors (device.interrupts.vectors)",
                                            path, *high, s.vectors));
  return std::make_unique<ReplayDevice>(recording, s.vectors);
}

}  // namespace irqrig::host::replay
