#include "sim/remote/address.h"

#include <sys/un.h>

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace irqrig::sim::remote {

SocketAddress parse_socket_address(const std::string& text, const std::string& option, bool allow_port_0,
                                   const std::string& shown) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument(fmt::format("{} {}: {}", option, shown.empty() ? text : shown, why));
  };
  SocketAddress a;
  if (text.rfind("unix:", 0) == 0) {
    a.kind = SocketAddress::Kind::kUnix;
    a.path = text.substr(5);
    if (a.path.empty()) throw bad("the socket path is missing (unix:PATH)");
    // Refused here, as bad input, rather than as ENAMETOOLONG when the socket is bound or connected.
    if (a.path.size() >= sizeof(sockaddr_un::sun_path))
      throw bad(fmt::format("the socket path is {} bytes; at most {} fit a Unix socket address", a.path.size(),
                            sizeof(sockaddr_un::sun_path) - 1));
    return a;
  }
  if (text.rfind("tcp:", 0) != 0) throw bad("expected unix:PATH or tcp:HOST:PORT");
  a.kind = SocketAddress::Kind::kTcp;
  const std::string rest = text.substr(4);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad("expected tcp:HOST:PORT");
  a.host = rest.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  const std::string port = rest.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  const unsigned lowest = allow_port_0 ? 0 : 1;
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value < lowest || value > 65535)
    throw bad(fmt::format("port '{}' is not a number from {} to 65535", port, lowest));
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

std::string to_string(const SocketAddress& a) {
  if (a.kind == SocketAddress::Kind::kUnix) return "unix:" + a.path;
  const bool v6 = a.host.find(':') != std::string::npos;
  return fmt::format("tcp:{}{}{}:{}", v6 ? "[" : "", a.host, v6 ? "]" : "", a.port);
}

}  // namespace irqrig::sim::remote
