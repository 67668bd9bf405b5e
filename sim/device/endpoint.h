// Typed access to the irqrig endpoint's registers over any Device backend: MSI-X table entries,
// the event ring, and the burst engine. Offsets come only from the generated register header.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/device/device.h"

namespace irqrig::sim {

struct BurstProgram {
  std::uint32_t events = 0;
  std::uint32_t gap_cycles = 0;
  std::uint32_t pattern = 0;  ///< 0 round_robin, 1 random, 2 fixed
  std::uint32_t seed = 1;
  std::vector<std::uint32_t> vectors;
};

class Endpoint {
 public:
  explicit Endpoint(Device& device) : device_(device) {}

  /// Writes MSI-X table entry `k` (address, data, vector control with its mask bit).
  void program_message(unsigned k, std::uint64_t address, std::uint32_t data, bool masked = false);
  /// Sets or clears the mask bit in entry `k`'s vector control.
  void set_message_mask(unsigned k, bool masked);
  void set_msix_enable(bool enable);
  unsigned msix_table_size();
  /// Points the DMA writer at a ring of 2^log2 records and the word its producer index goes to.
  void set_ring(std::uint64_t base, unsigned log2, std::uint64_t producer_address);
  void start_burst(const BurstProgram& burst);
  bool busy();

 private:
  Device& device_;
};

}  // namespace irqrig::sim
