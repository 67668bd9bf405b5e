#include "host/run/targets.h"

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "host/vfio/error.h"
#include "host/vfio/loopback_card_port.h"
#include "host/vfio/sysfs.h"
#include "host/vfio/vfio_device.h"
#include "sim/remote/remote_device.h"
#include "sim/verilated/verilated_device.h"

namespace irqrig::host {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  throw std::invalid_argument(fmt::format("--target {}: {}", text, why));
}

}  // namespace

TargetSpec parse_target(const std::string& text) {
  TargetSpec spec;
  spec.text = text;
  if (text == "sim") return spec;
  if (starts_with(text, "remote:")) {
    spec.remote = sim::remote::parse_socket_address(text.substr(7), "--target", /*allow_port_0=*/false, text);
    spec.kind = spec.remote.kind == sim::remote::SocketAddress::Kind::kUnix ? TargetSpec::Kind::kRemoteUnix
                                                                             : TargetSpec::Kind::kRemoteTcp;
    return spec;
  }
  if (starts_with(text, "vfio:")) {
    spec.kind = TargetSpec::Kind::kVfio;
    spec.bdf = text.substr(5);
    if (spec.bdf.empty()) bad(text, "the card's PCI address is missing (vfio:0000:01:00.0)");
    if (spec.bdf == "loopback") return spec;
    // A malformed address is bad input (exit 2), refused before anything is opened.
    try {
      spec.bdf = host::vfio::canonical_bdf(spec.bdf);
    } catch (const host::vfio::VfioError& e) {
      bad(text, fmt::format("{} (or vfio:loopback: the VFIO backend with the in-process RTL as the card)", e.what()));
    }
    return spec;
  }
  bad(text, "expected sim, remote:unix:PATH, remote:tcp:HOST:PORT or vfio:BDF");
}

std::unique_ptr<sim::Device> open_target(const TargetSpec& spec, const TargetOptions& options) {
  if (spec.kind != TargetSpec::Kind::kSim && !options.waves_path.empty())
    throw std::invalid_argument(fmt::format("--waves: only the in-process target (sim) has waves to write; "
                                            "the target is {}", spec.text));
  switch (spec.kind) {
    case TargetSpec::Kind::kSim: {
      sim::VerilatedDeviceOptions dev_opts;
      dev_opts.waves_path = options.waves_path;
      return std::make_unique<sim::VerilatedDevice>(dev_opts);
    }
    case TargetSpec::Kind::kVfio:
      // vfio:loopback runs the backend's whole logic (ring redirection, interrupt shadow) with the
      // Verilated RTL as the card: no kernel, no card (docs/vfio.md).
      if (spec.bdf == "loopback")
        return std::make_unique<host::vfio::VfioDevice>(
            std::make_unique<host::vfio::LoopbackCardPort>(std::make_unique<sim::VerilatedDevice>()));
      // The card behind vfio-pci as the device; DeviceError (exit 3) when it cannot be opened.
      return host::vfio::open_vfio_device(spec.bdf);
    case TargetSpec::Kind::kRemoteUnix:
    case TargetSpec::Kind::kRemoteTcp: {
      sim::remote::RemoteOptions remote;
      // From the environment, not the command line, where any user could read it in `ps`.
      if (const char* token = std::getenv("IRQRIG_TOKEN")) remote.token = token;
      return std::make_unique<sim::remote::RemoteDevice>(spec.remote, remote);
    }
  }
  throw std::logic_error("open_target: a target kind without a backend");
}

}  // namespace irqrig::host
