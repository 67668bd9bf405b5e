// `irqrig serve`'s server against clients good and bad, over real Unix (and TCP loopback) sockets:
// each bad input closes only its own connection, with the right Error code and a logged reason, and
// the next client is served with a fresh device.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "sim/remote/codec.h"
#include "sim/remote/framing.h"
#include "tests/sim/remote_support.h"

namespace irqrig::sim::remote::test {
namespace {

using proto::Message;
using proto::Type;

/// A client that speaks the protocol by hand (plain POSIX sockets), so a test can break it.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};  // a test that waits for a reply never hangs the suite
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void send(const Message& m) { send_bytes(out_.stamp(m).data(), proto::kMessageSize); }
  void send_bytes(const void* p, std::size_t n) { ASSERT_EQ(::send(fd_, p, n, MSG_NOSIGNAL), static_cast<ssize_t>(n)); }
  void hello(const std::string& token = "") { send(proto::make_hello(token)); }
  /// Whether anything (a message, or the close) arrives within `ms`.
  bool readable_within(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }
  /// Ends our side of the stream: the server reads EOF after what was sent.
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  /// Sends copies of `m` without blocking until the socket's buffers are full; how many went out
  /// whole. A copy cut short is finished first by the next call.
  std::size_t fill(const Message& m) {
    std::size_t whole = 0;
    for (;;) {
      if (!partial_) {
        partial_ = out_.stamp(m);
        partial_sent_ = 0;
      }
      while (partial_sent_ < partial_->size()) {
        const ssize_t n = ::send(fd_, partial_->data() + partial_sent_, partial_->size() - partial_sent_,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) return whole;
        partial_sent_ += static_cast<std::size_t>(n);
      }
      partial_.reset();
      ++whole;
    }
  }

  /// The next message, or nothing when the server closed the connection (or 5 s passed).
  std::optional<Message> receive() {
    proto::Wire w;
    std::size_t have = 0;
    while (have < w.size()) {
      const ssize_t n = ::recv(fd_, w.data() + have, w.size() - have, 0);
      if (n <= 0) return std::nullopt;
      have += static_cast<std::size_t>(n);
    }
    return proto::decode(w, next_in_++);
  }
  /// Reads past any device writes to the next reply.
  std::optional<Message> reply() {
    for (;;) {
      auto m = receive();
      if (!m || (m->header.type != Type::kDmaWrite && m->header.type != Type::kInterrupt)) return m;
    }
  }
  /// True when the server has closed the connection (after any messages still in flight).
  bool closed_by_server() {
    while (receive()) {
    }
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::optional<proto::Wire> partial_;
  std::size_t partial_sent_ = 0;
  proto::Sequencer out_;
  std::uint32_t next_in_ = 0;
};

Message config_read(std::uint16_t offset) {
  Message m = proto::make(Type::kConfigRead);
  m.config_read.offset = offset;
  return m;
}

Message bar_read(unsigned bar, std::uint64_t offset) {
  Message m = proto::make(Type::kBarRead);
  m.bar_read.bar = static_cast<std::uint8_t>(bar);
  m.bar_read.size = 4;
  m.bar_read.offset = offset;
  return m;
}

/// The next client is served: handshake, one read, Goodbye. Returns the HelloAck.
Message expect_served(const std::string& path, const std::string& token = "") {
  RawClient c(path);
  EXPECT_TRUE(c.connected());
  c.hello(token);
  const auto ack = c.receive();
  EXPECT_TRUE(ack && ack->header.type == Type::kHelloAck);
  if (!ack || ack->header.type != Type::kHelloAck) return proto::make(Type::kError);
  c.send(config_read(0));
  const auto id = c.reply();
  EXPECT_TRUE(id && id->header.type == Type::kConfigReadDone);
  if (id) {
    EXPECT_EQ(id->config_read_done.value, std::uint32_t{regs::kDeviceId} << 16 | regs::kVendorId);
  }
  c.send(proto::make(Type::kGoodbye));
  EXPECT_TRUE(c.closed_by_server());
  return *ack;
}

/// Waits (briefly) until the server has finished `n` connections, so its log is complete.
void wait_connections(ServerThread& s, std::uint64_t n) {
  for (int i = 0; i < 500 && s.server().connections() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(s.server().connections(), n);
}

/// Waits (up to 5 s) until the server's log holds `text`.
bool wait_log(ServerThread& s, const std::string& text) {
  for (int i = 0; i < 500; ++i) {
    if (s.log().text().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// The client gets Error `code` and then the server closes; the log names the reason.
void expect_refused(RawClient& c, std::uint32_t code, const std::string& why) {
  const auto m = c.reply();
  ASSERT_TRUE(m) << "no Error before the close";
  ASSERT_EQ(m->header.type, Type::kError) << proto::type_name(static_cast<std::uint8_t>(m->header.type));
  EXPECT_EQ(m->error.code, code) << proto::text_of(m->error);
  EXPECT_NE(proto::text_of(m->error).find(why), std::string::npos) << proto::text_of(m->error);
  EXPECT_TRUE(c.closed_by_server());
}

TEST(RemoteServer, AGoodClientIsServedAndTheSocketIsPrivate) {
  ServerThread s(ServerThread::unix_options("good"), 4);
  const std::string path = socket_path("good");
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // only the owner can drive the device
  EXPECT_EQ(s.server().address(), "unix:" + path);
  const Message ack = expect_served(path);
  EXPECT_EQ(ack.hello_ack.backend, proto::Backend::kSim);
  EXPECT_EQ(ack.hello_ack.version, proto::kVersion);
  EXPECT_EQ(ack.hello_ack.cycle_ps, 4000u);
  EXPECT_EQ(ack.hello_ack.regmap_hash, regs::kRegmapHash);
  EXPECT_GT(ack.hello_ack.now_ps, 0u);  // enumerated: the device has run since reset
  EXPECT_EQ(ack.header.time_ps, ack.hello_ack.now_ps);
  wait_connections(s, 1);
  EXPECT_NE(s.log().text().find("done after 3 messages"), std::string::npos) << s.log().text();
}

TEST(RemoteServer, StopRemovesTheSocketFile) {
  const std::string path = socket_path("stop");
  {
    ServerThread s(ServerThread::unix_options("stop"), 4);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RemoteServer, WrongMagicIsABadMessage) {
  ServerThread s(ServerThread::unix_options("magic"), 4);
  {
    RawClient c(socket_path("magic"));
    Message m = proto::make_hello("");
    m.hello.magic = 0x12345678;
    c.send(m);
    expect_refused(c, 1, "magic 0x12345678");
  }
  expect_served(socket_path("magic"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("unix peer pid " + std::to_string(getpid())), std::string::npos) << s.log().text();
  EXPECT_NE(s.log().text().find("closed with Error 1: Hello #0: magic 0x12345678"), std::string::npos) << s.log().text();
}

TEST(RemoteServer, WrongVersionIsRefusedWithCode2) {
  ServerThread s(ServerThread::unix_options("version"), 4);
  {
    RawClient c(socket_path("version"));
    Message m = proto::make_hello("");
    m.hello.version = proto::kVersion + 1;
    c.send(m);
    expect_refused(c, 2, "this server speaks version 1");
  }
  expect_served(socket_path("version"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("closed with Error 2: protocol version 2"), std::string::npos) << s.log().text();
}

TEST(RemoteServer, ABadOrMissingTokenIsRefusedWithCode3) {
  ServerOptions o = ServerThread::unix_options("token");
  o.token = "s3cret";
  ServerThread s(o, 4);
  for (const std::string token : {"", "s3cre", "s3cret!", "other!"}) {
    RawClient c(socket_path("token"));
    c.hello(token);
    expect_refused(c, 3, "the token does not match");
  }
  expect_served(socket_path("token"), "s3cret");
  wait_connections(s, 5);
  EXPECT_EQ(s.log().text().find("s3cret"), std::string::npos) << "the token is never logged";
}

TEST(RemoteServer, ARequestBeforeTheHelloIsRefused) {
  ServerThread s(ServerThread::unix_options("nohello"), 4);
  {
    RawClient c(socket_path("nohello"));
    c.send(bar_read(0, 0));
    expect_refused(c, 1, "BarRead before the Hello");
  }
  expect_served(socket_path("nohello"));
}

TEST(RemoteServer, ATruncatedMessageThenEofIsRefusedAndLogged) {
  ServerThread s(ServerThread::unix_options("trunc"), 4);
  {
    RawClient c(socket_path("trunc"));
    c.hello();
    ASSERT_TRUE(c.receive());
    const proto::Wire w = proto::Sequencer().stamp(config_read(0));
    c.send_bytes(w.data(), 50);
    c.shutdown_write();
    expect_refused(c, 1, "truncated message: 50 of 128 bytes");
  }
  expect_served(socket_path("trunc"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("closed with Error 1: truncated message: 50 of 128 bytes, then the peer closed"),
            std::string::npos)
      << s.log().text();
}

TEST(RemoteServer, GarbageBytesAreRefused) {
  ServerThread s(ServerThread::unix_options("garbage"), 4);
  {
    RawClient c(socket_path("garbage"));
    std::mt19937 rng(7);
    std::array<std::uint8_t, proto::kMessageSize> junk{};
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    junk[0] = 0xEE;  // not a type
    c.send_bytes(junk.data(), junk.size());
    expect_refused(c, 1, "unknown message type 0xee");
  }
  expect_served(socket_path("garbage"));
}

TEST(RemoteServer, AnOutOfSequenceMessageIsRefused) {
  ServerThread s(ServerThread::unix_options("sequence"), 4);
  {
    RawClient c(socket_path("sequence"));
    c.hello();
    ASSERT_TRUE(c.receive());
    Message m = config_read(0);
    m.header.sequence = 5;
    proto::Wire w;
    std::memcpy(w.data(), &m, w.size());
    c.send_bytes(w.data(), w.size());
    expect_refused(c, 1, "sequence 5 where 1 was due");
  }
  expect_served(socket_path("sequence"));
}

TEST(RemoteServer, AFieldOutOfRangeIsRefusedNamingIt) {
  ServerThread s(ServerThread::unix_options("field"), 4);
  {
    RawClient c(socket_path("field"));
    c.hello();
    ASSERT_TRUE(c.receive());
    Message m = bar_read(0, 0);
    m.bar_read.size = 3;
    c.send(m);
    expect_refused(c, 1, "BarRead #1: size 3 is not 1, 2, 4 or 8 bytes");
  }
  expect_served(socket_path("field"));
}

TEST(RemoteServer, AnAdvanceTooFarAheadIsRefused) {
  ServerThread s(ServerThread::unix_options("far"), 4);
  {
    RawClient c(socket_path("far"));
    c.hello();
    const auto ack = c.receive();
    ASSERT_TRUE(ack);
    c.send(proto::make(Type::kAdvance, ~std::uint64_t{0}));
    expect_refused(c, 1, "more than 1000000000000 ps past the device's");
  }
  expect_served(socket_path("far"));
}

TEST(RemoteServer, AMessageOnlyAServerSendsIsRefused) {
  ServerThread s(ServerThread::unix_options("wrongway"), 4);
  {
    RawClient c(socket_path("wrongway"));
    c.hello();
    ASSERT_TRUE(c.receive());
    c.send(proto::make(Type::kAdvanced));
    expect_refused(c, 1, "Advanced #1: a message only a server sends");
  }
  {
    RawClient c(socket_path("wrongway"));
    c.hello();
    ASSERT_TRUE(c.receive());
    c.hello();
    expect_refused(c, 1, "a second Hello");
  }
  expect_served(socket_path("wrongway"));
}

TEST(RemoteServer, ADeviceFailureIsCode4AndTheNextClientGetsAFreshDevice) {
  ServerThread s(ServerThread::unix_options("devfail"), 4);
  {
    RawClient c(socket_path("devfail"));
    c.hello();
    ASSERT_TRUE(c.receive());
    c.send(bar_read(1, 0));  // the endpoint implements BAR0 only
    expect_refused(c, 4, "BAR1 is not implemented");
  }
  expect_served(socket_path("devfail"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("closed with Error 4: device failed: BAR1 is not implemented"), std::string::npos)
      << s.log().text();
}

TEST(RemoteServer, AClientVanishingMidAdvanceFreesTheDevice) {
  ServerThread s(ServerThread::unix_options("vanish"), 4);
  std::uint64_t fresh_now = 0;
  {
    RawClient c(socket_path("vanish"));
    c.hello();
    const auto ack = c.receive();
    ASSERT_TRUE(ack);
    fresh_now = ack->hello_ack.now_ps;
    // Change the device's state, so a device that was not fresh would show it.
    Message w = proto::make(Type::kBarWrite);
    w.bar_write.bar = 0;
    w.bar_write.size = 4;
    w.bar_write.offset = regs::SCRATCH;
    w.bar_write.value = 0x5A5A;
    c.send(w);
    c.send(proto::make(Type::kAdvance, ack->hello_ack.now_ps + 200'000'000ull));  // 200 us of device time
  }  // gone without reading the answer
  // The next client's device starts from reset: the same time as the first one's at its HelloAck.
  RawClient c(socket_path("vanish"));
  c.hello();
  const auto ack = c.receive();
  ASSERT_TRUE(ack && ack->header.type == Type::kHelloAck);
  EXPECT_EQ(ack->hello_ack.now_ps, fresh_now);
  c.send(bar_read(0, regs::SCRATCH));
  const auto scratch = c.reply();
  ASSERT_TRUE(scratch && scratch->header.type == Type::kBarReadDone);
  EXPECT_EQ(scratch->bar_read_done.value, 0u);
  c.send(proto::make(Type::kGoodbye));
  EXPECT_TRUE(c.closed_by_server());
  wait_connections(s, 2);
  const std::string log = s.log().text();
  EXPECT_TRUE(log.find("connection lost") != std::string::npos || log.find("vanished without a Goodbye") != std::string::npos ||
              log.find("gone during Advance") != std::string::npos)
      << log;
}

TEST(RemoteServer, APeerThatNeverSaysHelloIsClosedAfterTheTimeout) {
  ServerOptions o = ServerThread::unix_options("silent");
  o.hello_timeout = std::chrono::milliseconds(200);
  ServerThread s(o, 4);
  {
    RawClient c(socket_path("silent"));
    expect_refused(c, 1, "no Hello within 200 ms");
  }
  expect_served(socket_path("silent"));
}

// Issue 6: a client that vanishes mid-run frees the device. After the Hello every read and every
// write has a deadline: a stopped client, or one gone without a FIN, is silent like this one.
TEST(RemoteServer, AClientSilentAfterItsHelloIsDroppedAfterTheIdleTimeout) {
  ServerOptions o = ServerThread::unix_options("idle");
  o.idle_timeout = std::chrono::milliseconds(200);
  ServerThread s(o, 4);
  {
    RawClient c(socket_path("idle"));
    c.hello();
    ASSERT_TRUE(c.receive());
    EXPECT_TRUE(c.closed_by_server());  // no Error: nobody is reading
  }
  expect_served(socket_path("idle"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("idle for 0.2 s; device freed"), std::string::npos) << s.log().text();
}

TEST(RemoteServer, HalfAMessageThenSilenceIsDroppedAfterTheIdleTimeout) {
  ServerOptions o = ServerThread::unix_options("half");
  o.idle_timeout = std::chrono::milliseconds(200);
  ServerThread s(o, 4);
  {
    RawClient c(socket_path("half"));
    c.hello();
    ASSERT_TRUE(c.receive());
    const proto::Wire w = proto::Sequencer().stamp(config_read(0));
    c.send_bytes(w.data(), 60);
    EXPECT_TRUE(c.closed_by_server());
  }
  expect_served(socket_path("half"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("idle for 0.2 s; device freed"), std::string::npos) << s.log().text();
}

TEST(RemoteServer, AClientThatNeverReadsItsRepliesIsDroppedAfterTheIdleTimeout) {
  ServerOptions o = ServerThread::unix_options("noread");
  o.idle_timeout = std::chrono::milliseconds(300);
  ServerThread s(o, 4);
  RawClient c(socket_path("noread"));  // stays connected, never reads, until the end of the test
  c.hello();
  // Requests until both directions' buffers are full: the server is then stuck writing replies.
  std::size_t sent = 0;
  for (int round = 0; round < 30; ++round) {
    sent += c.fill(config_read(0));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(sent, 0u);
  EXPECT_TRUE(wait_log(s, "idle for 0.3 s; device freed")) << s.log().text();
  expect_served(socket_path("noread"));
}

// An Advance of 1 s of device time takes minutes of wall time on the server's one thread: it runs
// in steps, so stop() (and SIGTERM) and a peer that has gone are seen within a step.
TEST(RemoteServer, ALongAdvanceIsAbandonedWhenThePeerGoes) {
  ServerThread s(ServerThread::unix_options("longgone"), 4);
  {
    RawClient c(socket_path("longgone"));
    c.hello();
    const auto ack = c.receive();
    ASSERT_TRUE(ack);
    c.send(proto::make(Type::kAdvance, ack->hello_ack.now_ps + 1'000'000'000'000ull));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }  // gone without waiting for Advanced
  expect_served(socket_path("longgone"));  // within RawClient's 5 s, not after the whole second
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("gone during Advance #1 (at device time"), std::string::npos) << s.log().text();
}

TEST(RemoteServer, StopEndsALongAdvance) {
  auto s = std::make_unique<ServerThread>(ServerThread::unix_options("longstop"), 4);
  RawClient c(socket_path("longstop"));
  c.hello();
  const auto ack = c.receive();
  ASSERT_TRUE(ack);
  c.send(proto::make(Type::kAdvance, ack->hello_ack.now_ps + 1'000'000'000'000ull));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s->server().stop();
  EXPECT_TRUE(c.closed_by_server());  // within RawClient's 5 s
  s.reset();
}

TEST(RemoteServer, AnAdvanceInStepsGivesTheSameDeviceTimeAndCycles) {
  // Steps of 7 cycles against one step: the same Advanced (time, cycles) and the same writes.
  auto run = [](const std::string& name, std::uint64_t chunk_cycles) {
    ServerOptions o = ServerThread::unix_options(name);
    o.advance_chunk_cycles = chunk_cycles;
    ServerThread s(o, 4);
    RawClient c(socket_path(name));
    c.hello();
    const auto ack = c.receive();
    std::vector<std::string> seen;
    if (!ack) return seen;
    c.send(proto::make(Type::kAdvance, ack->hello_ack.now_ps + 3'001'000));
    for (;;) {
      const auto m = c.receive();
      if (!m) break;
      seen.push_back(fmt::format("{} {} {}", static_cast<int>(m->header.type), m->header.time_ps,
                                 m->header.type == Type::kAdvanced ? m->advanced.cycles : 0));
      if (m->header.type == Type::kAdvanced) break;
    }
    c.send(proto::make(Type::kGoodbye));
    c.closed_by_server();
    return seen;
  };
  const std::vector<std::string> stepped = run("step7", 7);
  ASSERT_FALSE(stepped.empty());
  EXPECT_EQ(stepped, run("step_all", 1'000'000'000));
}

TEST(RemoteServer, ClientsAreServedOneAfterAnotherTheNextWaiting) {
  ServerThread s(ServerThread::unix_options("queue"), 4);
  RawClient first(socket_path("queue"));
  first.hello();
  ASSERT_TRUE(first.receive());
  RawClient second(socket_path("queue"));
  ASSERT_TRUE(second.connected());  // waits in the listen backlog
  second.hello();
  EXPECT_FALSE(second.readable_within(300)) << "answered while the first client holds the device";
  first.send(config_read(0));
  EXPECT_TRUE(first.reply());
  first.send(proto::make(Type::kGoodbye));
  EXPECT_TRUE(first.closed_by_server());
  const auto ack = second.receive();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->header.type, Type::kHelloAck);
  second.send(proto::make(Type::kGoodbye));
  EXPECT_TRUE(second.closed_by_server());
}

TEST(RemoteServer, AClientsOwnErrorEndsItsConnection) {
  ServerThread s(ServerThread::unix_options("clienterr"), 4);
  {
    RawClient c(socket_path("clienterr"));
    c.hello();
    ASSERT_TRUE(c.receive());
    c.send(proto::make_error(1, "the host model gave up"));
    EXPECT_TRUE(c.closed_by_server());
  }
  expect_served(socket_path("clienterr"));
  wait_connections(s, 2);
  EXPECT_NE(s.log().text().find("the client gave up with Error 1: the host model gave up"), std::string::npos)
      << s.log().text();
}

TEST(RemoteServer, OnceServesOneClientThenReturns) {
  ServerOptions o = ServerThread::unix_options("once");
  o.once = true;
  o.log = [](const std::string&) {};
  Server server(o, [] {
    VerilatedDeviceOptions d;
    d.num_vectors = 4;
    return std::make_unique<VerilatedDevice>(d);
  });
  std::thread t([&] { server.run(); });
  {
    RawClient probe(socket_path("once"));  // `nc -z`: connects, says nothing, leaves
  }
  {
    RawClient garbage(socket_path("once"));
    std::array<std::uint8_t, proto::kMessageSize> junk{};
    junk[0] = 0xEE;
    garbage.send_bytes(junk.data(), junk.size());
    expect_refused(garbage, 1, "unknown message type");
  }
  expect_served(socket_path("once"));  // the probe and the refused client were not "the one client"
  t.join();  // returns by itself
  EXPECT_EQ(server.connections(), 3u);
  EXPECT_EQ(server.clients(), 1u);
  EXPECT_FALSE(std::filesystem::exists(socket_path("once")));
}

TEST(RemoteServer, ALogSinkThatThrowsLosesItsLinesNotTheServer) {
  // As `irqrig serve 2>&-` does: every write to stderr fails.
  ServerOptions o = ServerThread::unix_options("badlog");
  o.log = [](const std::string&) { throw std::runtime_error("stderr is closed"); };
  Server server(o, [] {
    VerilatedDeviceOptions d;
    d.num_vectors = 4;
    return std::make_unique<VerilatedDevice>(d);
  });
  std::thread t([&] { server.run(); });
  expect_served(socket_path("badlog"));
  expect_served(socket_path("badlog"));
  server.stop();
  t.join();
  EXPECT_EQ(server.clients(), 2u);
}

// ---- Where the server listens ----------------------------------------------------------------

TEST(RemoteServer, ANonLoopbackTcpAddressNeedsAToken) {
  ServerOptions o;
  o.listen = parse_socket_address("tcp:0.0.0.0:0", "--listen", true);
  o.log = [](const std::string&) {};
  try {
    Server s(o, [] { return std::make_unique<VerilatedDevice>(); });
    FAIL() << "listened on every interface without a token";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("reachable from other machines"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--token"), std::string::npos) << e.what();
  }
  o.token = "t0ken";
  Server s(o, [] { return std::make_unique<VerilatedDevice>(); });
  EXPECT_EQ(s.address().rfind("tcp:0.0.0.0:", 0), 0u) << s.address();
}

TEST(RemoteServer, ARealCardOverTcpNeedsATokenEvenOnLoopback) {
  ServerOptions o;
  o.listen = parse_socket_address("tcp:127.0.0.1:0", "--listen", true);
  o.backend = proto::Backend::kVfio;
  o.log = [](const std::string&) {};
  try {
    Server s(o, [] { return std::make_unique<VerilatedDevice>(); });
    FAIL() << "served a real card over TCP without a token";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("a token is required"), std::string::npos) << e.what();
  }
  o.token = "t0ken";
  Server s(o, [] { return std::make_unique<VerilatedDevice>(); });
  o.listen = ServerThread::unix_options("vfio_unix").listen;  // a 0600 Unix socket needs none
  o.token.clear();
  Server u(o, [] { return std::make_unique<VerilatedDevice>(); });
}

TEST(RemoteServer, TcpLoopbackWithPort0ReportsThePortBound) {
  ServerOptions o;
  o.listen = parse_socket_address("tcp:127.0.0.1:0", "--listen", true);
  ServerThread s(o, 4);
  const SocketAddress a = parse_socket_address(s.server().address(), "address", false);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_GT(a.port, 0);
  RemoteDevice d(a);
  EXPECT_EQ(d.config_read(0), std::uint32_t{regs::kDeviceId} << 16 | regs::kVendorId);
}

TEST(RemoteServer, AStaleSocketFileIsReplacedButNotAnotherFileOrALiveServer) {
  const std::string path = socket_path("stale");
  {
    // A socket file nobody listens on, as a killed server leaves it.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
  }
  {
    ServerThread s(ServerThread::unix_options("stale"), 4);
    expect_served(path);
    // A second server on the same path refuses: somebody is listening there.
    ServerOptions o = ServerThread::unix_options("stale");
    o.log = [](const std::string&) {};
    EXPECT_THROW(Server(o, [] { return std::make_unique<VerilatedDevice>(); }), ServeError);
  }
  {
    // A live socket the probe cannot connect to for another reason than "nobody listens" (here a
    // datagram socket: EPROTOTYPE; another user's 0600 socket gives EACCES) is left alone.
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ServerOptions o = ServerThread::unix_options("stale");
    o.log = [](const std::string&) {};
    try {
      Server s(o, [] { return std::make_unique<VerilatedDevice>(); });
      ADD_FAILURE() << "replaced a live datagram socket";
    } catch (const ServeError& e) {
      EXPECT_NE(std::string(e.what()).find("cannot probe (Protocol wrong type for socket)"), std::string::npos)
          << e.what();
    }
    EXPECT_TRUE(std::filesystem::exists(path));
    ::close(fd);
    std::filesystem::remove(path);
  }
  std::ofstream(path) << "not a socket";
  ServerOptions o = ServerThread::unix_options("stale");
  try {
    Server s(o, [] { return std::make_unique<VerilatedDevice>(); });
    FAIL() << "replaced a regular file";
  } catch (const ServeError& e) {
    EXPECT_NE(std::string(e.what()).find("exists and is not a socket"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(RemoteServer, ListenAddressesAreParsedWithClearErrors) {
  EXPECT_EQ(parse_socket_address("unix:/tmp/x.sock", "--listen", true).path, "/tmp/x.sock");
  const SocketAddress v6 = parse_socket_address("tcp:[::1]:9000", "--listen", true);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 9000);
  EXPECT_EQ(to_string(v6), "tcp:[::1]:9000");
  for (const char* bad : {"unix:", "tcp:9000", "tcp:host:", "tcp:host:70000", "udp:x:1", "tcp:h:12ab"}) {
    try {
      parse_socket_address(bad, "--listen", true);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string("--listen ") + bad + ":", 0), 0u) << e.what();
    }
  }
  EXPECT_THROW(parse_socket_address("tcp:h:0", "--target", false), std::invalid_argument);
}

// The framing both ends share: a stream cut anywhere gives back the same whole messages.
TEST(RemoteFraming, PiecesOfAnyLengthMakeWholeMessagesInOrder) {
  proto::Sequencer out;
  std::vector<std::byte> stream;
  for (std::uint16_t i = 0; i < 5; ++i) {
    const proto::Wire w = out.stamp(config_read(static_cast<std::uint16_t>(4 * i)));
    const auto* b = reinterpret_cast<const std::byte*>(w.data());
    stream.insert(stream.end(), b, b + w.size());
  }
  ReceiveBuffer in(2);  // room for two messages: the partial one must move to the front
  proto::Sequencer seq;
  std::size_t at = 0, piece = 1;
  std::vector<std::uint16_t> offsets;
  while (at < stream.size() || in.has_message()) {
    while (in.has_message()) offsets.push_back(seq.accept(in.take()).config_read.offset);
    const std::span<std::byte> space = in.space();
    ASSERT_GE(space.size(), proto::kMessageSize - in.pending());
    const std::size_t n = std::min({piece, space.size(), stream.size() - at});
    std::memcpy(space.data(), stream.data() + at, n);
    in.filled(n);
    at += n;
    piece = piece * 3 + 1;  // 1, 4, 13, 40, 121, 364 bytes: cuts inside and across messages
  }
  EXPECT_EQ(in.pending(), 0u);
  EXPECT_EQ(offsets, (std::vector<std::uint16_t>{0, 4, 8, 12, 16}));
}

TEST(RemoteServer, ATokenFileGivesItsFirstLine) {
  const std::string path = socket_path("token") + ".txt";
  std::ofstream(path) << "abc123  \nsecond line\n";
  EXPECT_EQ(read_token_file(path), "abc123");
  std::ofstream(path) << "\n";
  EXPECT_THROW(read_token_file(path), std::invalid_argument);
  std::ofstream(path) << std::string(64, 'x') << "\n";
  EXPECT_THROW(read_token_file(path), std::invalid_argument);
  std::filesystem::remove(path);
  EXPECT_THROW(read_token_file(path), std::invalid_argument);
}

}  // namespace
}  // namespace irqrig::sim::remote::test
