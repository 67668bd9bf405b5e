// The remote backend: a sim::Device whose accesses go over the wire protocol to `irqrig serve`, so a
// scenario or test written for the in-process device runs unchanged against another process or machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sim/device/device.h"
#include "sim/remote/address.h"
#include "sim/remote/codec.h"
#include "sim/remote/proto.h"

namespace irqrig::sim::remote {

struct RemoteOptions {
  /// The server's access token, if it has one (the CLI takes it from IRQRIG_TOKEN).
  std::string token;
  /// How long the server may take to accept us: a client that connects while another is served
  /// waits in the server's queue until that one is done.
  std::chrono::milliseconds handshake_timeout{std::chrono::minutes(5)};
  /// How long one request may wait for its reply once the device is ours.
  std::chrono::milliseconds reply_timeout{std::chrono::seconds(30)};
};

/// One connection to a server, holding its device from the handshake to destruction (Goodbye).
/// Called synchronously (from the SystemC device thread, or a test): each read or advance sends its
/// request and delivers every device write the server forwards, in order, before returning.
/// A BAR write may be made from inside the upstream sink, but unlike in-process (where it enters the
/// device within the running advance) it is queued and reaches the device with the next request,
/// at the device time of the Advanced, up to one quantum later (docs/remote.md). A read,
/// configuration access or advance from there is refused with a DeviceError.
/// Every failure (unreachable, refused, timed out, a server breaking the protocol, the device
/// failing on the server) is a DeviceError, and the connection is unusable afterwards.
class RemoteDevice final : public Device {
 public:
  /// Connects and does the handshake.
  RemoteDevice(const SocketAddress& address, RemoteOptions options = {});
  ~RemoteDevice() override;
  RemoteDevice(const RemoteDevice&) = delete;
  RemoteDevice& operator=(const RemoteDevice&) = delete;

  std::uint32_t config_read(std::uint16_t offset) override;
  /// A configuration write completes on the device (it is non-posted in PCIe): the device's time
  /// and any write it makes meanwhile are known when this returns, as in-process.
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override;
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override;
  /// Posted: returns once the request is queued; a failure shows at the next request's reply.
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override;
  void advance_to(std::uint64_t time_ps) override;
  std::uint64_t now_ps() const override { return now_ps_; }
  std::uint64_t cycle_ps() const override { return cycle_ps_; }
  std::uint64_t cycles() const override { return cycles_; }

  /// What the server said in its HelloAck.
  proto::Backend backend() const { return backend_; }
  std::uint32_t num_vectors() const { return num_vectors_; }
  const std::string& address() const { return address_; }

 private:
  class Link;
  /// Sends what is queued, then reads until a message of `reply` type, delivering device writes.
  proto::Message await(proto::Type reply);
  /// Queues a request; throws when the connection is already given up.
  void send(const proto::Message& m);
  void check_not_awaiting() const;
  void check_config(std::uint16_t offset) const;
  void check_bar(unsigned bar, std::uint64_t offset, unsigned size) const;

  std::string address_;
  RemoteOptions options_;
  std::unique_ptr<Link> link_;  // null once a failure has made the stream untrustworthy
  proto::UpstreamAssembler assembler_;
  bool awaiting_ = false;
  std::uint64_t now_ps_ = 0;
  std::uint64_t cycle_ps_ = 1;
  std::uint64_t cycles_ = 0;
  proto::Backend backend_ = proto::Backend::kSim;
  std::uint32_t num_vectors_ = 0;
};

}  // namespace irqrig::sim::remote
