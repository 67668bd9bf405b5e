// The `--target` of a run: which device backend a scenario drives (DESIGN decision 2), parsed and
// opened in one place so every subcommand refuses a bad target with the same words.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/device/device.h"
#include "sim/remote/address.h"

namespace irqrig::host {

struct TargetSpec {
  enum class Kind { kSim, kRemoteUnix, kRemoteTcp, kVfio };
  Kind kind = Kind::kSim;
  std::string text = "sim";            ///< as the user wrote it; the report's `target`
  sim::remote::SocketAddress remote;  ///< kRemoteUnix, kRemoteTcp: where the server listens
  std::string bdf;                     ///< kVfio: the card's PCI address
};

/// `sim`, `remote:unix:PATH`, `remote:tcp:HOST:PORT` or `vfio:BDF`. Throws std::invalid_argument
/// naming the option and what is wrong. The remote address is sim::remote::parse_socket_address's,
/// the one parser `irqrig serve --listen` uses too.
TargetSpec parse_target(const std::string& text);

struct TargetOptions {
  std::string waves_path;  ///< sim only: the RTL's FST
};

/// Opens the backend. Throws sim::DeviceError when it cannot be reached or opened,
/// std::invalid_argument when an option does not apply to it.
std::unique_ptr<sim::Device> open_target(const TargetSpec& spec, const TargetOptions& options);

}  // namespace irqrig::host
