// A PCIe endpoint without RTL, for platform conformance tests and the dispatch benchmark: the irqrig
// register map's MSI-X table, MSI capability and event ring, fed from a schedule of events and bare messages.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "sim/device/device.h"

namespace irqrig::host {

class SyntheticDevice final : public sim::Device {
 public:
  struct Options {
    unsigned table_size = 64;       ///< MSI-X table entries (1-2048)
    std::uint64_t cycle_ps = 4000;  ///< 250 MHz, like the RTL
    unsigned msi_vectors = 32;      ///< MSI Multiple Message Capable: a power of two, 1-32
  };
  SyntheticDevice();
  explicit SyntheticDevice(Options options);

  /// An event on `message` at `time_ps`: its record is DMA'd into the ring (once the ring has room;
  /// a full ring holds the schedule back), the producer index written after it, then the
  /// message's MSI-X write (or its pending bit, when masked). As the RTL does: MSI-X when its Enable
  /// is set, else MSI when MSI Enable is set (message m = `message` mod 2^MME, its number in the low
  /// MME bits of Message Data, A2; masked: its Pending bit, A4), else the MSI-X pending bit (A7).
  void add_event(std::uint64_t time_ps, unsigned message);
  /// `count` events `gap_ps` apart from `start_ps`, round robin over `messages`. Generated as the
  /// device runs, so a long burst costs no memory. Without `records` each is a bare message.
  void add_burst(std::uint64_t start_ps, std::uint64_t count, std::uint64_t gap_ps, std::vector<unsigned> messages,
                 bool records = true);
  /// Only the message's MSI-X write at `time_ps`, without a record: a bare interrupt.
  void add_message(std::uint64_t time_ps, unsigned message);
  /// A device-to-host write exactly as given (any address and data), at its own time_ps.
  void add_raw(sim::UpstreamWrite write);
  /// A record of the given content (a replayed one, docs/replay.md) DMA'd at `time_ps` into the
  /// next slot of the ring the host programmed (held, like an event's, while the ring is full),
  /// and the producer index written at `producer_time_ps` (not before the record). No message.
  void add_record(std::uint64_t time_ps, const std::array<std::uint32_t, 4>& record, std::uint64_t producer_time_ps);

  std::uint32_t config_read(std::uint16_t offset) override;
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override;
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override;
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override;
  void advance_to(std::uint64_t time_ps) override;
  std::uint64_t now_ps() const override { return now_ps_; }
  std::uint64_t cycle_ps() const override { return options_.cycle_ps; }
  std::uint64_t cycles() const override { return now_ps_ / options_.cycle_ps; }

  std::uint64_t events() const { return events_; }
  std::uint64_t msi_sent() const { return msi_sent_; }  ///< MSI-X and MSI messages
  std::uint64_t msi_pended() const { return msi_pended_; }
  /// Scheduled work not yet done (including events held by a full ring).
  bool busy() const { return !schedule_.empty() || !bursts_.empty(); }

 private:
  enum class Kind : std::uint8_t { kEvent, kMessage, kRaw, kRecord };
  struct Item {
    Kind kind;
    unsigned message;
    sim::UpstreamWrite raw;
    std::array<std::uint32_t, 4> record{};  ///< kRecord: its content
    std::uint64_t producer_delay_ps = 0;    ///< kRecord: its producer write this long after it
    std::uint64_t producer_order = 0;       ///< kRecord: the producer write's place among equal times
  };
  struct Burst {
    std::uint64_t next_ps, remaining, gap_ps;
    std::vector<unsigned> messages;
    bool records;
    std::size_t index = 0;
  };
  struct Entry {
    std::uint32_t address_lo = 0, address_hi = 0, data = 0, control = 1;  // masked at reset (A5)
  };

  void schedule(std::uint64_t time_ps, Item item);
  bool run(std::uint64_t time_ps, Item& item);  // false: held by a full ring
  void event(std::uint64_t time_ps, unsigned message);
  void record(std::uint64_t time_ps, const Item& item);
  void signal(std::uint64_t time_ps, unsigned message);
  void send_pending(std::uint64_t time_ps);
  bool masked(unsigned message) const;
  bool msi_active() const { return msi_enable_ && !msix_enable_; }
  void send_msi(std::uint64_t time_ps, unsigned m);
  std::uint32_t msi_control() const;
  std::uint32_t msi_bits() const;  // a mask and pending bit per capable vector
  void write_upstream(std::uint64_t time_ps, std::uint64_t address, std::vector<std::uint32_t> data);

  Options options_;
  std::uint64_t now_ps_ = 0;
  std::multimap<std::pair<std::uint64_t, std::uint64_t>, Item> schedule_;  // (time, order) -> item
  std::uint64_t order_ = 0;
  std::vector<Burst> bursts_;
  std::vector<Entry> table_;
  std::vector<bool> pending_;
  bool msix_enable_ = false, function_mask_ = false;
  bool msi_enable_ = false;
  unsigned msi_mme_ = 0;
  std::uint64_t msi_address_ = 0;
  std::uint16_t msi_data_ = 0;
  std::uint32_t msi_mask_ = 0, msi_pending_ = 0;
  std::uint64_t ring_base_ = 0, producer_address_ = 0;
  unsigned ring_log2_ = 0;
  std::uint32_t producer_ = 0, consumer_ = 0, scratch_ = 0;
  std::uint64_t events_ = 0, msi_sent_ = 0, msi_pended_ = 0;
};

}  // namespace irqrig::host
