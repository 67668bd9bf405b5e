// `irqrig serve`: owns a device (the Verilated endpoint or a real card) and lets one client at a time
// drive it over the wire protocol (docs/remote.md, docs/wire-protocol.md), on a Unix or TCP socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/device/device.h"
#include "sim/remote/address.h"
#include "sim/remote/proto.h"

namespace irqrig::sim::remote {

/// The server cannot listen where it was asked to (bad address, refused policy, address in use).
class ServeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The token in `path`: its first line, without trailing whitespace. Throws std::invalid_argument
/// when it cannot be read, is empty or does not fit a Hello.
std::string read_token_file(const std::string& path);

/// Makes a fresh device for each client, so every run starts from reset.
using DeviceFactory = std::function<std::unique_ptr<Device>()>;

struct ServerOptions {
  /// Where to listen; the default is a Unix socket in the current directory.
  SocketAddress listen{SocketAddress::Kind::kUnix, "irqrig.sock", "", 0};
  /// The token a client's Hello must carry; empty: none (only allowed on a Unix socket or loopback).
  std::string token;
  /// Serve one client, then return from run().
  bool once = false;
  /// Stop on SIGINT/SIGTERM (the CLI); tests running a server in a thread leave this off.
  bool handle_signals = false;
  /// What HelloAck says the device is.
  proto::Backend backend = proto::Backend::kSim;
  /// HelloAck.num_vectors: the table size the served endpoint is built with, 0 when not known
  /// without an access (which would move the device's time before the client takes over).
  std::uint32_t num_vectors = 0;
  /// A connected peer that has not sent its Hello by then is closed, so it cannot hold the device.
  std::chrono::milliseconds hello_timeout{5000};
  /// The longest step one Advance may ask for. The device runs on the server's only thread, so an
  /// Advance to the end of time would hold it (and its signals) forever; a run advances by quanta.
  std::uint64_t max_advance_ps = 1'000'000'000'000;  // 1 s of device time
  /// One line per event (peer connected/served/refused and why); default: stderr.
  std::function<void(const std::string&)> log;
};

/// Listens (from construction) and serves clients one after another, each with a fresh device.
/// run() blocks in the calling thread; stop() may be called from any thread.
class Server {
 public:
  /// Binds and listens. Throws std::invalid_argument for a bad address or policy (a non-loopback
  /// TCP address without a token), ServeError when the address cannot be listened on.
  Server(ServerOptions options, DeviceFactory factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Where clients connect, as `--target remote:` takes it: `unix:PATH` or `tcp:HOST:PORT` with
  /// the port actually bound.
  std::string address() const;

  /// Serves until stop(), a signal or (with `once`) the first client's end. Removes the Unix
  /// socket file before returning.
  void run();
  void stop();

  /// Connections served to their end, whatever the end (for tests and the log).
  std::uint64_t connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace irqrig::sim::remote
