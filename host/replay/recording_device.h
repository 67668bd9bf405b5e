// The recorder: a sim::Device decorator that passes every access through to any backend and writes
// what the device sent (ring records, interrupts by message number, read answers) to a recording.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "host/replay/recording.h"
#include "sim/device/device.h"

namespace irqrig::host::replay {

class RecordingDevice final : public sim::Device {
 public:
  /// Wraps `inner` (which it owns) and starts the recording at `path`; the header's start_ps and
  /// cycle_ps are taken from the device. Throws std::invalid_argument when `path` cannot be written.
  RecordingDevice(std::unique_ptr<sim::Device> inner, const std::string& path, RecordingHeader header);
  ~RecordingDevice() override;

  std::uint32_t config_read(std::uint16_t offset) override;
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override;
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override;
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override;
  void advance_to(std::uint64_t time_ps) override { inner_->advance_to(time_ps); }
  std::uint64_t now_ps() const override { return inner_->now_ps(); }
  std::uint64_t cycle_ps() const override { return inner_->cycle_ps(); }
  std::uint64_t cycles() const override { return inner_->cycles(); }

  /// Writes records no message followed and the end line. Later writes by the device are not recorded.
  /// Only for a run that did not fail on its target: see abort().
  void finish();
  /// Ends the recording of a run that failed (`reason`, e.g. the target's error): what was recorded
  /// is written, then an end line marked aborted, which the reader refuses. Never throws.
  void abort(const std::string& reason) noexcept;

 private:
  struct TableEntry {
    std::uint32_t address_lo = 0, address_hi = 0, data = 0;
  };
  void observe(sim::UpstreamWrite&& w);
  void record(const sim::UpstreamWrite& w);
  /// Runs one access: the writes the device sends while it is in flight are recorded after the
  /// access's own line, which carries the (earlier) time it started.
  template <typename Body>
  auto access(Access::Kind kind, unsigned bar, std::uint64_t offset, unsigned size, Body body);
  void track_bar_write(std::uint64_t offset, std::uint32_t value);
  void track_config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable);
  std::optional<unsigned> message_of(std::uint64_t address, std::uint32_t data) const;
  /// Moves the records no message followed yet into a line of their own.
  void close_records(std::uint64_t time_ps);
  /// Writes the lines formed so far, unless a record among them still waits for its producer write.
  void flush();
  void write(const replay::Entry& e);

  std::unique_ptr<sim::Device> inner_;
  RecordingWriter writer_;
  unsigned vectors_;
  std::vector<TableEntry> table_;
  bool msix_enable_ = false, msi_enable_ = false;
  unsigned msi_mme_ = 0;
  std::uint64_t msi_address_ = 0;
  std::uint32_t msi_data_ = 0;
  std::uint64_t ring_base_ = 0, producer_address_ = 0;
  unsigned ring_log2_ = 0;
  std::vector<RingRecord> pending_;  // records since the last arrival
  // Lines formed but not written: the device may send a message before the producer write of a
  // record that went out before the message (a ring drained after a stall), so a line waits
  // until each of its records has its producer time.
  std::deque<replay::Entry> lines_;
  RingRecord* awaiting_ = nullptr;  // the record whose producer write is still to come
  bool finished_ = false;
  bool in_access_ = false;
  std::vector<sim::UpstreamWrite> deferred_;
};

}  // namespace irqrig::host::replay
