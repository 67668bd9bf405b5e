// The remote backend's cost: round-trip latency (p50/p99 of a BarRead -> BarReadDone, which includes
// the device's own completion time, and of an Advance that runs nothing: the transport alone) and messages
// per second (a stream of posted BarWrites; a burst's DmaWrites/Interrupts forwarded during
// Advances), each over a Unix socket and TCP loopback against the same in-process figure. The
// server runs in a thread of this program, as `irqrig serve` would in its own process.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include "irqrig/regs.h"
#include "sim/device/endpoint.h"
#include "sim/remote/remote_device.h"
#include "sim/remote/server.h"
#include "sim/verilated/verilated_device.h"

namespace {

using namespace irqrig;
using sim::remote::SocketAddress;

enum class Transport { kInProcess, kUnix, kTcp };

/// A device reached through `transport`: the Verilated endpoint itself, or a RemoteDevice talking
/// to a server (in a thread) that owns one.
class Target {
 public:
  explicit Target(Transport transport) {
    if (transport == Transport::kInProcess) {
      device_ = std::make_unique<sim::VerilatedDevice>();
      return;
    }
    sim::remote::ServerOptions o;
    if (transport == Transport::kUnix) {
      o.listen = {SocketAddress::Kind::kUnix, "/tmp/irqrig_bench_" + std::to_string(getpid()) + ".sock", "", 0};
    } else {
      o.listen = {SocketAddress::Kind::kTcp, "", "127.0.0.1", 0};
    }
    o.log = [](const std::string&) {};
    server_ = std::make_unique<sim::remote::Server>(o, [] { return std::make_unique<sim::VerilatedDevice>(); });
    thread_ = std::thread([this] { server_->run(); });
    device_ = std::make_unique<sim::remote::RemoteDevice>(
        sim::remote::parse_socket_address(server_->address(), "address", false));
  }
  ~Target() {
    device_.reset();
    if (server_) {
      server_->stop();
      thread_.join();
    }
  }
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  sim::Device& device() { return *device_; }

 private:
  std::unique_ptr<sim::remote::Server> server_;
  std::thread thread_;
  std::unique_ptr<sim::Device> device_;
};

void BM_BarReadRoundTrip(benchmark::State& state, Transport transport) {
  Target t(transport);
  sim::Device& d = t.device();
  std::vector<double> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(d.bar_read32(0, regs::SCRATCH));
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1000;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1000;
  state.SetItemsProcessed(state.iterations());
}

// The transport alone: an Advance to a time already reached runs no device cycle.
void BM_NoopAdvanceRoundTrip(benchmark::State& state, Transport transport) {
  Target t(transport);
  sim::Device& d = t.device();
  std::vector<double> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    d.advance_to(d.now_ps());
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1000;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1000;
  state.SetItemsProcessed(state.iterations());
}

// The floor under both: 128 bytes there and back over a socketpair between two threads, no
// protocol, no device: what the kernel and the scheduler cost this machine.
void BM_SocketPairPingPong(benchmark::State& state) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  std::thread echo([fd = fds[1]] {
    char buf[128];
    for (;;) {
      std::size_t have = 0;
      while (have < sizeof buf) {
        const ssize_t n = ::recv(fd, buf + have, sizeof buf - have, 0);
        if (n <= 0) return;
        have += static_cast<std::size_t>(n);
      }
      if (::send(fd, buf, sizeof buf, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof buf)) return;
    }
  });
  char buf[128] = {};
  std::vector<double> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (::send(fds[0], buf, sizeof buf, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof buf)) break;
    std::size_t have = 0;
    while (have < sizeof buf) have += static_cast<std::size_t>(std::max<ssize_t>(0, ::recv(fds[0], buf + have, sizeof buf - have, 0)));
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  ::shutdown(fds[0], SHUT_RDWR);
  echo.join();
  ::close(fds[0]);
  ::close(fds[1]);
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1000;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1000;
  state.SetItemsProcessed(state.iterations());
}

// Posted writes stream without waiting; one read per 1000 makes the server catch up.
void BM_BarWriteStream(benchmark::State& state, Transport transport) {
  Target t(transport);
  sim::Device& d = t.device();
  constexpr int kWrites = 1000;
  for (auto _ : state) {
    for (int i = 0; i < kWrites; ++i) d.bar_write32(0, regs::SCRATCH, static_cast<std::uint32_t>(i));
    benchmark::DoNotOptimize(d.bar_read32(0, regs::SCRATCH));
  }
  state.SetItemsProcessed(state.iterations() * (kWrites + 1));
}

// A back-to-back burst: every record (a 4-DW DmaWrite), producer update (1 DW) and MSI-X message
// (an Interrupt) reaches the sink during Advances of one device microsecond.
void BM_AdvanceWithDeviceWrites(benchmark::State& state, Transport transport) {
  Target t(transport);
  sim::Device& d = t.device();
  sim::Endpoint ep(d);
  constexpr std::uint64_t kRing = 0x1'0000'0000ull, kProducer = kRing + 1024 * 16;
  for (std::uint32_t k = 0; k < 4; ++k) ep.program_message(k, 0xFEE00000u | (k << 12), 0x60 + k);
  ep.set_msix_enable(true);
  ep.set_ring(kRing, 10, kProducer);
  std::uint64_t writes = 0;
  std::uint32_t produced = 0;
  d.set_upstream_sink([&](sim::UpstreamWrite&& w) {
    ++writes;
    if (w.address == kProducer) produced = w.data[0];
  });
  sim::BurstProgram b;
  b.events = 2000;
  b.vectors = {0, 1, 2, 3};
  std::uint64_t advances = 0;
  for (auto _ : state) {
    ep.start_burst(b);
    while (ep.busy()) {
      d.advance_to(d.now_ps() + 1'000'000);
      ++advances;
      ep.set_ring_consumer(produced);  // a host that keeps up, between advances as the platform's CPUs do
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(writes));
  state.counters["writes_per_advance"] = static_cast<double>(writes) / static_cast<double>(advances);
}

BENCHMARK_CAPTURE(BM_BarReadRoundTrip, inproc, Transport::kInProcess)->UseRealTime();
BENCHMARK_CAPTURE(BM_BarReadRoundTrip, unix, Transport::kUnix)->UseRealTime();
BENCHMARK_CAPTURE(BM_BarReadRoundTrip, tcp, Transport::kTcp)->UseRealTime();
BENCHMARK(BM_SocketPairPingPong)->UseRealTime();
BENCHMARK_CAPTURE(BM_NoopAdvanceRoundTrip, unix, Transport::kUnix)->UseRealTime();
BENCHMARK_CAPTURE(BM_NoopAdvanceRoundTrip, tcp, Transport::kTcp)->UseRealTime();
BENCHMARK_CAPTURE(BM_BarWriteStream, inproc, Transport::kInProcess)->UseRealTime();
BENCHMARK_CAPTURE(BM_BarWriteStream, unix, Transport::kUnix)->UseRealTime();
BENCHMARK_CAPTURE(BM_BarWriteStream, tcp, Transport::kTcp)->UseRealTime();
BENCHMARK_CAPTURE(BM_AdvanceWithDeviceWrites, inproc, Transport::kInProcess)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AdvanceWithDeviceWrites, unix, Transport::kUnix)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AdvanceWithDeviceWrites, tcp, Transport::kTcp)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
