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
  /// The token a client's Hello must carry; empty: none (only allowed on a Unix socket, or on TCP
  /// loopback when the backend is not a real card).
  std::string token;
  /// Serve one client (one that got a HelloAck), then return from run().
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
  /// After the Hello, the longest the server waits for the client's next bytes, or for the client
  /// to take a reply it is sent: a peer gone without a FIN, a stopped client, half a message then
  /// silence, a client that never reads, all free the device after this. TCP keepalive and
  /// TCP_USER_TIMEOUT are set from it as well.
  std::chrono::milliseconds idle_timeout{30000};
  /// The longest step one Advance may ask for: a sanity bound on a request (a step to the end of
  /// time is a client's bug), refused with Error 1.
  std::uint64_t max_advance_ps = 1'000'000'000'000;  // 1 s of device time
  /// A longer Advance runs in steps of at most this many device cycles, the server's thread
  /// looking between steps at signals, stop() and whether the peer is still there (docs/remote.md).
  std::uint64_t advance_chunk_cycles = 25'000;
  /// One line per event (peer connected/served/refused and why); default: stderr. A sink that
  /// throws loses its line, nothing else: logging never ends the server.
  std::function<void(const std::string&)> log;
};

/// Listens (from construction) and serves clients one after another, each with a fresh device.
/// run() blocks in the calling thread; stop() may be called from any thread.
class Server {
 public:
  /// Binds and listens. Throws std::invalid_argument for a bad address or policy (a non-loopback
  /// TCP address without a token; any TCP address without a token when the backend is a real
  /// card), ServeError when the address cannot be listened on.
  Server(ServerOptions options, DeviceFactory factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Where clients connect, as `--target remote:` takes it: `unix:PATH` or `tcp:HOST:PORT` with
  /// the port actually bound.
  std::string address() const;

  /// Serves until stop(), a signal or (with `once`) the end of the first client that got a
  /// HelloAck. Removes the Unix socket file before returning.
  void run();
  void stop();

  /// Connections served to their end, whatever the end (for tests and the log).
  std::uint64_t connections() const;
  /// Of those, the ones that got a HelloAck (what `once` counts: a probe or a refused client is not
  /// "the one client").
  std::uint64_t clients() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace irqrig::sim::remote
