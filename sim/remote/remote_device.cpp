// Boost 1.74's Asio uses std::exchange without including <utility> (GCC 12 no longer pulls it in).
#include <utility>

#include "sim/remote/remote_device.h"

#include <poll.h>

#include <cerrno>
#include <cstring>
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
using proto::Message;
using proto::Type;

const char* error_meaning(std::uint32_t code) {
  switch (code) {
    case 1: return "bad message";
    case 2: return "protocol version";
    case 3: return "token refused (set IRQRIG_TOKEN to the server's token)";
    case 4: return "device failed";
    case 5: return "busy";
    default: return "unknown code";
  }
}

}  // namespace

/// The socket and its framing: queued requests go out when a reply is awaited; replies are read
/// ahead in blocks. Asio connects (with a deadline: an async connect and io_context::run_for); after
/// that the socket is non-blocking and each transfer is one send/recv, waiting in poll() with the
/// time left when the kernel has nothing: a round trip costs three system calls, not an event loop.
class RemoteDevice::Link {
 public:
  Link(const SocketAddress& address, std::chrono::milliseconds timeout) : where_(to_string(address)) {
    if (address.kind == SocketAddress::Kind::kUnix) {
      connect(Protocol::endpoint(asio::local::stream_protocol::endpoint(address.path)), timeout);
    } else {
      asio::ip::tcp::resolver resolver(io_);
      error_code ec;
      const auto results =
          resolver.resolve(address.host, std::to_string(address.port), asio::ip::resolver_base::numeric_service, ec);
      if (ec || results.empty())
        throw DeviceError(fmt::format("{}: cannot resolve '{}': {}", where_, address.host, ec.message()));
      std::string why;
      bool connected = false;
      for (const auto& r : results) {
        try {
          connect(Protocol::endpoint(r.endpoint()), timeout);
          connected = true;
          break;
        } catch (const DeviceError& e) {
          why = e.what();
        }
      }
      if (!connected) throw DeviceError(why);
      socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    }
    socket_.non_blocking(true);
  }

  void send(const Message& m) { out_.push_back(seq_.stamp(m)); }

  /// Sends what is queued, then returns the next message from the server.
  Message receive(std::chrono::milliseconds timeout, const std::string& waiting_for) {
    flush(timeout, waiting_for);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!in_.has_message()) {
      const std::span<std::byte> space = in_.space();
      error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(space.data(), space.size()), ec);
      in_.filled(n);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait(POLLIN, deadline, timeout, waiting_for);
        continue;
      }
      if (ec == asio::error::eof && in_.pending() == 0)
        throw DeviceError(fmt::format("{}: the server closed the connection while we waited for {}", where_, waiting_for));
      if (ec == asio::error::eof)
        throw DeviceError(fmt::format("{}: the server closed the connection in the middle of a message ({} of {} bytes)",
                                      where_, in_.pending(), proto::kMessageSize));
      if (ec == asio::error::connection_reset)
        throw DeviceError(fmt::format("{}: the server closed the connection while we waited for {}", where_, waiting_for));
      if (ec) throw DeviceError(fmt::format("{}: reading {}: {}", where_, waiting_for, ec.message()));
    }
    Message m;
    try {
      m = seq_.accept(in_.take());
    } catch (const proto::ProtoError& e) {
      throw DeviceError(fmt::format("{}: the server broke the protocol: {}", where_, e.what()));
    }
    return m;
  }

  void flush(std::chrono::milliseconds timeout, const std::string& waiting_for) {
    if (out_.empty()) return;
    std::vector<proto::Wire> out;
    out.swap(out_);
    const auto* bytes = reinterpret_cast<const std::byte*>(out.data());
    const std::size_t total = out.size() * proto::kMessageSize;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (std::size_t sent = 0; sent < total;) {
      error_code ec;
      sent += socket_.write_some(asio::buffer(bytes + sent, total - sent), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait(POLLOUT, deadline, timeout, waiting_for);
        continue;
      }
      if (ec == asio::error::broken_pipe || ec == asio::error::connection_reset)
        throw DeviceError(
            fmt::format("{}: the server closed the connection before the request for {} was sent", where_, waiting_for));
      if (ec) throw DeviceError(fmt::format("{}: sending the request for {}: {}", where_, waiting_for, ec.message()));
    }
  }

 private:
  void connect(const Protocol::endpoint& endpoint, std::chrono::milliseconds timeout) {
    error_code ignored;
    socket_.close(ignored);
    std::optional<error_code> result;
    socket_.async_connect(endpoint, [&result](const error_code& ec) { result = ec; });
    io_.restart();
    io_.run_for(timeout);
    if (!result) {
      socket_.close(ignored);
      io_.restart();
      io_.run();  // the cancelled handler still refers to `result`
      throw DeviceError(fmt::format("cannot connect to {}: no answer within {} ms", where_, timeout.count()));
    }
    if (*result)
      throw DeviceError(fmt::format("cannot connect to {}: {} (is `irqrig serve` listening there?)", where_, result->message()));
  }

  /// Waits until the socket is ready for `events`, or throws when the deadline has passed.
  void wait(short events, std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout,
            const std::string& what) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{socket_.native_handle(), events, 0};
      const int r = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (r > 0) return;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw DeviceError(fmt::format("{}: waiting for {}: {}", where_, what, std::strerror(errno)));
      throw DeviceError(fmt::format("{}: timed out after {} ms waiting for {}", where_, timeout.count(), what));
    }
  }

  std::string where_;
  asio::io_context io_{1};
  Protocol::socket socket_{io_};
  proto::Sequencer seq_;
  ReceiveBuffer in_{256};
  std::vector<proto::Wire> out_;
};

RemoteDevice::RemoteDevice(const SocketAddress& address, RemoteOptions options)
    : address_(to_string(address)), options_(std::move(options)) {
  Message hello;
  try {
    hello = proto::make_hello(options_.token);
  } catch (const proto::ProtoError& e) {
    throw DeviceError(fmt::format("{}: {}", address_, e.what()));
  }
  link_ = std::make_unique<Link>(address, options_.reply_timeout);
  link_->send(hello);
  const Message ack = await(Type::kHelloAck);
  const proto::HelloAck& a = ack.hello_ack;
  if (a.version != proto::kVersion)
    throw DeviceError(fmt::format("{}: the server speaks protocol version {}, this client {}", address_, a.version, proto::kVersion));
  if (a.regmap_hash != regs::kRegmapHash)
    throw DeviceError(fmt::format("{}: the server's register map {:08x} differs from this client's {:08x}: build both "
                                  "from one rtl/regs/irqrig_regs.json",
                                  address_, a.regmap_hash, regs::kRegmapHash));
  backend_ = a.backend;
  num_vectors_ = a.num_vectors;
  cycle_ps_ = a.cycle_ps;
  now_ps_ = a.now_ps;
  cycles_ = now_ps_ / cycle_ps_;
}

RemoteDevice::~RemoteDevice() {
  if (!link_) return;
  try {
    link_->send(proto::make(Type::kGoodbye, now_ps_));
    link_->flush(std::chrono::seconds(1), "the Goodbye");
  } catch (const DeviceError&) {
    // The server is gone already; the device it held is freed either way.
  }
}

void RemoteDevice::check_not_awaiting() const {
  // The reply being read may be followed by more writes of the same request: a nested request's
  // reply would come after them, so it cannot be waited for here.
  if (awaiting_)
    throw DeviceError(fmt::format("{}: a read or configuration access from inside the upstream sink cannot be "
                                  "carried over the wire (the reply awaited comes first); make it after the call returns",
                                  address_));
}

Message RemoteDevice::await(Type reply) {
  if (!link_) throw DeviceError(fmt::format("{}: the connection is closed after an earlier failure", address_));
  const std::string what = proto::type_name(static_cast<std::uint8_t>(reply));
  const auto timeout = reply == Type::kHelloAck ? options_.handshake_timeout : options_.reply_timeout;
  awaiting_ = true;
  try {
    for (;;) {
      const Message m = link_->receive(timeout, what);
      const Type type = m.header.type;
      if (type == Type::kDmaWrite || type == Type::kInterrupt) {
        std::optional<UpstreamWrite> w;
        try {
          w = assembler_.add(m);
        } catch (const proto::ProtoError& e) {
          throw DeviceError(fmt::format("{}: the server broke the protocol: {}", address_, e.what()));
        }
        if (w) emit(std::move(*w));
        continue;
      }
      if (type == Type::kError)
        throw DeviceError(fmt::format("{}: the server ended the connection with Error {} ({}): {}", address_, m.error.code,
                                      error_meaning(m.error.code), proto::text_of(m.error)));
      if (type != reply || !assembler_.idle())
        throw DeviceError(fmt::format("{}: the server broke the protocol: {} #{} where {} was due{}", address_,
                                      proto::type_name(static_cast<std::uint8_t>(type)), m.header.sequence, what,
                                      assembler_.idle() ? "" : " (inside a continued DmaWrite)"));
      if (m.header.time_ps < now_ps_)
        throw DeviceError(fmt::format("{}: the server broke the protocol: {} #{} at device time {} ps, before {} ps",
                                      address_, what, m.header.sequence, m.header.time_ps, now_ps_));
      now_ps_ = m.header.time_ps;
      cycles_ = type == Type::kAdvanced ? m.advanced.cycles : now_ps_ / cycle_ps_;
      awaiting_ = false;
      return m;
    }
  } catch (...) {
    // Whatever failed, the stream cannot be trusted any more: later calls fail at once.
    awaiting_ = false;
    link_.reset();
    throw;
  }
}

void RemoteDevice::send(const Message& m) {
  if (!link_) throw DeviceError(fmt::format("{}: the connection is closed after an earlier failure", address_));
  link_->send(m);
}

// What the server's decoder would refuse (closing the connection) fails here instead, as the
// in-process device fails it, and the connection goes on.
void RemoteDevice::check_config(std::uint16_t offset) const {
  if (offset > 4092 || offset % 4)
    throw DeviceError(fmt::format("configuration access at {:#x}: not a DW of the 4 KiB configuration space", offset));
}

void RemoteDevice::check_bar(unsigned bar, std::uint64_t offset, unsigned size) const {
  if (bar > 5) throw DeviceError(fmt::format("BAR{} does not exist (0..5)", bar));
  if (size != 1 && size != 2 && size != 4 && size != 8)
    throw DeviceError(fmt::format("MMIO access of {} bytes: only 1, 2, 4 and 8 exist", size));
  if (offset % size) throw DeviceError(fmt::format("MMIO access of {} bytes at {:#x} is misaligned", size, offset));
}

std::uint32_t RemoteDevice::config_read(std::uint16_t offset) {
  check_not_awaiting();
  check_config(offset);
  Message m = proto::make(Type::kConfigRead, now_ps_);
  m.config_read.offset = offset;
  send(m);
  return await(Type::kConfigReadDone).config_read_done.value;
}

void RemoteDevice::config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable) {
  Message m = proto::make(Type::kConfigWrite, now_ps_);
  m.config_write.offset = offset;
  m.config_write.value = value;
  m.config_write.byte_enable = byte_enable;
  check_not_awaiting();
  if (byte_enable == 0 || byte_enable > 0xF) throw DeviceError(fmt::format("configuration write with byte enables {:#x}", byte_enable));
  check_config(offset);
  // An Advance to a time already reached runs nothing: its Advanced brings the device's time after
  // the write's completion and every write the device made meanwhile, exactly as in-process.
  send(m);
  send(proto::make(Type::kAdvance, now_ps_));
  await(Type::kAdvanced);
}

std::uint64_t RemoteDevice::bar_read(unsigned bar, std::uint64_t offset, unsigned size) {
  check_not_awaiting();
  check_bar(bar, offset, size);
  Message m = proto::make(Type::kBarRead, now_ps_);
  m.bar_read.bar = static_cast<std::uint8_t>(bar);
  m.bar_read.size = static_cast<std::uint8_t>(size);
  m.bar_read.offset = offset;
  send(m);
  return await(Type::kBarReadDone).bar_read_done.value;
}

void RemoteDevice::bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) {
  check_bar(bar, offset, size);
  Message m = proto::make(Type::kBarWrite, now_ps_);
  m.bar_write.bar = static_cast<std::uint8_t>(bar);
  m.bar_write.size = static_cast<std::uint8_t>(size);
  m.bar_write.offset = offset;
  m.bar_write.value = value;
  send(m);
}

void RemoteDevice::advance_to(std::uint64_t time_ps) {
  check_not_awaiting();
  send(proto::make(Type::kAdvance, time_ps));
  await(Type::kAdvanced);
}

}  // namespace irqrig::sim::remote
