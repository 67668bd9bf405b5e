// The transaction-level device interface every backend implements (in-process RTL, remote, VFIO).
// Tests and scenarios talk to a device only through this: config and BAR accesses, timed upstream writes.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace irqrig::sim {

/// The target failed: no completion, a completion with an error status, a crashed or vanished peer.
/// The CLI maps it to exit code 3.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A posted write the device sent towards the host: DMA into memory, or an MSI to 0xFEEx_xxxx.
struct UpstreamWrite {
  std::uint64_t time_ps = 0;           ///< device time at which the last beat left the device
  std::uint64_t address = 0;
  std::vector<std::uint32_t> data;     ///< little-endian DWs
  std::uint8_t first_be = 0xF;
  std::uint8_t last_be = 0;
  std::uint16_t requester_id = 0;
};

using UpstreamSink = std::function<void(UpstreamWrite&&)>;

/// One PCIe endpoint. Accesses happen at the device's current time; `advance_to` moves that time.
class Device {
 public:
  virtual ~Device() = default;

  virtual std::uint32_t config_read(std::uint16_t offset) = 0;
  virtual void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) = 0;

  /// MMIO read of 1, 2, 4 or 8 bytes at `offset` in BAR `bar`; returns when the completion is in.
  virtual std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) = 0;
  /// Posted MMIO write of 1, 2, 4 or 8 bytes.
  virtual void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) = 0;

  /// Runs the device until its clock reaches `time_ps`; upstream writes go to the sink in order.
  virtual void advance_to(std::uint64_t time_ps) = 0;
  virtual std::uint64_t now_ps() const = 0;
  /// Length of one device clock cycle.
  virtual std::uint64_t cycle_ps() const = 0;
  /// Device clock cycles run so far (the benchmark's figure).
  virtual std::uint64_t cycles() const = 0;

  void set_upstream_sink(UpstreamSink sink) { sink_ = std::move(sink); }

  std::uint32_t bar_read32(unsigned bar, std::uint64_t offset) {
    return static_cast<std::uint32_t>(bar_read(bar, offset, 4));
  }
  void bar_write32(unsigned bar, std::uint64_t offset, std::uint32_t value) { bar_write(bar, offset, value, 4); }

 protected:
  void emit(UpstreamWrite&& w) {
    if (sink_) sink_(std::move(w));
  }

 private:
  UpstreamSink sink_;
};

}  // namespace irqrig::sim
