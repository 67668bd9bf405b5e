// Where recordings meet scenarios (docs/replay.md): the header a run of a scenario records, and the
// replay backend opened for a scenario, refusing a recording the scenario cannot take.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/replay/recording.h"
#include "host/scenario/scenario.h"
#include "sim/device/device.h"

namespace irqrig::host::replay {

/// The header of a recording of `s` run on `target` (its --target text): the scenario's text as
/// read from its file, so a replay without a scenario runs the very same one. `rtl`: the target
/// runs the Verilated endpoint, whose posted-write timing the header then carries.
RecordingHeader recording_header(const host::Scenario& s, const std::string& target,
                                 const std::vector<std::string>& overrides, const std::string& driver, bool rtl,
                                 std::uint64_t cycle_ps);

/// The replay backend for `s`. Throws std::invalid_argument when the recording was made in the
/// other interrupt mode or sends a message beyond the scenario's vectors.
std::unique_ptr<sim::Device> open_replay(const std::string& path, const Recording& recording, const host::Scenario& s);

}  // namespace irqrig::host::replay
