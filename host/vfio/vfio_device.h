// The `--target vfio:BDF` backend: an irqrig card behind a CardPort presented as a sim::Device, so
// its real interrupts and event records feed the host model (docs/vfio.md, "The VFIO backend").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/vfio/card_port.h"
#include "host/vfio/sysfs.h"
#include "sim/device/device.h"

namespace irqrig::host::vfio {

struct VfioDeviceOptions {
  /// advance_to refuses to wait longer than this for the card's clock (a real card runs in real
  /// time: a request far ahead would block the run for as long).
  std::uint64_t max_wait_ps = 10'000'000'000'000ull;  // 10 s
  /// How often (device time) the card's TIME counter is read again to map record timestamps onto
  /// the port's clock (the card's oscillator and the host's clock drift apart).
  std::uint64_t recalibrate_ps = 1'000'000'000ull;  // 1 ms
};

/// What the backend did on the host's side of the card, for tests and the docs' figures.
struct VfioDeviceStats {
  std::uint64_t arrivals = 0;          ///< interrupts received from the port (counts added up)
  std::uint64_t messages = 0;          ///< MSI/MSI-X writes handed to the host model
  std::uint64_t pended = 0;            ///< arrivals held in the shadow's pending bits (host-side mask)
  std::uint64_t released = 0;          ///< messages the shadow sent on an unmask
  std::uint64_t records = 0;           ///< ring records handed to the host model
  std::uint64_t irq_reconfigs = 0;     ///< VFIO_DEVICE_SET_IRQS calls made through the port
};

/// An irqrig card (the RTL's registers: firmware/ or the loopback) as a sim::Device.
///
/// - The host model programs RING_BASE and RING_PROD_ADDR with simulated addresses: the card is
///   programmed with IOVAs inside the port's DMA buffer instead, and what it writes there comes
///   back as UpstreamWrites to the simulated addresses (record, then its producer write).
/// - MSI and MSI-X belong to the kernel on a real host: the capabilities, the MSI-X table and the
///   PBA the host model sees are a shadow; an arrival on vector v becomes a message with the
///   shadow entry's address and data, and the per-vector masks and pending bits are emulated on
///   the host's side (SEMANTICS A4/A6).
/// - Device time is the port's clock: accesses happen at the port's now, advance_to waits for it.
class VfioDevice final : public sim::Device {
 public:
  /// Checks that the card is an irqrig card of this build (IDs, ID register, REGMAP_HASH), quiesces
  /// it and points its ring into the DMA buffer. Throws sim::DeviceError naming the card otherwise.
  explicit VfioDevice(std::unique_ptr<CardPort> port, VfioDeviceOptions options = {});
  ~VfioDevice() override;
  VfioDevice(const VfioDevice&) = delete;
  VfioDevice& operator=(const VfioDevice&) = delete;

  std::uint32_t config_read(std::uint16_t offset) override;
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override;
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override;
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override;
  void advance_to(std::uint64_t time_ps) override;
  std::uint64_t now_ps() const override { return now_ps_; }
  std::uint64_t cycle_ps() const override { return cycle_ps_; }
  std::uint64_t cycles() const override { return now_ps_ / cycle_ps_; }

  CardPort& port() { return *port_; }
  const VfioDeviceStats& stats() const { return stats_; }
  /// Records the DMA buffer holds (2^this at most).
  unsigned max_ring_log2() const { return max_ring_log2_; }

 private:
  struct MsixEntry {
    std::uint32_t address_lo = 0, address_hi = 0, data = 0, control = 1;  // masked at reset (A5)
  };
  struct Pending {
    std::uint64_t time_ps;
    bool is_record;
    std::uint32_t index;     // record: ring index
    CardArrival arrival;     // arrival
  };

  void check_identity();
  void quiesce_and_point_ring();
  void calibrate();
  std::uint64_t card_cycles_to_ps(std::uint64_t card_cycles) const;

  // Collects what the card did up to `until_ps` and hands it to the host model in time order.
  // `register_producer`: a RING_PROD value just read from the card; its records are in memory.
  void sync(std::uint64_t until_ps, std::optional<std::uint32_t> register_producer = std::nullopt);
  std::uint32_t memory_producer();
  void emit_record(std::uint32_t index, std::uint64_t time_ps);
  void emit_producer(std::uint32_t value, std::uint64_t time_ps);
  void on_arrival(const CardArrival& a, std::uint64_t time_ps);
  void emit_message(std::uint64_t address, std::uint32_t data, std::uint64_t time_ps);
  std::uint64_t stamp(std::uint64_t time_ps);

  // The shadow of the interrupt capabilities.
  bool msix_deliverable(unsigned k) const;
  bool msi_active() const;
  std::uint32_t msi_capable_mask() const;
  void release_pending();
  void apply_irq_mode();
  unsigned msix_vectors_wanted() const;
  std::uint32_t read_msix_cap(unsigned dw);
  std::uint32_t read_msi_cap(unsigned dw);
  void write_msix_cap(unsigned dw, std::uint32_t value, std::uint32_t lanes);
  void write_msi_cap(unsigned dw, std::uint32_t value, std::uint32_t lanes);
  std::uint32_t read_table(std::uint64_t offset);
  void write_table(std::uint64_t offset, std::uint32_t value, std::uint32_t lanes);
  std::uint32_t read_pba(std::uint64_t offset);

  // BAR0 registers the backend answers itself (ring addresses, MSI counters, TIME).
  bool intercepted(std::uint64_t offset) const;
  std::uint32_t read_dw(std::uint64_t offset);
  void write_dw(std::uint64_t offset, std::uint32_t value, std::uint32_t lanes);
  void config_forward(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable);

  std::unique_ptr<CardPort> port_;
  VfioDeviceOptions options_;
  VfioDeviceStats stats_;
  std::uint64_t now_ps_ = 0;
  std::uint64_t emitted_ps_ = 0;  // every write handed over so far has a time <= this
  std::uint64_t cycle_ps_ = 4000;
  std::uint64_t card_cycle_ps_ = 4000;

  // Card clock anchor: TIME read as `anchor_cycles_` at port time `anchor_ps_`.
  std::uint64_t anchor_cycles_ = 0;
  std::uint64_t anchor_ps_ = 0;
  std::uint64_t time_hi_latch_ = 0;

  // The ring as the host model programmed it, and where the card really writes it.
  std::uint64_t sim_ring_base_ = 0;
  std::uint64_t sim_producer_address_ = 0;
  unsigned ring_log2_ = 0;
  unsigned max_ring_log2_ = 0;
  std::uint64_t producer_offset_ = 0;  // of the producer word in the DMA buffer
  std::uint32_t records_emitted_ = 0;  // ring index of the next record to hand over
  std::uint32_t producers_emitted_ = 0;

  // MSI-X shadow.
  unsigned table_size_ = 0;
  bool msix_enable_ = false, msix_function_mask_ = false;
  std::vector<MsixEntry> table_;
  std::vector<std::uint32_t> pba_;
  unsigned msix_highest_used_ = 0;  // entries 0..this-1 have been programmed or unmasked
  // MSI shadow.
  unsigned msi_capable_log2_ = 0;
  std::uint32_t msi_control_ = 0;  // Enable and MME
  std::uint32_t msi_address_lo_ = 0, msi_address_hi_ = 0, msi_data_ = 0, msi_mask_ = 0, msi_pending_ = 0;
  // Counters as the host model sees them: the card's plus what the shadow changed.
  std::uint32_t sent_delta_ = 0, pended_delta_ = 0;

  CardIrqMode applied_mode_ = CardIrqMode::kNone;  // what the port's kernel side has enabled
  unsigned applied_count_ = 0;

  bool syncing_ = false;
  std::vector<CardArrival> arrivals_;  // reused by sync
  std::vector<Pending> pending_;
};

/// Opens the irqrig card at `bdf` (any form canonical_bdf accepts) through VFIO. Throws
/// sim::DeviceError naming the card and what to do when it cannot.
std::unique_ptr<VfioDevice> open_vfio_device(const std::string& bdf, const HostPaths& paths = {},
                                             VfioDeviceOptions options = {});

}  // namespace irqrig::host::vfio
