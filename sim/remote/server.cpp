// Boost 1.74's Asio uses std::exchange without including <utility> (GCC 12 no longer pulls it in).
#include <utility>

#include "sim/remote/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "irqrig/regs.h"
#include "sim/remote/codec.h"
#include "sim/remote/framing.h"

namespace irqrig::sim::remote {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Protocol = asio::generic::stream_protocol;
using Socket = Protocol::socket;
using Acceptor = asio::basic_socket_acceptor<Protocol>;
using proto::Message;
using proto::Type;

/// A refusal of the server's own (handshake, order of messages), with the Error code it sends.
class Refusal : public std::runtime_error {
 public:
  Refusal(std::uint32_t code, const std::string& text) : std::runtime_error(text), code_(code) {}
  std::uint32_t code() const { return code_; }

 private:
  std::uint32_t code_;
};

/// The end of a connection with nobody left to tell: the peer is idle past the deadline or gone
/// mid-Advance. No Error is sent (it would not be read); the device is freed.
class Abandoned : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Token comparison that takes as long for a near miss as for a far one.
bool same_token(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string tcp_text(const asio::ip::tcp::endpoint& e) {
  const std::string host = e.address().to_string();
  return e.address().is_v6() ? fmt::format("[{}]:{}", host, e.port()) : fmt::format("{}:{}", host, e.port());
}

asio::ip::tcp::endpoint as_tcp(const Protocol::endpoint& g) {
  asio::ip::tcp::endpoint e;
  std::memcpy(e.data(), g.data(), g.size());
  e.resize(g.size());
  return e;
}

// A TCP peer that vanishes without a FIN (cable pulled, host gone) is noticed by the kernel within
// about `idle`, even while the server only writes (TCP_USER_TIMEOUT) or waits (keepalive probes).
void set_keepalive(Socket& s, std::chrono::milliseconds idle) {
  const int fd = s.native_handle();
  const long idle_s = std::max<long>(1, static_cast<long>(idle.count() / 1000));
  const int on = 1;
  const int keep_idle = static_cast<int>(std::max<long>(1, idle_s / 2));
  const int keep_interval = static_cast<int>(std::max<long>(1, idle_s / 6));
  const int keep_count = 3;
  const unsigned user_timeout = static_cast<unsigned>(std::max<long>(1, static_cast<long>(idle.count())));
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_idle, sizeof keep_idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &keep_interval, sizeof keep_interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &keep_count, sizeof keep_count);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

// Who is on the other end, for the log: the process on a Unix socket, the address over TCP.
std::string peer_name(Socket& s, SocketAddress::Kind kind) {
  if (kind == SocketAddress::Kind::kUnix) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
      return fmt::format("unix peer pid {} uid {}", cred.pid, cred.uid);
    return "unix peer";
  }
  error_code ec;
  const Protocol::endpoint g = s.remote_endpoint(ec);
  return ec ? "tcp peer" : "tcp " + tcp_text(as_tcp(g));
}

/// One client's connection: the handshake, then each request run on a fresh device with the
/// device's writes forwarded ahead of the reply. Refusals close only this connection.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Socket socket, std::string peer, const ServerOptions& options, const DeviceFactory& factory)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), peer_(std::move(peer)), options_(options),
        factory_(factory) {}

  /// Serves the client to its end; true when it got a HelloAck.
  asio::awaitable<bool> serve();
  /// Ends the connection from the server's side (stop): pending reads and writes are cancelled.
  void close() {
    error_code ec;
    socket_.close(ec);
    timer_.cancel();
  }

 private:
  enum class Deadline { kNone, kHello, kIdle };
  asio::awaitable<std::optional<Message>> next();
  asio::awaitable<void> flush();
  /// Runs an Advance in steps, so a long one neither hides signals and stop() nor goes on for a
  /// peer that has gone.
  asio::awaitable<void> advance(const Message& m);
  /// Starts the deadline of the next read or write: when it runs out the socket's operations are
  /// cancelled and `expired_` says which limit it was.
  void arm(std::chrono::milliseconds limit, Deadline kind);
  void disarm() {
    ++deadline_generation_;
    timer_.cancel();
  }
  std::string idle_text() const {
    return fmt::format("idle for {:g} s; device freed", static_cast<double>(options_.idle_timeout.count()) / 1000.0);
  }
  /// The peer has closed or reset its end (seen without reading what it may still have sent).
  bool peer_gone();
  void queue(const Message& m) { out_.push_back(seq_.stamp(m)); }
  void check_hello(const Message& m);
  /// Runs one request; true when the client is done (Goodbye, or its own Error).
  bool handle(const Message& m);
  void log(const std::string& line) const noexcept {
    try {
      options_.log(fmt::format("{}: {}", peer_, line));
    } catch (...) {
      // A log line is never worth a connection.
    }
  }
  std::uint64_t now() const { return device_ ? device_->now_ps() : 0; }

  Socket socket_;
  asio::steady_timer timer_;
  std::string peer_;
  const ServerOptions& options_;
  const DeviceFactory& factory_;
  std::unique_ptr<Device> device_;
  proto::Sequencer seq_;
  ReceiveBuffer in_;  // bytes read ahead: a client may send several messages at once
  std::vector<proto::Wire> out_;  // replies and device writes, sent when the client waits for them
  bool hello_seen_ = false;
  Deadline expired_ = Deadline::kNone;
  std::uint64_t deadline_generation_ = 0;  // a wait that fired for an earlier operation is ignored
  std::uint64_t messages_ = 0;
};

asio::awaitable<std::optional<Message>> Connection::next() {
  while (!in_.has_message()) {
    // The client waits for what it is owed before it sends more: send it now.
    if (!out_.empty()) co_await flush();
    const std::span<std::byte> space = in_.space();
    error_code ec;
    // Before the Hello, one deadline covers the whole handshake (armed in serve()).
    if (hello_seen_) arm(options_.idle_timeout, Deadline::kIdle);
    const std::size_t n = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    if (hello_seen_) disarm();
    in_.filled(n);
    if (!ec) continue;
    const std::size_t have = in_.pending();
    if (expired_ == Deadline::kHello)
      throw Refusal(1, fmt::format("no Hello within {} ms", options_.hello_timeout.count()));
    if (expired_ == Deadline::kIdle) throw Abandoned(idle_text());
    if (ec == asio::error::eof && have == 0) co_return std::nullopt;
    if (ec == asio::error::eof)
      throw proto::ProtoError(fmt::format("truncated message: {} of {} bytes, then the peer closed", have, proto::kMessageSize));
    throw boost::system::system_error(ec);
  }
  const Message m = seq_.accept(in_.take());
  ++messages_;
  co_return m;
}

asio::awaitable<void> Connection::flush() {
  std::vector<proto::Wire> out;
  out.swap(out_);
  // A client that never reads its replies fills the socket's buffers and would hold this write
  // (and the device) for good.
  arm(options_.idle_timeout, Deadline::kIdle);
  error_code ec;
  co_await asio::async_write(socket_, asio::buffer(out.data(), out.size() * proto::kMessageSize),
                             asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec && expired_ == Deadline::kIdle) throw Abandoned(idle_text());
  if (ec) throw boost::system::system_error(ec);
}

void Connection::arm(std::chrono::milliseconds limit, Deadline kind) {
  const std::uint64_t generation = ++deadline_generation_;
  expired_ = Deadline::kNone;
  timer_.expires_after(limit);
  timer_.async_wait([self = shared_from_this(), generation, kind](const error_code& ec) {
    if (ec || generation != self->deadline_generation_) return;
    self->expired_ = kind;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

bool Connection::peer_gone() {
  pollfd p{socket_.native_handle(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

asio::awaitable<void> Connection::advance(const Message& m) {
  const std::uint64_t target = m.header.time_ps;
  if (target > device_->now_ps() && target - device_->now_ps() > options_.max_advance_ps)
    throw Refusal(1, fmt::format("Advance #{}: to {} ps, more than {} ps past the device's {} ps", m.header.sequence,
                                 target, options_.max_advance_ps, device_->now_ps()));
  const std::uint64_t step =
      std::max<std::uint64_t>(1, options_.advance_chunk_cycles) * std::max<std::uint64_t>(1, device_->cycle_ps());
  for (;;) {
    // The device makes the same calls at the same cycles whether it runs to `target` at once or in
    // steps; an Advance to a time reached still calls advance_to once (a backend may deliver then).
    const std::uint64_t now = device_->now_ps();
    const bool last = target <= now || target - now <= step;
    device_->advance_to(last ? target : now + step);
    if (last || device_->now_ps() >= target) break;
    // Let the server's thread see a signal or stop() (which closes this socket) between steps.
    co_await asio::post(socket_.get_executor(), asio::use_awaitable);
    if (!socket_.is_open()) throw boost::system::system_error(asio::error::operation_aborted);
    if (peer_gone())
      throw Abandoned(fmt::format("gone during Advance #{} (at device time {} of {} ps); device freed",
                                  m.header.sequence, device_->now_ps(), target));
  }
  Message r = proto::make(Type::kAdvanced, device_->now_ps());
  r.advanced.cycles = device_->cycles();
  queue(r);
}

void Connection::check_hello(const Message& m) {
  if (m.header.type != Type::kHello)
    throw Refusal(1, fmt::format("{} before the Hello", proto::type_name(static_cast<std::uint8_t>(m.header.type))));
  if (m.hello.version != proto::kVersion)
    throw Refusal(2, fmt::format("protocol version {}; this server speaks version {}", m.hello.version, proto::kVersion));
  if (!options_.token.empty() && !same_token(proto::token_of(m.hello), options_.token))
    throw Refusal(3, "the token does not match the server's");
}

bool Connection::handle(const Message& m) {
  switch (m.header.type) {
    case Type::kConfigRead: {
      Message r = proto::make(Type::kConfigReadDone);
      r.config_read_done.value = device_->config_read(m.config_read.offset);
      r.header.time_ps = device_->now_ps();
      queue(r);
      return false;
    }
    case Type::kConfigWrite:
      device_->config_write(m.config_write.offset, m.config_write.value, m.config_write.byte_enable);
      return false;
    case Type::kBarRead: {
      Message r = proto::make(Type::kBarReadDone);
      r.bar_read_done.value = device_->bar_read(m.bar_read.bar, m.bar_read.offset, m.bar_read.size);
      r.header.time_ps = device_->now_ps();
      queue(r);
      return false;
    }
    case Type::kBarWrite:
      device_->bar_write(m.bar_write.bar, m.bar_write.offset, m.bar_write.value, m.bar_write.size);
      return false;
    case Type::kGoodbye:
      return true;
    case Type::kError:
      log(fmt::format("the client gave up with Error {}: {}", m.error.code, proto::text_of(m.error)));
      return true;
    case Type::kHello:
      throw Refusal(1, fmt::format("Hello #{}: a second Hello on one connection", m.header.sequence));
    default:
      throw Refusal(1, fmt::format("{} #{}: a message only a server sends",
                                   proto::type_name(static_cast<std::uint8_t>(m.header.type)), m.header.sequence));
  }
}

asio::awaitable<bool> Connection::serve() {
  log("connected");
  // A peer that connects and says nothing must not hold the device from the next client.
  arm(options_.hello_timeout, Deadline::kHello);
  std::uint32_t code = 0;
  std::string reason;
  bool said_goodbye = false;
  bool acked = false;
  bool abandoned = false;
  try {
    const std::optional<Message> hello = co_await next();
    hello_seen_ = true;
    disarm();
    if (!hello) {
      reason = "closed before its Hello";
    } else {
      check_hello(*hello);
      device_ = factory_();
      device_->set_upstream_sink([this](UpstreamWrite&& w) {
        try {
          for (const Message& m : proto::to_messages(w)) queue(m);
        } catch (const proto::ProtoError& e) {
          throw DeviceError(fmt::format("the device made a write the protocol cannot carry: {}", e.what()));
        }
      });
      Message ack = proto::make(Type::kHelloAck, device_->now_ps());
      ack.hello_ack.magic = proto::kMagic;
      ack.hello_ack.version = proto::kVersion;
      ack.hello_ack.backend = options_.backend;
      ack.hello_ack.cycle_ps = device_->cycle_ps();
      ack.hello_ack.now_ps = device_->now_ps();
      ack.hello_ack.num_vectors = options_.num_vectors;
      ack.hello_ack.regmap_hash = regs::kRegmapHash;
      queue(ack);
      acked = true;
      for (;;) {
        const std::optional<Message> m = co_await next();
        if (!m) {
          reason = fmt::format("vanished without a Goodbye after {} messages; device freed", messages_);
          break;
        }
        if (m->header.type == Type::kAdvance) {
          co_await advance(*m);
          continue;
        }
        if (handle(*m)) {
          said_goodbye = m->header.type == Type::kGoodbye;
          break;
        }
      }
    }
  } catch (const Abandoned& e) {
    abandoned = true;
    reason = e.what();
  } catch (const Refusal& e) {
    code = e.code();
    reason = e.what();
  } catch (const proto::ProtoError& e) {
    code = 1;
    reason = e.what();
  } catch (const DeviceError& e) {
    code = 4;
    reason = fmt::format("device failed: {}", e.what());
  } catch (const boost::system::system_error& e) {
    // Reset by the peer or closed by stop(): nobody is left to tell.
    reason = fmt::format("connection lost: {}", e.code().message());
  } catch (const std::exception& e) {
    code = 4;
    reason = fmt::format("device failed: {}", e.what());
  }
  disarm();
  if (code != 0 && socket_.is_open()) {
    // The peer may be gone already (a truncated message, then EOF): the Error is best effort, and
    // a peer that does not read it cannot hold the device either.
    out_.push_back(seq_.stamp(proto::make_error(code, reason, now())));
    error_code ec;
    std::vector<proto::Wire> out;
    out.swap(out_);
    arm(options_.idle_timeout, Deadline::kIdle);
    co_await asio::async_write(socket_, asio::buffer(out.data(), out.size() * proto::kMessageSize),
                               asio::redirect_error(asio::use_awaitable, ec));
    disarm();
  }
  error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (abandoned)
    log(reason);
  else if (code != 0)
    log(fmt::format("closed with Error {}: {}", code, reason));
  else if (said_goodbye)
    log(fmt::format("done after {} messages (Goodbye at device time {} ps)", messages_, now()));
  else
    log(fmt::format("closed: {}", reason));
  co_return acked;
}

}  // namespace

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(fmt::format("--token-file {}: cannot be read", path));
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw std::invalid_argument(fmt::format("--token-file {}: the first line is empty", path));
  if (token.size() >= proto::kTokenSize)
    throw std::invalid_argument(fmt::format("--token-file {}: a token is at most {} bytes", path, proto::kTokenSize - 1));
  return token;
}

class Server::Impl {
 public:
  Impl(ServerOptions options, DeviceFactory factory);
  ~Impl() { remove_socket_file(); }

  void run();
  void stop() {
    asio::post(io_, [this] { shutdown(); });
  }
  std::string address() const { return address_; }
  std::uint64_t connections() const { return connections_.load(); }
  std::uint64_t clients() const { return clients_.load(); }

 private:
  void listen_unix();
  void listen_tcp();
  asio::awaitable<void> accept_loop();
  void shutdown();
  void remove_socket_file();

  ServerOptions options_;
  DeviceFactory factory_;
  asio::io_context io_{1};
  Acceptor acceptor_{io_};
  std::optional<asio::signal_set> signals_;
  std::shared_ptr<Connection> current_;
  std::string address_;
  ino_t socket_inode_ = 0;  // the socket file this server made, so it never removes another's
  bool stopping_ = false;
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> clients_{0};
};

Server::Impl::Impl(ServerOptions options, DeviceFactory factory)
    : options_(std::move(options)), factory_(std::move(factory)) {
  // stderr may be closed (`2>&-`) or a full pipe: a line that cannot be written is dropped, never
  // thrown out of the server's loop.
  std::function<void(const std::string&)> sink = std::move(options_.log);
  if (!sink) sink = [](const std::string& line) { fmt::print(stderr, "irqrig serve: {}\n", line); };
  options_.log = [sink = std::move(sink)](const std::string& line) noexcept {
    try {
      sink(line);
    } catch (...) {
      // dropped
    }
  };
  const bool tcp = options_.listen.kind == SocketAddress::Kind::kTcp;
  if (tcp && options_.backend == proto::Backend::kVfio && options_.token.empty())
    throw std::invalid_argument(fmt::format(
        "--listen {}: the target is a real card (vfio); over TCP a token is required (--token-file FILE or "
        "IRQRIG_TOKEN), or listen on a Unix socket",
        to_string(options_.listen)));
  if (options_.token.size() >= proto::kTokenSize)
    throw std::invalid_argument(fmt::format("--token: a token is at most {} bytes", proto::kTokenSize - 1));
  if (options_.listen.kind == SocketAddress::Kind::kUnix)
    listen_unix();
  else
    listen_tcp();
}

void Server::Impl::listen_unix() {
  const std::string& path = options_.listen.path;
  const std::string where = "--listen " + to_string(options_.listen);
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    throw std::invalid_argument(fmt::format("{}: a socket path is at most {} bytes", where, sizeof(sockaddr_un::sun_path) - 1));
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw ServeError(fmt::format("{}: {} exists and is not a socket; not replacing it", where, path));
    // A socket file nobody listens on is what a killed server leaves behind; a live one is not ours.
    asio::local::stream_protocol::socket probe(io_);
    error_code ec;
    probe.connect(asio::local::stream_protocol::endpoint(path), ec);
    if (!ec) throw ServeError(fmt::format("{}: another server is listening on {}", where, path));
    // Only "nobody listens" makes it stale. Anything else (EACCES on another user's 0600 socket, a
    // datagram socket) may be somebody's live socket: refuse, never delete.
    if (ec != asio::error::connection_refused)
      throw ServeError(fmt::format("{}: {} is a socket this server cannot probe ({}); not replacing it", where, path,
                                   ec.message()));
    ::unlink(path.c_str());
  }
  const Protocol::endpoint endpoint{asio::local::stream_protocol::endpoint(path)};
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (ec) throw ServeError(fmt::format("{}: cannot bind: {}", where, ec.message()));
  // Only the owner may drive the device. Nobody can connect before listen(), so there is no window
  // in which the socket is reachable with the umask's mode.
  if (::chmod(path.c_str(), 0600) != 0 || lstat(path.c_str(), &st) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(path.c_str());
    throw ServeError(fmt::format("{}: cannot make the socket private: {}", where, why));
  }
  socket_inode_ = st.st_ino;
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    remove_socket_file();
    throw ServeError(fmt::format("{}: cannot listen: {}", where, ec.message()));
  }
  address_ = to_string(options_.listen);
}

void Server::Impl::listen_tcp() {
  const std::string where = "--listen " + to_string(options_.listen);
  asio::ip::tcp::resolver resolver(io_);
  error_code ec;
  const auto results = resolver.resolve(options_.listen.host, std::to_string(options_.listen.port),
                                        asio::ip::resolver_base::numeric_service, ec);
  if (ec || results.empty()) throw std::invalid_argument(fmt::format("{}: cannot resolve '{}': {}", where, options_.listen.host, ec.message()));
  const asio::ip::tcp::endpoint tcp = results.begin()->endpoint();
  if (!tcp.address().is_loopback() && options_.token.empty())
    throw std::invalid_argument(fmt::format(
        "{}: {} is reachable from other machines and anyone reaching it could drive the device; give "
        "--token or --token-file, or listen on loopback (tcp:127.0.0.1:PORT) or a Unix socket",
        where, tcp.address().to_string()));
  const Protocol::endpoint endpoint{tcp};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw ServeError(fmt::format("{}: cannot listen: {}", where, ec.message()));
  SocketAddress bound = options_.listen;
  const asio::ip::tcp::endpoint local = as_tcp(acceptor_.local_endpoint());
  bound.host = local.address().to_string();
  bound.port = local.port();
  address_ = to_string(bound);
}

asio::awaitable<void> Server::Impl::accept_loop() {
  while (!stopping_) {
    Socket socket(io_);
    error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    if (ec) {
      // Out of descriptors, say: wait a little rather than spin, and keep serving.
      options_.log(fmt::format("accept failed: {}", ec.message()));
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (options_.listen.kind == SocketAddress::Kind::kTcp) {
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
      set_keepalive(socket, options_.idle_timeout);
    }
    std::string peer = peer_name(socket, options_.listen.kind);
    // One client at a time: the next ones wait in the listen backlog until this one is done.
    current_ = std::make_shared<Connection>(std::move(socket), std::move(peer), options_, factory_);
    const bool acked = co_await current_->serve();
    current_.reset();
    if (acked) ++clients_;
    ++connections_;
    // A probe (`nc -z`), a refused token or garbage is not the one client `--once` waits for.
    if (options_.once && acked) break;
  }
  shutdown();
}

void Server::Impl::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  error_code ec;
  acceptor_.close(ec);
  if (current_) current_->close();
  if (signals_) signals_->cancel(ec);
  remove_socket_file();
}

void Server::Impl::remove_socket_file() {
  if (options_.listen.kind != SocketAddress::Kind::kUnix || socket_inode_ == 0) return;
  struct stat st {};
  if (lstat(options_.listen.path.c_str(), &st) == 0 && st.st_ino == socket_inode_) ::unlink(options_.listen.path.c_str());
  socket_inode_ = 0;
}

void Server::Impl::run() {
  if (options_.handle_signals) {
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const error_code& ec, int signal) {
      if (ec) return;
      options_.log(fmt::format("signal {}: stopping", signal));
      shutdown();
    });
  }
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io_.run();
  remove_socket_file();
}

Server::Server(ServerOptions options, DeviceFactory factory)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(factory))) {}
Server::~Server() = default;
std::string Server::address() const { return impl_->address(); }
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
std::uint64_t Server::connections() const { return impl_->connections(); }
std::uint64_t Server::clients() const { return impl_->clients(); }

}  // namespace irqrig::sim::remote
