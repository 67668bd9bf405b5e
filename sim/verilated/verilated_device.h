// The in-process backend: the Verilated endpoint RTL driven through its TLP streams.
// Enumerates the function like a root port would, then serves the Device interface.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sim/device/device.h"
#include "sim/tlp/tlp.h"
#include "sim/verilated/core_model.h"

class VerilatedContext;
class VerilatedFstC;

namespace irqrig::sim {

struct VerilatedDeviceOptions {
  std::string waves_path;          ///< FST file to trace into; empty for none
  std::uint16_t bus_device = 0x0100;  ///< bus 1, device 0, function 0
  std::uint64_t bar0_address = 0xF0000000;
  unsigned completion_timeout_cycles = 100000;
  /// Probability that the harness holds tx_tready low in a cycle (backpressure tests); 0 = never.
  double tx_stall_probability = 0.0;
  std::uint64_t stall_seed = 1;
  /// MSI-X table size of the core to build: 2048 (the board's) or one of the sweep's 1, 4, 32.
  unsigned num_vectors = 2048;
};

class VerilatedDevice final : public Device {
 public:
  explicit VerilatedDevice(VerilatedDeviceOptions options = {});
  ~VerilatedDevice() override;
  VerilatedDevice(const VerilatedDevice&) = delete;
  VerilatedDevice& operator=(const VerilatedDevice&) = delete;

  std::uint32_t config_read(std::uint16_t offset) override;
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override;
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override;
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override;
  void advance_to(std::uint64_t time_ps) override;
  std::uint64_t now_ps() const override { return cycle_ * cycle_ps_; }
  std::uint64_t cycle_ps() const override { return cycle_ps_; }
  std::uint64_t cycles() const override { return cycle_; }

  /// Runs `n` clock cycles.
  void run_cycles(std::uint64_t n);

 private:
  void reset();
  void enumerate();
  void tick();
  void send(const Tlp& tlp);
  Tlp await_completion(std::uint8_t tag);
  void on_tx_tlp();

  VerilatedDeviceOptions options_;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<CoreModel> top_;
  std::unique_ptr<VerilatedFstC> trace_;
  std::uint64_t cycle_ = 0;
  std::uint64_t cycle_ps_ = 4000;
  std::deque<std::pair<std::uint32_t, bool>> rx_beats_;  // data, last
  std::vector<std::uint32_t> tx_beats_;
  std::optional<Tlp> completion_;
  std::uint8_t next_tag_ = 0;
  std::mt19937_64 stall_rng_;
};

}  // namespace irqrig::sim
