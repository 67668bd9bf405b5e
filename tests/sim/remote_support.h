// What the remote tests share: an `irqrig serve` server running in a thread of the test on a
// temporary Unix socket, and a device that is a RemoteDevice connected to such a server.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/remote/remote_device.h"
#include "sim/remote/server.h"
#include "sim/verilated/verilated_device.h"

namespace irqrig::sim::remote::test {

/// A socket path unique to this process and `name` (short: sun_path holds 107 bytes).
inline std::string socket_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("irqrig_" + std::to_string(getpid()) + "_" + name + ".sock")).string();
}

/// The server's log lines, collected across its thread.
class LogLines {
 public:
  void add(const std::string& line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  /// The lines joined, for a test's failure message and substring checks.
  std::string text() const {
    std::string all;
    for (const std::string& l : lines()) all += l + "\n";
    return all;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// A server in a thread, serving a Verilated endpoint of `num_vectors` per client; stopped and
/// joined on destruction.
class ServerThread {
 public:
  explicit ServerThread(ServerOptions options, unsigned num_vectors = 2048)
      : log_(std::make_shared<LogLines>()), server_(with_log(std::move(options), log_), [num_vectors] {
          VerilatedDeviceOptions o;
          o.num_vectors = num_vectors;
          return std::make_unique<VerilatedDevice>(o);
        }),
        thread_([this] { server_.run(); }) {}
  ~ServerThread() {
    server_.stop();
    thread_.join();
  }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  Server& server() { return server_; }
  const LogLines& log() const { return *log_; }

  /// Options for a private Unix socket named after `name`.
  static ServerOptions unix_options(const std::string& name) {
    ServerOptions o;
    o.listen = SocketAddress{SocketAddress::Kind::kUnix, socket_path(name), "", 0};
    return o;
  }

 private:
  static ServerOptions with_log(ServerOptions o, const std::shared_ptr<LogLines>& log) {
    o.log = [log](const std::string& line) { log->add(line); };
    return o;
  }

  std::shared_ptr<LogLines> log_;
  Server server_;
  std::thread thread_;
};

/// A RemoteDevice together with the server it talks to, so a suite written against sim::Device
/// runs against the remote backend as one more entry in its list of backends.
class ServedRemoteDevice final : public Device {
 public:
  ServedRemoteDevice(const std::string& name, unsigned num_vectors = 2048)
      : server_(std::make_unique<ServerThread>(ServerThread::unix_options(name), num_vectors)),
        remote_(std::make_unique<RemoteDevice>(
            SocketAddress{SocketAddress::Kind::kUnix, socket_path(name), "", 0})) {
    remote_->set_upstream_sink([this](UpstreamWrite&& w) { emit(std::move(w)); });
  }
  ~ServedRemoteDevice() override {
    remote_.reset();  // Goodbye before the server stops
    server_.reset();
  }

  std::uint32_t config_read(std::uint16_t offset) override { return remote_->config_read(offset); }
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override {
    remote_->config_write(offset, value, byte_enable);
  }
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override {
    return remote_->bar_read(bar, offset, size);
  }
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override {
    remote_->bar_write(bar, offset, value, size);
  }
  void advance_to(std::uint64_t time_ps) override { remote_->advance_to(time_ps); }
  std::uint64_t now_ps() const override { return remote_->now_ps(); }
  std::uint64_t cycle_ps() const override { return remote_->cycle_ps(); }
  std::uint64_t cycles() const override { return remote_->cycles(); }

 private:
  std::unique_ptr<ServerThread> server_;
  std::unique_ptr<RemoteDevice> remote_;
};

}  // namespace irqrig::sim::remote::test
