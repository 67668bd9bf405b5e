// The remote backend: the same calls give the same device writes at the same times as the
// in-process device, and every way the far side can fail (unreachable, refused, silent, broken
// protocol, a failing device, gone mid-run) is a DeviceError with a clear message.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "sim/remote/codec.h"
#include "tests/sim/remote_support.h"

namespace irqrig::sim::remote::test {
namespace {

using proto::Message;
using proto::Type;

SocketAddress unix_address(const std::string& name) { return {SocketAddress::Kind::kUnix, socket_path(name), "", 0}; }

/// The DeviceError's text from `f`, or "" when it does not throw one.
std::string device_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "";
}

/// A server that is not `irqrig serve`: it accepts one client, reads its Hello and answers each
/// request with what `script` returns for it (nothing: it stays silent).
class ScriptedServer {
 public:
  using Script = std::function<std::vector<Message>(const Message&)>;
  ScriptedServer(const std::string& name, Script script, bool accept = true)
      : path_(socket_path(name)), script_(std::move(script)) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    ::unlink(path_.c_str());
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    if (accept) thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }

  /// The Hello a well-behaved server would answer with.
  static Message hello_ack(std::uint64_t now_ps = 40'000) {
    Message ack = proto::make(Type::kHelloAck, now_ps);
    ack.hello_ack.magic = proto::kMagic;
    ack.hello_ack.version = proto::kVersion;
    ack.hello_ack.backend = proto::Backend::kSim;
    ack.hello_ack.cycle_ps = 4000;
    ack.hello_ack.now_ps = now_ps;
    ack.hello_ack.regmap_hash = regs::kRegmapHash;
    return ack;
  }

 private:
  void serve() {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    proto::Sequencer seq;
    for (;;) {
      proto::Wire w;
      std::size_t have = 0;
      while (have < w.size()) {
        const ssize_t n = ::recv(fd, w.data() + have, w.size() - have, 0);
        if (n <= 0) {
          ::close(fd);
          return;
        }
        have += static_cast<std::size_t>(n);
      }
      const Message request = seq.accept(w);
      for (const Message& m : script_(request)) {
        const proto::Wire out = seq.stamp(m);
        if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) break;
      }
    }
  }

  std::string path_;
  Script script_;
  int listen_fd_ = -1;
  std::thread thread_;
};

// ---- The same as in-process ---------------------------------------------------------------

struct Trace {
  std::vector<UpstreamWrite> writes;
  std::vector<std::uint64_t> times;  // now_ps() after each step
  std::vector<std::uint64_t> values;
};

// A burst on MSI-X and MSI with records in a ring, config and BAR accesses in between.
Trace exercise(Device& d) {
  Trace t;
  constexpr std::uint64_t kRing = 0x1'0000'0000ull, kProducer = kRing + 64 * 16;
  std::uint32_t produced = 0;
  d.set_upstream_sink([&](UpstreamWrite&& w) {
    if (w.address == kProducer) produced = w.data.at(0);
    t.writes.push_back(std::move(w));
  });
  Endpoint e(d);
  e.set_ring(kRing, 6, kProducer);
  for (unsigned k = 0; k < 4; ++k) e.program_message(k, 0xFEE00000u | (k << 12), 0x40 + k);
  e.set_msix_enable(true);
  t.times.push_back(d.now_ps());
  BurstProgram b;
  b.events = 40;
  b.gap_cycles = 30;
  b.vectors = {0, 1, 2, 3};
  e.start_burst(b);
  for (int i = 0; i < 20; ++i) {
    d.advance_to(d.now_ps() + 700'000);
    t.times.push_back(d.now_ps());
    t.values.push_back(d.bar_read32(0, regs::CAPS));
    t.times.push_back(d.now_ps());
    e.set_ring_consumer(produced);  // a host that keeps up
  }
  t.values.push_back(d.config_read(0x04));
  d.config_write(0x04, 0x0006, 0x3);
  t.times.push_back(d.now_ps());
  t.values.push_back(d.cycles());
  t.values.push_back(d.bar_read(0, regs::CAPS, 8));
  t.values.push_back(d.bar_read(0, regs::CAPS + 2, 2));
  t.values.push_back(d.bar_read(0, regs::CAPS + 1, 1));
  t.times.push_back(d.now_ps());
  return t;
}

TEST(RemoteDevice, GivesTheSameWritesAtTheSameTimesAsInProcess) {
  VerilatedDevice local;
  const Trace want = exercise(local);
  ServerThread s(ServerThread::unix_options("same"));
  RemoteDevice remote(unix_address("same"));
  EXPECT_EQ(remote.cycle_ps(), local.cycle_ps());
  EXPECT_EQ(remote.num_vectors(), 0u);  // the test's server was not told its table size
  const Trace got = exercise(remote);
  EXPECT_EQ(got.times, want.times);
  EXPECT_EQ(got.values, want.values);
  ASSERT_EQ(got.writes.size(), want.writes.size());
  ASSERT_GT(want.writes.size(), 80u);  // 40 records, 40 messages, producer updates
  for (std::size_t i = 0; i < want.writes.size(); ++i) {
    EXPECT_EQ(got.writes[i].time_ps, want.writes[i].time_ps) << i;
    EXPECT_EQ(got.writes[i].address, want.writes[i].address) << i;
    EXPECT_EQ(got.writes[i].data, want.writes[i].data) << i;
    EXPECT_EQ(got.writes[i].first_be, want.writes[i].first_be) << i;
    EXPECT_EQ(got.writes[i].last_be, want.writes[i].last_be) << i;
    EXPECT_EQ(got.writes[i].requester_id, want.writes[i].requester_id) << i;
  }
}

TEST(RemoteDevice, SaysGoodbyeWhenDestroyed) {
  ServerThread s(ServerThread::unix_options("bye"), 4);
  { RemoteDevice d(unix_address("bye")); }  // Hello, then Goodbye: two messages
  for (int i = 0; i < 500 && s.server().connections() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(s.log().text().find("done after 2 messages"), std::string::npos) << s.log().text();
}

TEST(RemoteDevice, AnAccessTheDeviceCannotDoFailsWithoutEndingTheConnection) {
  ServerThread s(ServerThread::unix_options("local"), 4);
  RemoteDevice d(unix_address("local"));
  EXPECT_NE(device_error([&] { d.bar_read(0, 0, 3); }).find("only 1, 2, 4 and 8"), std::string::npos);
  EXPECT_NE(device_error([&] { d.bar_read(0, 2, 4); }).find("misaligned"), std::string::npos);
  EXPECT_NE(device_error([&] { d.bar_write(7, 0, 0, 4); }).find("BAR7 does not exist"), std::string::npos);
  EXPECT_NE(device_error([&] { d.config_read(0x1002); }).find("not a DW"), std::string::npos);
  EXPECT_EQ(d.config_read(0), std::uint32_t{regs::kDeviceId} << 16 | regs::kVendorId);
}

// ---- Failures -------------------------------------------------------------------------------

TEST(RemoteDevice, NoServerIsAClearError) {
  const std::string unix_error = device_error([] { RemoteDevice d(unix_address("nobody")); });
  EXPECT_NE(unix_error.find("cannot connect to unix:" + socket_path("nobody")), std::string::npos) << unix_error;
  EXPECT_NE(unix_error.find("is `irqrig serve` listening there?"), std::string::npos) << unix_error;
  const std::string tcp_error = device_error([] { RemoteDevice d({SocketAddress::Kind::kTcp, "", "127.0.0.1", 1}); });
  EXPECT_NE(tcp_error.find("cannot connect to tcp:127.0.0.1:1: Connection refused"), std::string::npos) << tcp_error;
}

TEST(RemoteDevice, ARefusedTokenSaysWhichVariableToSet) {
  ServerOptions o = ServerThread::unix_options("tok");
  o.token = "right";
  ServerThread s(o, 4);
  const std::string e = device_error([] { RemoteDevice d(unix_address("tok"), RemoteOptions{"wrong"}); });
  EXPECT_NE(e.find("Error 3 (token refused (set IRQRIG_TOKEN"), std::string::npos) << e;
  RemoteOptions right;
  right.token = "right";
  RemoteDevice d(unix_address("tok"), right);
  EXPECT_EQ(d.config_read(0) & 0xFFFF, regs::kVendorId);
}

TEST(RemoteDevice, ASilentServerTimesOut) {
  ScriptedServer silent("silent", [](const Message&) { return std::vector<Message>{}; });
  RemoteOptions o;
  o.handshake_timeout = std::chrono::milliseconds(200);
  const std::string e = device_error([&] { RemoteDevice d(unix_address("silent"), o); });
  EXPECT_NE(e.find("timed out after 200 ms waiting for HelloAck"), std::string::npos) << e;
}

TEST(RemoteDevice, AServerThatStopsAnsweringMidRunTimesOut) {
  ScriptedServer s("midrun", [](const Message& m) {
    if (m.header.type == Type::kHello) return std::vector<Message>{ScriptedServer::hello_ack()};
    return std::vector<Message>{};
  });
  RemoteOptions o;
  o.reply_timeout = std::chrono::milliseconds(200);
  RemoteDevice d(unix_address("midrun"), o);
  const std::string e = device_error([&] { d.advance_to(1'000'000); });
  EXPECT_NE(e.find("timed out after 200 ms waiting for Advanced"), std::string::npos) << e;
  EXPECT_NE(device_error([&] { d.config_read(0); }).find("closed after an earlier failure"), std::string::npos);
}

TEST(RemoteDevice, AServerBreakingTheProtocolIsADeviceError) {
  // A reply of the wrong type.
  {
    ScriptedServer s("wrongreply", [](const Message& m) {
      if (m.header.type == Type::kHello) return std::vector<Message>{ScriptedServer::hello_ack()};
      return std::vector<Message>{proto::make(Type::kBarReadDone, 50'000)};
    });
    RemoteDevice d(unix_address("wrongreply"));
    const std::string e = device_error([&] { d.config_read(0); });
    EXPECT_NE(e.find("the server broke the protocol: BarReadDone #1 where ConfigReadDone was due"), std::string::npos) << e;
  }
  // Device time going backwards.
  {
    ScriptedServer s("backwards", [](const Message& m) {
      if (m.header.type == Type::kHello) return std::vector<Message>{ScriptedServer::hello_ack(40'000)};
      return std::vector<Message>{proto::make(Type::kAdvanced, 36'000)};
    });
    RemoteDevice d(unix_address("backwards"));
    const std::string e = device_error([&] { d.advance_to(100'000); });
    EXPECT_NE(e.find("at device time 36000 ps, before 40000 ps"), std::string::npos) << e;
  }
  // A reply in the middle of a continued DMA write.
  {
    ScriptedServer s("midwrite", [](const Message& m) {
      if (m.header.type == Type::kHello) return std::vector<Message>{ScriptedServer::hello_ack()};
      Message part = proto::make(Type::kDmaWrite, 44'000);
      part.header.flags = proto::Header::kContinued;
      part.dma_write.address = 0x1000;
      part.dma_write.dw_count = 16;
      part.dma_write.first_be = 0xF;
      return std::vector<Message>{part, proto::make(Type::kAdvanced, 48'000)};
    });
    RemoteDevice d(unix_address("midwrite"));
    const std::string e = device_error([&] { d.advance_to(100'000); });
    EXPECT_NE(e.find("inside a continued DmaWrite"), std::string::npos) << e;
  }
  // A HelloAck from another register map.
  {
    ScriptedServer s("regmap", [](const Message&) {
      Message ack = ScriptedServer::hello_ack();
      ack.hello_ack.regmap_hash ^= 1;
      return std::vector<Message>{ack};
    });
    const std::string e = device_error([] { RemoteDevice d(unix_address("regmap")); });
    EXPECT_NE(e.find("register map"), std::string::npos) << e;
  }
}

TEST(RemoteDevice, ADeviceFailingOnTheServerEndsTheConnection) {
  ServerThread s(ServerThread::unix_options("devfail"), 4);
  RemoteDevice d(unix_address("devfail"));
  // The endpoint decodes BAR0 only: the server's device fails, the server says so and closes.
  const std::string e = device_error([&] { d.bar_read(1, 0, 4); });
  EXPECT_NE(e.find("Error 4 (device failed): device failed: BAR1 is not implemented"), std::string::npos) << e;
  EXPECT_NE(device_error([&] { d.advance_to(1'000'000); }).find("closed after an earlier failure"), std::string::npos);
  // A posted write fails at the next request's reply.
  RemoteDevice next(unix_address("devfail"));
  next.bar_write(2, 0, 1, 4);
  EXPECT_NE(device_error([&] { next.config_read(0); }).find("BAR2 is not implemented"), std::string::npos);
}

TEST(RemoteDevice, AServerGoneMidRunIsADeviceError) {
  auto s = std::make_unique<ServerThread>(ServerThread::unix_options("gone"), 4);
  RemoteDevice d(unix_address("gone"));
  d.advance_to(d.now_ps() + 100'000);
  s.reset();  // stopped: the connection is closed under the client
  const std::string e = device_error([&] { d.advance_to(d.now_ps() + 100'000); });
  EXPECT_NE(e.find("the server closed the connection"), std::string::npos) << e;
}

TEST(RemoteDevice, AReadFromInsideTheSinkIsRefused) {
  ServerThread s(ServerThread::unix_options("reenter"), 4);
  RemoteDevice d(unix_address("reenter"));
  Endpoint e(d);
  for (unsigned k = 0; k < 4; ++k) e.program_message(k, 0xFEE00000u, 0x40 + k);
  e.set_msix_enable(true);
  e.set_ring(0x1'0000'0000ull, 6, 0x1'0000'0000ull + 64 * 16);
  std::string inner;
  d.set_upstream_sink([&](UpstreamWrite&&) {
    if (inner.empty()) inner = device_error([&] { d.bar_read32(0, regs::CAPS); });
  });
  BurstProgram b;
  b.events = 2;
  b.vectors = {0};
  e.start_burst(b);
  EXPECT_NO_THROW(d.advance_to(d.now_ps() + 1'000'000));  // the outer call goes on
  EXPECT_NE(inner.find("from inside the upstream sink"), std::string::npos) << inner;
  EXPECT_EQ(d.config_read(0) & 0xFFFF, regs::kVendorId);
}

}  // namespace
}  // namespace irqrig::sim::remote::test
