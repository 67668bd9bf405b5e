// The one place that programs the irqrig endpoint, over any Device backend: MSI and MSI-X
// capabilities, per-vector moderation, the acknowledge mode, the event ring, the burst engine,
// status and counters.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "sim/device/device.h"

namespace irqrig::sim {

/// A request the endpoint cannot carry out as asked (a vector past the table, an illegal
/// moderation, an MSI vector count that is not a power of two...). Nothing was written.
class EndpointError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// One burst of the engine: `events` events `gap_cycles` apart, played `repeat` times with
/// `pause_cycles` between repetitions (0: the gap); each repetition replays the same vectors.
struct BurstProgram {
  std::uint32_t events = 0;
  std::uint32_t gap_cycles = 0;
  std::uint32_t pattern = 0;  ///< 0 round_robin, 1 random (LFSR from `seed`), 2 fixed (vectors[0])
  std::uint32_t seed = 1;
  std::vector<std::uint32_t> vectors;  ///< 1..64 entries
  std::uint32_t repeat = 1;
  std::uint32_t pause_cycles = 0;
};

/// Device-side moderation of one vector (SEMANTICS H1-H3). With itr_ns > 0 the vector is
/// throttled: at least itr_ns (rounded to 256 ns units) between its messages. Otherwise ethtool
/// coalescing: signal when usecs > 0 and the first unsignalled event is usecs old, or frames > 0
/// and frames events are unsignalled; frames 1 usecs 0 is off, frames 0 usecs 0 is illegal.
struct Moderation {
  std::uint32_t frames = 1;
  std::uint32_t usecs = 0;
  std::uint32_t itr_ns = 0;

  static Moderation off() { return {}; }
  static Moderation coalesce(std::uint32_t frames, std::uint32_t usecs) { return {frames, usecs, 0}; }
  static Moderation itr(std::uint32_t ns) { return {1, 0, ns}; }
  bool operator==(const Moderation&) const = default;
};

/// What the event writer does with an event that finds the ring full.
enum class RingFull { kStall, kDrop };

/// The MSI capability as the host programs it: one address and data for 1 << MME messages.
struct MsiProgram {
  std::uint64_t address = 0;
  std::uint16_t data = 0;
  unsigned vectors = 1;  ///< messages granted: a power of two up to the capable count
};

/// STATUS, decoded.
struct EndpointStatus {
  bool busy = false;             ///< work in flight that finishes without the host
  bool ring_full = false;        ///< an event waits for ring space
  bool ring_overflow = false;    ///< an event was dropped on a full ring since the last clear
  bool generating = false;       ///< the burst generator runs
  bool moderation_held = false;  ///< moderation holds unsignalled events
};

/// Every device counter (32-bit in the RTL, wrapping), zeroed by clear_counters().
struct EndpointCounters {
  std::uint64_t events = 0;                ///< events generated
  std::uint64_t msi_sent = 0;              ///< MSI/MSI-X messages sent, releases included
  std::uint64_t msi_pending_on_mask = 0;   ///< messages deferred into PBA/Pending by a mask
  std::uint64_t moderation_coalesced = 0;  ///< events merged into another event's message
  std::uint64_t moderation_fired = 0;      ///< messages moderation asked for
  std::uint64_t ring_full_stalls = 0;      ///< events that waited for ring space
  std::uint64_t ring_overflows = 0;        ///< events dropped on a full ring
  std::uint64_t dma_writes = 0;            ///< record and producer-index writes
  std::uint64_t aborted = 0;               ///< events ABORT dropped before their record
  std::uint64_t bad_vector = 0;            ///< events on a vector past the table (no message)
  std::uint64_t ack_suppressed = 0;        ///< messages not sent: the vector was outstanding (ack mode)
};

class Endpoint {
 public:
  explicit Endpoint(Device& device) : device_(device) {}

  // ---- MSI-X (SEMANTICS A5-A7) ----
  unsigned msix_table_size();
  /// Writes MSI-X table entry `k` (address, data, vector control with its mask bit).
  void program_message(unsigned k, std::uint64_t address, std::uint32_t data, bool masked = false);
  /// Sets or clears the mask bit in entry `k`'s vector control.
  void set_message_mask(unsigned k, bool masked);
  /// Entry `k`'s mask bit as the table holds it now.
  bool message_masked(unsigned k);
  void set_msix_enable(bool enable);
  void set_msix_function_mask(bool masked);
  /// Entry `k`'s bit in the Pending Bit Array.
  bool msix_pending(unsigned k);

  // ---- MSI (SEMANTICS A1-A4) ----
  /// Multiple Message Capable as a count (1..32).
  unsigned msi_vectors_capable();
  /// Address, data and Multiple Message Enable; leaves MSI Enable as it is.
  void program_msi(const MsiProgram& msi);
  void set_msi_enable(bool enable);
  void set_msi_mask(unsigned k, bool masked);
  std::uint32_t msi_mask_bits();
  std::uint32_t msi_pending_bits();

  // ---- Moderation (SEMANTICS H1-H4) ----
  void set_moderation(unsigned vector, const Moderation& moderation);
  /// What the device holds for `vector` (itr_ns in whole 256 ns units).
  Moderation moderation(unsigned vector);

  // ---- Acknowledge mode (IRQ_CTRL.ACK_MODE) ----
  /// On: a vector is outstanding from its message (sent or pended) until acknowledge(vector); a
  /// message fired while it is outstanding is dropped and counted (ack_suppressed). Off (reset):
  /// every message goes out; turning it off forgets every outstanding vector.
  void set_ack_mode(bool on);
  bool ack_mode();
  /// Clears `vector`'s outstanding bit (IRQ_ACK). Throws EndpointError past the table.
  void acknowledge(unsigned vector);

  // ---- Event ring ----
  /// Points the writer at a ring of 2^log2 records and the word its producer index goes to.
  void set_ring(std::uint64_t base, unsigned log2, std::uint64_t producer_address,
                RingFull on_full = RingFull::kStall);
  void set_ring_on_full(RingFull on_full);
  void set_ring_consumer(std::uint32_t consumer);
  std::uint32_t ring_producer();

  // ---- Burst engine ----
  void start_burst(const BurstProgram& burst);
  /// No event after the one in flight.
  void stop();
  /// No further event; an event whose record is not on the wire yet is dropped (counted).
  void abort();
  bool busy();
  EndpointStatus status();
  EndpointCounters counters();
  void clear_counters();

 private:
  unsigned checked_vector(unsigned k);
  std::uint32_t msi_control();
  void write_msi_control(std::uint32_t control);

  Device& device_;
  std::optional<unsigned> table_size_;
};

}  // namespace irqrig::sim
