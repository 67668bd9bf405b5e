// Where a server listens and a client connects: `unix:PATH` or `tcp:HOST:PORT`, parsed in one place
// so `irqrig serve --listen` and the remote backend take the same spelling.
#pragma once

#include <cstdint>
#include <string>

namespace irqrig::sim::remote {

struct SocketAddress {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;        ///< kUnix
  std::string host;        ///< kTcp: a name or a numeric address (IPv6 without brackets)
  std::uint16_t port = 0;  ///< kTcp; 0 lets a server pick a free port
};

/// `unix:PATH` or `tcp:HOST:PORT` (`tcp:[::1]:PORT` for IPv6); a PATH must fit sockaddr_un's
/// sun_path. Throws std::invalid_argument for a bad spelling, its message starting
/// "`option` `shown`: " (`shown` defaults to `text`: `--target remote:unix:…` shows what the user
/// wrote); a port of 0 only if `allow_port_0`.
SocketAddress parse_socket_address(const std::string& text, const std::string& option, bool allow_port_0,
                                   const std::string& shown = "");

/// The spelling parse_socket_address takes back.
std::string to_string(const SocketAddress& a);

}  // namespace irqrig::sim::remote
